// Where a cold start's milliseconds go, process start to the first workflow task, for ours (the
// example packed by `temporal-lambda-worker package`) and the official @temporalio/lambda-worker,
// the same worker against the same local server. Each run is a fresh process with
// bench/waterfall-probe.cjs preloaded: Node's boot, each package's load (self time), the native
// module, then the core's calls as the invocation makes them (Runtime install, connect, worker
// create and validate, the first poll and its task), and a warm invocation in the same process.
// Writes the table into bench/RESULTS.md and the chart to bench/charts/cold-start.svg.
// With BENCH_CPU_PROFILE=1 it profiles each cold invocation up to its first poll instead (V8's
// sampling profiler, which slows what it measures) and writes that section, leaving the waterfall's alone.
// Usage: node bench/cold-start.mjs [runs=7] [node=<path to another node binary>]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startTestServer } from '../scripts/testserver.mjs';
import { LAMBDA_FLAGS, bench, host, prepare, registerVersion, say } from './sides.mjs';
import cpuProfile from './cpu-profile.cjs';
import { writeResultsSection } from './support.mjs';
import { waterfallChart } from './svg.mjs';
import { groupedSegments, runSegments, sideSummary } from './waterfall.mjs';

const RUNS = Number(process.argv[2] ?? 7);
const NODE = process.argv[3] ?? process.execPath;
const PROBE = ['-r', path.join(bench, 'waterfall-probe.cjs')];
const INVOCATION_MS = 10_000;
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE === '1';
const PROFILE_ROWS = 25;
/** Per side: each run's CPU self time per function, cold invocation start to its first poll. */
const profiles = { ours: [], official: [] };

/**
 * A copy of the packed bundle whose module wrappers report to the probe: esbuild's `__commonJS` and
 * `__esm` helpers, found by their exact text, run each module through `globalThis.__tlwTimed`.
 * Fails when `__commonJS` is not there, rather than measure nothing (`__esm` only exists when the
 * bundle holds ES modules).
 */
function instrumentedBundle(handlerFile) {
  const rewrites = [
    [
      'var __commonJS=(cb,mod)=>function(){return mod||(0,cb[__getOwnPropNames(cb)[0]])((mod={exports:{}}).exports,mod),mod.exports};',
      'var __commonJS=(cb,mod)=>function(){return mod||globalThis.__tlwTimed(__getOwnPropNames(cb)[0],()=>(0,cb[__getOwnPropNames(cb)[0]])((mod={exports:{}}).exports,mod)),mod.exports};',
    ],
    [
      'var __esm=(fn,res)=>function(){return fn&&(res=(0,fn[__getOwnPropNames(fn)[0]])(fn=0)),res};',
      'var __esm=(fn,res)=>function(){return fn&&(res=globalThis.__tlwTimed(__getOwnPropNames(fn)[0],()=>(0,fn[__getOwnPropNames(fn)[0]])(fn=0))),res};',
    ],
  ];
  let code = readFileSync(handlerFile, 'utf8');
  for (const [from, to] of rewrites) {
    if (!code.includes(from) && from.startsWith('var __esm')) continue;
    if (!code.includes(from))
      throw new Error(`${handlerFile}: esbuild's helper not found, cannot time its modules: ${from}`);
    code = code.replace(from, to);
  }
  const copy = handlerFile.replace(/\.c?js$/, '.waterfall.cjs');
  writeFileSync(copy, code);
  return copy;
}

/** One fresh process: a cold invocation, then a warm one, each with a workflow waiting for it. */
async function oneRun(name, side, env, client, run) {
  const environment = await host(side, env, LAMBDA_FLAGS, { node: NODE, nodeArgs: PROBE });
  const invocations = [];
  for (const kind of ['cold', 'warm']) {
    await client.workflow.start('greet', {
      taskQueue: env.BENCH_TASK_QUEUE,
      workflowId: `${env.BENCH_TASK_QUEUE}-${kind}-${run}`,
      args: ['waterfall'],
    });
    const reply = await environment.invoke(INVOCATION_MS);
    invocations.push(reply.waterfall);
    if (reply.cpuToFirstPoll) profiles[name].push(reply.cpuToFirstPoll);
  }
  environment.kill();
  return runSegments({ spawnedAt: environment.spawnedAt, init: environment.ready.waterfall, invocations });
}

const sides = await prepare();
sides.ours = { ...sides.ours, handler: instrumentedBundle(sides.ours.handler) };
const server = await startTestServer();
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
const nodeVersion = (await import('node:child_process')).execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim();
try {
  const envs = {};
  for (const name of ['ours', 'official']) {
    const id = `waterfall-${name}-${Date.now()}`;
    envs[name] = {
      TEMPORAL_ADDRESS: server.address,
      BENCH_DEPLOYMENT: id,
      BENCH_TASK_QUEUE: id,
      LOG_LEVEL: 'ERROR',
      ...(CPU_PROFILE ? { BENCH_CPU_PROFILE: '1' } : {}),
    };
    say(`${name}: registering the version`);
    await registerVersion(client, sides[name], envs[name], { node: NODE, nodeArgs: PROBE });
  }
  const runs = { ours: [], official: [] };
  for (let run = 0; run < RUNS; run++)
    for (const name of ['ours', 'official']) {
      say(`${name}: run ${run + 1}/${RUNS}`);
      runs[name].push(await oneRun(name, sides[name], envs[name], client, run));
    }
  const summary = { ours: sideSummary(runs.ours), official: sideSummary(runs.official) };
  writeFileSync(
    path.join(bench, '.work', 'cold-start-runs.json'),
    JSON.stringify({ nodeVersion, runs, profiles }, null, 1),
  );
  if (CPU_PROFILE) {
    const section = profileSection(nodeVersion);
    writeResultsSection('First poll: CPU profile', section);
  } else writeWaterfall(summary, nodeVersion);
} finally {
  await connection.close();
  await server.stop();
}

/** The waterfall's chart and its section of bench/RESULTS.md. */
function writeWaterfall(summary, nodeVersion) {
  const chart = waterfallChart({
    title: `Cold start to first workflow task, medians of ${RUNS} runs (Node ${nodeVersion})`,
    unit: 'ms',
    rows: ['cold', 'warm'].flatMap((kind) =>
      ['ours', 'official'].map((name) => ({
        label: `${name}, ${kind}`,
        segments: groupedSegments(summary[name][kind].segments),
      })),
    ),
  });
  mkdirSync(path.join(bench, 'charts'), { recursive: true });
  writeFileSync(path.join(bench, 'charts', 'cold-start.svg'), chart);
  const section = resultsSection(summary, nodeVersion);
  writeResultsSection('Cold start', section);
}

function resultsSection(summary, nodeVersion) {
  const names = [
    ...new Set([...summary.ours.cold.segments, ...summary.official.cold.segments].map((segment) => segment.name)),
  ];
  const cell = (side, kind, name) => {
    const ms = side[kind].table.get(name);
    return ms === undefined ? '' : `${ms.toFixed(1)}`;
  };
  const rows = names.map(
    (name) =>
      `| ${name} | ${cell(summary.ours, 'cold', name)} | ${cell(summary.official, 'cold', name)} | ${cell(summary.ours, 'warm', name)} | ${cell(summary.official, 'warm', name)} |`,
  );
  const total = (side, kind, mark) => side[kind].totals[mark]?.toFixed(0) ?? '';
  return [
    '## Cold start: where each millisecond goes',
    '',
    `\`npm run bench:cold-start\` (${new Date().toISOString().slice(0, 10)}, Node ${nodeVersion}, ${RUNS} runs of each side, alternating, node started with Lambda's flags for 256 MB): a fresh`,
    "process per run hosts the handler (ours: the example's worker packed by `temporal-lambda-worker package`, bundled; official:",
    '@temporalio/lambda-worker 1.23.0 as the deploy guide installs it), with `bench/waterfall-probe.cjs` preloaded. It charges each',
    "package's load its self time (ours' bundle reports through esbuild's module wrappers, a copy instrumented for the bench),",
    "times the native module's dlopen, and the core's own calls at the bridge, which both libraries make: Runtime install, connect",
    '(newClient), worker create and validate, the first workflow poll to its task (a workflow waits on the queue). A warm',
    'invocation follows in the same process. Medians per segment, in ms; "JS between core calls" is library and SDK code between',
    'them. The instrumentation adds its own cost; the uninstrumented totals are in the comparison below.',
    '',
    '![Cold start waterfall: ours and the official package, cold and warm](charts/cold-start.svg)',
    '',
    '| Segment (ms) | ours, cold | official, cold | ours, warm | official, warm |',
    '|---|---|---|---|---|',
    ...rows,
    `| **process start to handler ready** | ${total(summary.ours, 'cold', 'ready')} | ${total(summary.official, 'cold', 'ready')} | | |`,
    `| **invocation start to first poll** | ${total(summary.ours, 'cold', 'firstPoll')} | ${total(summary.official, 'cold', 'firstPoll')} | ${total(summary.ours, 'warm', 'firstPoll')} | ${total(summary.official, 'warm', 'firstPoll')} |`,
    `| **invocation start to first task** | ${total(summary.ours, 'cold', 'firstTask')} | ${total(summary.official, 'cold', 'firstTask')} | ${total(summary.ours, 'warm', 'firstTask')} | ${total(summary.official, 'warm', 'firstTask')} |`,
    '',
    `Raw runs: bench/.work/cold-start-runs.json (not checked in). Median-of-runs segments need not add up to the median total.`,
  ].join('\n');
}

function profileSection(nodeVersion) {
  const sides = ['ours', 'official'];
  const tops = sides.map((name) => cpuProfile.meanSelfTime(profiles[name], PROFILE_ROWS));
  const total = (name) => {
    const sums = profiles[name].map((run) => Object.values(run).reduce((a, b) => a + b, 0));
    return (sums.reduce((a, b) => a + b, 0) / sums.length).toFixed(0);
  };
  const rows = Array.from({ length: PROFILE_ROWS }, (_, row) =>
    tops.map((top) => (top[row] ? `${top[row][0].replaceAll('|', '\\|')}: ${top[row][1].toFixed(1)}` : '')),
  );
  return [
    '## First poll: CPU profile of the cold invocation up to it',
    '',
    `\`BENCH_CPU_PROFILE=1 npm run bench:cold-start ${RUNS}\` (${new Date().toISOString().slice(0, 10)}, Node ${nodeVersion}, node started with`,
    "Lambda's flags for 256 MB): the same runs as the waterfall, each cold invocation under V8's sampling profiler (every",
    '100 us), which slows what it measures. Self time per function from the invocation start to its first poll, in ms, mean',
    `of the runs; the ${PROFILE_ROWS} largest of each side. Bundled code keeps its function names, so ours' file is the bundle.`,
    '',
    `| ours, cold (${total('ours')} ms sampled) | official, cold (${total('official')} ms sampled) |`,
    '|---|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}
