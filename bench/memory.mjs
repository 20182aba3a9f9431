// Memory levers for ours under the 256 MB Lambda profile: peak RSS and workflows per second of one
// invocation draining 200 workflows, for glibc's malloc settings (env vars a function can set) and
// the code-cache zip, each against the example template's environment in the same run, alternating,
// and the SDK's Worker alone with the same options (no library) for reference.
// Lambda's own V8 heap flags come first on node's command line and win over NODE_OPTIONS, so
// the V8 heap is not a lever a function can pull. Writes its section of bench/RESULTS.md.
// Usage: node bench/memory.mjs [runs=3]
import { Client, Connection } from '@temporalio/client';
import { startTestServer } from '../scripts/testserver.mjs';
import {
  ALL_CPUS,
  LAMBDA_PROFILE,
  LOAD_WORKFLOWS,
  drain,
  invokeOnce,
  median,
  pinHost,
  plainWorker,
  prepare,
  registerVersion,
  rssMb,
  say,
} from './sides.mjs';
import { writeResultsSection } from './support.mjs';

const RUNS = Number(process.argv[2] ?? 3);

const sides = await prepare();
/** name -> [side, extra environment over the template's] */
const VARIANTS = {
  "the template's environment (MALLOC_ARENA_MAX=2)": [sides.ours, {}],
  "glibc's defaults (no MALLOC_* settings)": [{ ...sides.ours, env: {} }, {}],
  'MALLOC_ARENA_MAX=1': [sides.ours, { MALLOC_ARENA_MAX: '1' }],
  'MALLOC_ARENA_MAX=2, MALLOC_TRIM_THRESHOLD_=131072, MALLOC_MMAP_THRESHOLD_=131072': [
    sides.ours,
    { MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '131072' },
  ],
  'the zip packed with --code-cache (template environment)': [sides.oursCodeCache, {}],
};
/** The SDK's Worker alone, loaded from node_modules as its docs show, with ours' options and the template's environment. */
const PLAIN = 'a plain Worker, no library (same options, template environment)';

const server = await startTestServer();
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
try {
  const id = `memory-${Date.now()}`;
  const env = { TEMPORAL_ADDRESS: server.address, BENCH_DEPLOYMENT: id, BENCH_TASK_QUEUE: id, LOG_LEVEL: 'ERROR' };
  await registerVersion(client, sides.ours, env);
  const plainDrain = await plainWorker(client, server.address, sides.ours.workDir, sides.ours.env);
  pinHost(LAMBDA_PROFILE.hostCpus, server);
  const results = Object.fromEntries([...Object.keys(VARIANTS), PLAIN].map((name) => [name, { rssMb: [], wps: [] }]));
  for (let run = 0; run < RUNS; run++) {
    say(`${PLAIN} (${run + 1}/${RUNS})`);
    const plain = await plainDrain(LAMBDA_PROFILE);
    results[PLAIN].rssMb.push(rssMb(plain.reply));
    results[PLAIN].wps.push(plain.workflowsPerSecond);
    for (const [name, [side, extra]] of Object.entries(VARIANTS)) {
      say(`${name} (${run + 1}/${RUNS})`);
      const variant = { ...side, env: { ...side.env, ...extra } };
      const { workflowsPerSecond, reply } = await drain(
        client,
        id,
        `${id}-${run}-${Object.keys(VARIANTS).indexOf(name)}`,
        invokeOnce(variant, env, LAMBDA_PROFILE),
      );
      results[name].rssMb.push(rssMb(reply));
      results[name].wps.push(workflowsPerSecond);
    }
  }
  pinHost(ALL_CPUS, server);
  const [baseline] = Object.values(results);
  const ratio = (a, b) => +(a / b).toFixed(2);
  const section = [
    '## Memory levers',
    '',
    `\`node bench/memory.mjs ${RUNS}\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}): ours draining ${LOAD_WORKFLOWS} workflows (one activity each) in one`,
    `invocation under the ${LAMBDA_PROFILE.name}, each variant in a fresh process, variants alternating, medians of ${RUNS}.`,
    "Lambda's V8 heap flags come first on node's command line and win over NODE_OPTIONS: the V8 heap is",
    "not a setting a function can change, so the levers are glibc's malloc settings and what the zip holds.",
    "The last row is the SDK's Worker alone (bench/plain-worker.cjs, unbundled, as the SDK's docs start one), ours' options",
    "and the template's environment, in a fresh process per run, next to each round of ours.",
    '',
    '| Variant | Peak RSS | vs template | Workflows per second | vs template |',
    '|---|---|---|---|---|',
    ...Object.entries(results).map(
      ([name, r]) =>
        `| ${name} | ${median(r.rssMb)} MB | ${ratio(median(r.rssMb), median(baseline.rssMb))} | ${median(r.wps)} | ${ratio(median(r.wps), median(baseline.wps))} |`,
    ),
    '',
    `Raw: ${JSON.stringify(results)}`,
  ].join('\n');
  writeResultsSection('Memory levers', section);
} finally {
  await connection.close();
  await server.stop();
}
