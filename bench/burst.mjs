// A burst from zero workers: N workflows started at once (each one activity of ACTIVITY_MS), served
// by the function in the Lambda emulator as the real Temporal Worker Controller scales it, for
// ours (idle exit on, the default), ours with idle exit off, and the official
// @temporalio/lambda-worker 1.23.0. Each side gets a fresh server and emulator. Completions are
// counted from the server (visibility), never from the client. Appends its section to
// bench/RESULTS.md, keeping the others, with a chart of each side's ramp (bench/charts/burst.svg);
// the chart's series are kept in bench/.work/burst-series.json.
// The sides ours-mi (shared worker, the default under Managed Instances), ours-mi-per-invocation
// (TLW_SHARE_WORKER=off) and official-mi run in the emulator's Lambda Managed Instances mode instead
// (bench/burst-mi.mjs: MI_SLOTS, not `concurrency`), sampled every second, into a section of their own.
// Usage: node bench/burst.mjs [workflows=1000] [concurrency=10] [timeoutSeconds=60] [sides=ours,ours-idle-off,official]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { ensureServerlessLoop } from '../test/emulator/setup.mjs';
import { startLambdaEmulator } from '../test/emulator/lambda-emulator.mjs';
import { registerServerlessVersion, startServerWithWorkerController } from '../test/emulator/controller.mjs';
import {
  MI_FUNCTION_ENV,
  MI_SLOTS,
  managedInstancesSection,
  startBurstSampler,
  startLambdaApiRelay,
} from './burst-mi.mjs';
import { census, drained } from './burst-census.mjs';
import { sideSeries, thin } from './burst-series.mjs';
import { writeResultsSection } from './support.mjs';
import { timeSeriesChart } from './svg.mjs';

const bench = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(bench, '..');
const [WORKFLOWS = 1000, CONCURRENCY = 10, TIMEOUT_SECONDS = 60] = process.argv.slice(2, 5).map(Number);
const SIDES = (process.argv[5] ?? 'ours,ours-idle-off,official').split(',');
const ACTIVITY_MS = 300;
const MEMORY_MB = 256; // examples/basic/cloudformation/function.yaml
const DRAIN_LIMIT_MS = 20 * 60_000;
const say = (message) => console.error(`[burst] ${new Date().toISOString().slice(11, 19)} ${message}`);

/** Copies the fixture next to each side's @temporalio packages and bundles it with that side's worker. */
async function prepare() {
  if (!existsSync(path.join(root, 'dist', 'index.cjs')))
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (!existsSync(path.join(bench, 'node_modules', '@temporalio', 'lambda-worker')))
    execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: bench, stdio: 'inherit' });
  const dirs = { ours: path.join(root, '.bench-work', 'burst'), official: path.join(bench, '.work', 'burst') };
  for (const [side, dir] of Object.entries(dirs)) {
    mkdirSync(dir, { recursive: true });
    for (const file of ['package.json', 'workflows.js', 'activities.js'])
      copyFileSync(path.join(bench, 'burst', file), path.join(dir, file));
    const { bundleWorkflowCode } = createRequire(path.join(dir, 'package.json'))('@temporalio/worker');
    const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(dir, 'workflows.js'), logger: quiet });
    writeFileSync(path.join(dir, 'workflow-bundle.js'), code);
    say(`bundled the workflow with ${side}'s @temporalio/worker`);
  }
  const files = (dir) => ({
    BENCH_ACTIVITIES: path.join(dir, 'activities.js'),
    BENCH_BUNDLE: path.join(dir, 'workflow-bundle.js'),
  });
  return {
    ours: { taskRoot: path.join(bench, 'burst'), handler: 'ours-handler.handler', env: files(dirs.ours) },
    'ours-idle-off': {
      taskRoot: path.join(bench, 'burst'),
      handler: 'ours-handler.handler',
      env: { ...files(dirs.ours), TLW_IDLE_EXIT_MS: 'off' },
    },
    official: { taskRoot: bench, handler: 'official-handler.handler', env: files(dirs.official) },
    'ours-mi': {
      taskRoot: path.join(bench, 'burst'),
      handler: 'ours-handler.handler',
      env: files(dirs.ours),
      mi: true,
    },
    'ours-mi-per-invocation': {
      taskRoot: path.join(bench, 'burst'),
      handler: 'ours-handler.handler',
      env: { ...files(dirs.ours), TLW_SHARE_WORKER: 'off' },
      mi: true,
    },
    'official-mi': { taskRoot: bench, handler: 'official-handler.handler', env: files(dirs.official), mi: true },
  };
}

/**
 * The emulator and a fresh server with the Worker Controller. Managed Instances start their
 * environments (which read TEMPORAL_ADDRESS) inside startLambdaEmulator: the server starts first,
 * pointed at a relay that is given the emulator's Lambda API once it runs.
 */
async function startStack(side, functionEnv) {
  const common = {
    taskRoot: side.taskRoot,
    handler: side.handler,
    timeoutSeconds: TIMEOUT_SECONDS,
    memoryMb: MEMORY_MB,
  };
  if (!side.mi) {
    const emulator = await startLambdaEmulator({ ...common, concurrency: CONCURRENCY, env: functionEnv });
    const server = await startServerWithWorkerController({ lambdaApiUrl: emulator.lambdaApiUrl });
    emulator.setEnv({ TEMPORAL_ADDRESS: server.address });
    return { emulator, server, relay: undefined };
  }
  const relay = await startLambdaApiRelay();
  const server = await startServerWithWorkerController({ lambdaApiUrl: relay.url });
  try {
    const env = { ...functionEnv, ...MI_FUNCTION_ENV, TEMPORAL_ADDRESS: server.address };
    const emulator = await startLambdaEmulator({ ...common, managedInstances: MI_SLOTS, env });
    relay.setTarget(emulator.lambdaApiUrl);
    return { emulator, server, relay };
  } catch (error) {
    await server.stop();
    await relay.close();
    throw error;
  }
}

async function runSide(name, side) {
  const taskQueue = `burst-${name}`;
  const deploymentName = `burst-${name}`;
  const { emulator, server, relay } = await startStack(side, {
    ...side.env,
    BENCH_DEPLOYMENT: deploymentName,
    BENCH_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'ERROR',
    OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:9',
  });
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    say(`${name}: registering the version (the controller's first invoke)`);
    await registerServerlessVersion(connection, { deploymentName, buildId: 'b1', functionArn: emulator.functionArn });
    // From zero: no worker, no environment (Managed Instances keep theirs: no invocation running).
    if (!side.mi) for (const environment of emulator.environments()) environment.kill();
    await emulator.idle();
    const before = emulator.invocations.length;
    const instanceMsBefore = side.mi ? emulator.summary(before).instanceMs : 0;
    const ids = Array.from({ length: WORKFLOWS }, (_, i) => `${name}-${i}`);
    say(`${name}: starting ${WORKFLOWS} workflows at once`);
    const startedAt = Date.now();
    const serverPort = Number(server.address.split(':').at(-1));
    const sampler = side.mi ? startBurstSampler({ emulator, connection, taskQueue, serverPort, startedAt }) : undefined;
    await Promise.all(
      ids.map((workflowId) => client.workflow.start('burst', { taskQueue, workflowId, args: [ACTIVITY_MS] })),
    );
    say(`${name}: all started in ${Date.now() - startedAt} ms`);
    await drained(client, taskQueue, WORKFLOWS, { limitMs: DRAIN_LIMIT_MS, say });
    const { spans, completedAtMs, ...counted } = await census(client, taskQueue, ids, startedAt);
    say(`${name}: drained; waiting for the invocations still running or queued to end`);
    await emulator.idle();
    const sampled = await sampler?.stop();
    const lambda = emulator.summary(before);
    const served = emulator.invocations.slice(before);
    const coldStartsAtMs = served.filter((i) => i.cold).map((i) => i.startMs - startedAt);
    const result = { side: name, ...counted, ...lambda, lastColdStartMs: Math.max(0, ...coldStartsAtMs) };
    if (side.mi)
      Object.assign(result, sampled, { burstInstanceSeconds: (lambda.instanceMs - instanceMsBefore) / 1000 });
    const record = served.map(
      ({ requestId, environmentId, cold, source, queuedAt, startMs, endMs, billedMs, outcome, lateEndMs }) => ({
        requestId,
        environmentId,
        cold,
        source,
        queuedMs: queuedAt - startedAt,
        startMs: startMs - startedAt,
        endMs: endMs - startedAt,
        billedMs,
        outcome,
        ...(lateEndMs === undefined ? {} : { lateEndMs: lateEndMs - startedAt }),
      }),
    );
    writeFileSync(path.join(bench, '.work', `burst-${name}-invocations.json`), JSON.stringify(record, null, 1));
    say(JSON.stringify(result));
    return { result, series: sideSeries(record, spans, completedAtMs) };
  } finally {
    await connection.close();
    await emulator.stop();
    await server.stop();
    await relay?.close();
  }
}

const SIDE_NAMES = {
  ours: 'ours (idle exit 5 s, default)',
  'ours-idle-off': 'ours, idle exit off',
  official: 'official 1.23.0',
};

function section(results) {
  const s = (ms) => (ms / 1000).toFixed(1);
  const rows = results.map(
    (r) =>
      `| ${SIDE_NAMES[r.side]} | ${r.completed} | ${r.lost} | ${r.duplicated} | ${r.retried} | ${s(r.firstStartToLastCloseMs)} | ${s(r.p50LatencyMs)} | ${s(r.p99LatencyMs)} | ${r.peakEnvironments} | ${s(r.lastColdStartMs)} | ${r.coldStarts} | ${r.invocations} | ${r.timeouts} | ${s(r.billedMs)} | ${r.gbSeconds.toFixed(1)} |`,
  );
  return [
    '## Burst from zero: the Worker Controller scaling the function',
    '',
    `\`npm run bench:burst\` (${new Date().toISOString().slice(0, 10)}): ${WORKFLOWS} workflows started at once with no worker running, each one activity of ${ACTIVITY_MS} ms; the real Worker`,
    `Controller (no-sync scaler, defaults) invokes the function in the Lambda emulator: at most ${CONCURRENCY} execution environments (reserved`,
    `concurrency), ${TIMEOUT_SECONDS} s timeout, ${MEMORY_MB} MB; Event invokes beyond the limit wait in the emulator's async queue, as on Lambda.`,
    "Each side on a fresh server. Completed, lost and duplicated are counted from the server's visibility; latency is each",
    "workflow's start to close on the server; billed time includes every invocation the burst caused, until the last one ended.",
    '',
    '| Side | Completed | Lost | Duplicated | Activities retried | First start to last close (s) | p50 latency (s) | p99 latency (s) | Peak environments | Last cold start (s after the first start) | Cold starts | Invocations | Timed out | Billed (s) | GB-s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '![Burst: environments, backlog and completions over time](charts/burst.svg)',
  ].join('\n');
}

const MEASURES = [
  ['environments', 'Execution environments running', 'environments'],
  ['backlog', 'Backlog (workflows started, not yet closed)', 'workflows'],
  ['completed', 'Workflows completed', 'workflows'],
];

/** A panel per measure, a line per side. */
function chart(seriesBySide) {
  return timeSeriesChart({
    title: `Burst from zero: ${WORKFLOWS} workflows at once, at most ${CONCURRENCY} execution environments`,
    xLabel: 'seconds after the first workflow start',
    panels: MEASURES.map(([measure, title, yLabel]) => ({
      title,
      yLabel,
      series: Object.entries(seriesBySide).map(([side, series]) => ({
        name: SIDE_NAMES[side],
        step: true,
        points: thin(series[measure]).map(([atMs, value]) => [atMs / 1000, value]),
      })),
    })),
  });
}

ensureServerlessLoop();
const sides = await prepare();
const results = [];
const seriesBySide = {};
for (const name of SIDES) {
  if (!sides[name]) throw new Error(`Unknown side ${name}: use ${Object.keys(sides).join(', ')}.`);
  const { result, series } = await runSide(name, sides[name]);
  results.push(result);
  if (!sides[name].mi) seriesBySide[name] = series;
}
const defaultModeResults = results.filter((r) => !sides[r.side].mi);
const managedResults = results.filter((r) => sides[r.side].mi);
const write = process.env.BURST_WRITE_RESULTS !== '0';
if (defaultModeResults.length > 0) {
  writeFileSync(
    path.join(bench, '.work', 'burst-series.json'),
    JSON.stringify({ x: 'ms after the first workflow start', sides: seriesBySide }),
  );
  const text = section(defaultModeResults);
  if (!write) console.log(text);
  else {
    writeResultsSection('Burst from zero', text);
    mkdirSync(path.join(bench, 'charts'), { recursive: true });
    writeFileSync(path.join(bench, 'charts', 'burst.svg'), chart(seriesBySide));
  }
}
if (managedResults.length > 0) {
  const text = managedInstancesSection(managedResults, {
    workflows: WORKFLOWS,
    activityMs: ACTIVITY_MS,
    timeoutSeconds: TIMEOUT_SECONDS,
  });
  if (!write) console.log(text);
  else writeResultsSection('Burst under Lambda Managed Instances', text);
}
