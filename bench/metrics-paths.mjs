// What each telemetry path costs: none, EMF metrics on stdout, OTLP metrics to a real receiver,
// and tracing: on OpenTelemetry JS 1.x, on 2.x (an app with the 2.x packages and the packed
// library), and under the ADOT JavaScript layer's distro (loaded before the function, exporting to
// the receiver; its Lambda instrumentation wraps the handler and flushes after each invocation).
// - Cold init: process start to handler ready (package loaded, runWorker called), alternating.
// - Per invocation, warm: CPU time of an invocation that runs the same workflows, and the time
//   the path takes at the invocation's end (EMF: building and writing the documents; OTLP: the
//   flush to the receiver), against the real Temporal server.
// - Loading OpenTelemetry: @opentelemetry/sdk-node against the packages /otel loads, in the 2.x app.
// Usage: node bench/metrics-paths.mjs [coldRuns=11] [invocations=6] [workflows=10]
//   (build first: npm run build && npm run build:example)
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startOtlpReceiver, startTestServer } from '../scripts/testserver.mjs';
import { makeCurrent, sleep } from './support.mjs';
import { adotLayerEnv, ensureAdotLayer } from '../test/emulator/adot-layer.mjs';

const bench = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(bench, '..');
const [coldRuns, invocations, workflows] = [
  Number(process.argv[2] ?? 11),
  Number(process.argv[3] ?? 6),
  Number(process.argv[4] ?? 10),
];
const variants = ['none', 'emf', 'otlp', 'trace1x', 'trace2x', 'adot'];
const handlerPath = path.join(bench, 'metrics-handler.cjs');
const functionPath = path.join(bench, 'metrics-function.cjs');
const TRACING = new Set(['trace1x', 'trace2x', 'adot']);
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
// The tracing variants run workflows bundled with the workflow interceptors (part of their cost).
const otelBundlePath = path.join(work, 'workflow-bundle-otel.js');
const { makeOtelPlugin } = createRequire(import.meta.url)(path.join(root, 'dist/otel/index.cjs'));
const otelBundle = await bundleWorkflowCode({
  workflowsPath: createRequire(import.meta.url).resolve(path.join(root, 'examples/basic/lib/workflows.js')),
  plugins: [makeOtelPlugin({ endpoint: '127.0.0.1:1' }).plugin],
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
});
writeFileSync(otelBundlePath, otelBundle.code);

// An app on OpenTelemetry JS 2.x (the install lines /otel gives), with the packed library, and
// @opentelemetry/sdk-node of the same release for the loading comparison.
say('installing an app with OpenTelemetry JS 2.x and the packed library');
const app2x = path.join(work, 'app-2x');
execFileSync('mkdir', ['-p', app2x]);
writeFileSync(path.join(app2x, 'package.json'), JSON.stringify({ name: 'app-2x', private: true }));
const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' })
  .trim()
  .split('\n')
  .at(-1);
execFileSync(
  'npm',
  [
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    path.join(work, tarball),
    '@temporalio/interceptors-opentelemetry@1.24.0',
    '@opentelemetry/api@1.9.0',
    '@opentelemetry/core@2.12.1',
    '@opentelemetry/resources@2.12.1',
    '@opentelemetry/sdk-trace@2.12.1',
    '@opentelemetry/exporter-trace-otlp-grpc@0.223.1',
    '@opentelemetry/sdk-metrics@2.12.1',
    '@opentelemetry/exporter-metrics-otlp-grpc@0.212.0',
    '@opentelemetry/sdk-node@0.223.0',
  ],
  { cwd: app2x, stdio: ['ignore', 'ignore', 'inherit'] },
);
ensureAdotLayer({ log: say });

/** The ADOT layer's environment, as the emulator gives it, for a function in bench/. */
function adotEnv() {
  return {
    ...adotLayerEnv({ functionName: 'bench', region: 'us-east-1' }, 'bench/stream'),
    LAMBDA_TASK_ROOT: bench,
    _HANDLER: 'metrics-function.handler',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://${receiver.address}`,
  };
}

function envFor(variant, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: '/tmp',
    LOG_LEVEL: 'WARN',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    BENCH_METRICS: variant,
    BENCH_BUNDLE: TRACING.has(variant) ? otelBundlePath : bundlePath,
    ...(variant === 'trace2x' ? { BENCH_PACKAGE_DIR: app2x } : {}),
    ...(variant === 'adot' ? adotEnv() : {}),
    ...extra,
  };
}

/** Median time of a process that loads `modules` from `dir`. */
function loadTime(dir, modules, runs) {
  const times = [];
  const script = modules.map((name) => `require(${JSON.stringify(name)});`).join('');
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['-e', script], { cwd: dir, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`loading ${modules.join(', ')} failed`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

/** Process start to handler ready: the handler module loaded and runWorker called. */
function coldInit(variant) {
  const script = `require(${JSON.stringify(functionPath)})`;
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
    child.kill('SIGKILL'); // the ADOT distro's SDK holds a SIGTERM'd process open
  }
  return results;
}

const receiver = await startOtlpReceiver();
const server = await startTestServer();
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
  const nodeOnly = loadTime(app2x, [], coldRuns);
  const sdkNode = loadTime(app2x, ['@opentelemetry/sdk-node'], coldRuns);
  const small = loadTime(
    app2x,
    [
      '@opentelemetry/api',
      '@opentelemetry/core',
      '@opentelemetry/resources',
      '@opentelemetry/sdk-trace',
      '@opentelemetry/exporter-trace-otlp-grpc',
      '@opentelemetry/sdk-metrics',
      '@opentelemetry/exporter-metrics-otlp-grpc',
    ],
    coldRuns,
  );
  const loading = {
    nodeAloneMs: round(nodeOnly, 1),
    sdkNodeMs: round(sdkNode, 1),
    packagesOtelLoadsMs: round(small, 1),
    sdkNodeVsPackages: round((sdkNode - nodeOnly) / (small - nodeOnly)),
  };
  console.log(
    JSON.stringify({ node: process.version, coldRuns, workflowsPerInvocation: workflows, rows, loading }, null, 2),
  );
} finally {
  await connection.close();
  await receiver.stop();
  await server.stop();
}
