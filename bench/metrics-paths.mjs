// What each metrics path costs: none, EMF on stdout, OTLP to a real receiver.
// - Cold init: process start to handler ready (package loaded, runWorker called), alternating.
// - Per invocation, warm: CPU time of an invocation that runs the same workflows, and the time
//   the metrics path takes at the invocation's end (EMF: building and writing the documents;
//   OTLP: the flush to the receiver), against the real Temporal server.
// Usage: node bench/metrics-paths.mjs [coldRuns=11] [invocations=6] [workflows=10]
//   (build first: npm run build && npm run build:example)
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startOtlpReceiver, startTestServer } from '../scripts/testserver.mjs';
import { makeCurrent, sleep } from './support.mjs';

const bench = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(bench, '..');
const [coldRuns, invocations, workflows] = [
  Number(process.argv[2] ?? 11),
  Number(process.argv[3] ?? 6),
  Number(process.argv[4] ?? 10),
];
const variants = ['none', 'emf', 'otlp'];
const handlerPath = path.join(bench, 'metrics-handler.cjs');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value, digits = 2) => +value.toFixed(digits);
const say = (line) => process.stderr.write(`${line}\n`);

for (const file of ['dist/index.cjs', 'dist/otel/index.cjs', 'examples/basic/lib/workflows.js']) {
  if (!existsSync(path.join(root, file)))
    throw new Error(`${file} is missing: run npm run build && npm run build:example`);
}
const work = mkdtempSync(path.join(tmpdir(), 'tlw-metrics-bench-'));
const bundlePath = path.join(work, 'workflow-bundle.js');
const { code } = await bundleWorkflowCode({
  workflowsPath: createRequire(import.meta.url).resolve(path.join(root, 'examples/basic/lib/workflows.js')),
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
});
writeFileSync(bundlePath, code);

function envFor(variant, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: '/tmp',
    LOG_LEVEL: 'WARN',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    BENCH_METRICS: variant,
    BENCH_BUNDLE: bundlePath,
    ...extra,
  };
}

/** Process start to handler ready: the handler module loaded and runWorker called. */
function coldInit(variant) {
  const script = `require(${JSON.stringify(handlerPath)})`;
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(
      process.execPath,
      ['-e', `process.send=()=>{};${script};process.stdout.write('ready\\n');process.exit(0)`],
      {
        env: envFor(variant, {
          TEMPORAL_ADDRESS: '127.0.0.1:1',
          BENCH_TASK_QUEUE: 'q',
          BENCH_DEPLOYMENT: 'd',
          BENCH_OTLP_ENDPOINT: '127.0.0.1:1',
        }),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    child.stdout.on(
      'data',
      (chunk) => String(chunk).includes('ready') && resolve(Number(process.hrtime.bigint() - start) / 1e6),
    );
    child.on('exit', (code) => code !== 0 && reject(new Error(`cold init of ${variant}: exit ${code}`)));
  });
}

/** One execution environment of `variant`: a first (cold) invocation, then `invocations` warm ones. */
async function warmInvocations(client, variant, otlpEndpoint, index) {
  const taskQueue = `metrics-${variant}-${index}-${Date.now()}`;
  const child = fork(handlerPath, [], {
    env: envFor(variant, {
      TEMPORAL_ADDRESS: server.address,
      BENCH_TASK_QUEUE: taskQueue,
      BENCH_DEPLOYMENT: taskQueue,
      BENCH_OTLP_ENDPOINT: otlpEndpoint,
    }),
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let emfBytes = 0;
  child.stdout.on(
    'data',
    (chunk) =>
      (emfBytes += String(chunk)
        .split('\n')
        .filter((line) => line.includes('"_aws"'))
        .reduce((n, line) => n + line.length + 1, 0)),
  );
  const messages = [];
  child.on('message', (message) => messages.push(message));
  const next = async () => {
    const count = messages.length;
    while (messages.length === count) await sleep(5);
    return messages[count];
  };
  await next(); // ready
  const results = [];
  try {
    for (let i = 0; i <= invocations; i++) {
      const bytesBefore = emfBytes;
      child.send({ invoke: 60_000 });
      if (i === 0) await makeCurrent(client, taskQueue);
      await Promise.all(
        Array.from({ length: workflows }, (_, w) =>
          client.workflow.execute('greet', { taskQueue, workflowId: `${taskQueue}-${i}-${w}`, args: [`w${w}`] }),
        ),
      );
      const result = await next();
      if (result.error) throw new Error(`${variant} invocation failed: ${result.error}`);
      await sleep(100); // let the child's stdout reach us
      if (i > 0) results.push({ ...result, emfBytes: emfBytes - bytesBefore });
    }
  } finally {
    child.kill();
  }
  return results;
}

const server = await startTestServer();
const receiver = await startOtlpReceiver();
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
try {
  say(`cold init, ${coldRuns} alternating runs per variant`);
  const cold = Object.fromEntries(variants.map((variant) => [variant, []]));
  for (let i = 0; i < coldRuns; i++) for (const variant of variants) cold[variant].push(await coldInit(variant));
  say(
    `warm invocations: ${invocations} per variant, ${workflows} workflows each, two environments per variant in alternating order`,
  );
  const warm = Object.fromEntries(variants.map((variant) => [variant, []]));
  for (let round = 0; round < 2; round++) {
    for (const variant of round === 0 ? variants : [...variants].reverse())
      warm[variant].push(...(await warmInvocations(client, variant, receiver.address, round)));
  }
  const rows = variants.map((variant) => {
    const runs = warm[variant];
    return {
      variant,
      coldInitMs: round(median(cold[variant]), 1),
      coldInitVsNone: round(median(cold[variant]) / median(cold.none)),
      cpuMsPerInvocation: round(median(runs.map((r) => r.cpuMs)), 1),
      cpuVsNone: round(median(runs.map((r) => r.cpuMs)) / median(warm.none.map((r) => r.cpuMs))),
      endCostMs: round(median(runs.map((r) => r.endCostMs)), 3),
      endCostMaxMs: round(Math.max(...runs.map((r) => r.endCostMs)), 3),
      emfBytesPerInvocation: median(runs.map((r) => r.emfBytes)),
      workflowActivations: median(runs.map((r) => r.tasks.workflowActivations)),
      invocations: runs.length,
    };
  });
  console.log(JSON.stringify({ node: process.version, coldRuns, workflowsPerInvocation: workflows, rows }, null, 2));
} finally {
  await connection.close();
  await receiver.stop();
  await server.stop();
}
