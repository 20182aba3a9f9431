// `npm run demo`: the whole serverless loop on this machine, from zero workers.
// Builds (or reuses) what it needs, starts a Temporal server with the Worker Controller, the
// Lambda emulator running examples/basic under the real runtime client, registers the
// example's Worker Deployment Version with a compute config that points at the function, starts
// a workflow with no worker running, prints its result and the invocation's log lines, and
// stops every process it started.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { ensureServerlessLoop } from '../test/emulator/setup.mjs';
import { startLambdaEmulator } from '../test/emulator/lambda-emulator.mjs';
import { registerServerlessVersion, startServerWithWorkerController } from '../test/emulator/controller.mjs';
import { ensureTestServerBinary } from './testserver.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = path.join(root, 'examples', 'basic');
const say = (message) => console.log(`\x1b[1m==>\x1b[0m ${message}`);
const cleanups = [];

async function main() {
  if (!existsSync(path.join(root, 'dist', 'index.cjs'))) {
    say('Building temporal-lambda-worker');
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }
  if (
    !existsSync(path.join(example, 'lib', 'index.js')) ||
    !existsSync(path.join(example, 'lib', 'workflow-bundle.js'))
  ) {
    say('Building examples/basic (handler and pre-built workflow bundle)');
    execFileSync('npm', ['run', 'build:example'], { cwd: root, stdio: 'inherit' });
  }
  ensureTestServerBinary({ log: say });
  ensureServerlessLoop({ log: say });

  say('Starting the Lambda emulator (aws-lambda-ric on Node 22) with examples/basic, timeout 15 s');
  const emulator = await startLambdaEmulator({
    taskRoot: example,
    handler: 'lib/index.handler',
    timeoutSeconds: 15,
    functionName: 'temporal-lambda-worker-demo',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:4317', LOG_LEVEL: 'INFO' },
  });
  cleanups.push(() => emulator.stop());

  say('Starting a Temporal server with the Worker Controller on, pointed at the emulator');
  const server = await startServerWithWorkerController({ lambdaApiUrl: emulator.lambdaApiUrl });
  cleanups.push(() => server.stop());
  emulator.setEnv({ TEMPORAL_ADDRESS: server.address });
  say(`Temporal at ${server.address}; function ${emulator.functionArn}`);

  const connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection });
  await registerServerlessVersion(connection, {
    deploymentName: 'sdk-demo',
    buildId: 'v1',
    functionArn: emulator.functionArn,
    log: say,
  });
  await emulator.idle();
  emulator.reclaim();
  const before = emulator.invocations.length;

  say('No worker is running. Starting workflow greet("Lambda") on task queue lambda-example');
  const startMs = Date.now();
  const result = await client.workflow.execute('greet', {
    taskQueue: 'lambda-example',
    workflowId: `demo-${Date.now()}`,
    args: ['Lambda'],
  });
  const latencyMs = Date.now() - startMs;
  say(`Result: ${JSON.stringify(result)} (${latencyMs} ms from start to completion, scaled from zero)`);
  await emulator.idle();

  for (const invocation of emulator.invocations.slice(before)) {
    say(
      `Invocation ${invocation.requestId} (${invocation.source}, ${invocation.cold ? 'cold' : 'warm'}): ${invocation.outcome}, ${invocation.durationMs} ms, ended ${invocation.marginMs} ms before its deadline. Its log lines:`,
    );
    for (const entry of emulator.logs.filter((e) => e.requestId === invocation.requestId))
      console.log(`    ${entry.line}`);
  }
}

async function cleanup() {
  for (const step of cleanups.reverse()) await step().catch(() => undefined);
}

process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
main().then(
  () => cleanup().then(() => say('Done; every process the demo started is stopped.')),
  (error) =>
    cleanup().then(() => {
      console.error(error);
      process.exit(1);
    }),
);
