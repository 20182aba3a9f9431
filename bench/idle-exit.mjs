// Idle exit against the real Worker Controller loop: a sporadic workload (one workflow every
// GAP seconds) served by a function with TIMEOUT seconds, without idle exit and with several
// idleExitMs values. Reports billed seconds (the sum of invocation durations, as Lambda bills
// them) and each workflow's latency from start to completion.
// Usage: node bench/idle-exit.mjs [workflows=4] [gapSeconds=20] [timeoutSeconds=60] [idle values ms, comma-separated=off,2000,10000]
import { Client, Connection } from '@temporalio/client';
import { ensureServerlessLoop } from '../test/emulator/setup.mjs';
import { startLambdaEmulator } from '../test/emulator/lambda-emulator.mjs';
import { registerServerlessVersion, startServerWithWorkerController } from '../test/emulator/controller.mjs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [workflows = 4, gapSeconds = 20, timeoutSeconds = 60] = process.argv.slice(2, 5).map(Number);
const variants = (process.argv[5] ?? 'off,2000,10000').split(',');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function run(idle) {
  const emulator = await startLambdaEmulator({
    taskRoot: here,
    handler: 'handler.handler',
    timeoutSeconds,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:9',
      LOG_LEVEL: 'WARN',
      ...(idle === 'off' ? {} : { TLW_IDLE_EXIT_MS: idle }),
    },
  });
  const server = await startServerWithWorkerController({ lambdaApiUrl: emulator.lambdaApiUrl });
  emulator.setEnv({ TEMPORAL_ADDRESS: server.address });
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    await registerServerlessVersion(connection, {
      deploymentName: 'bench',
      buildId: 'b1',
      functionArn: emulator.functionArn,
    });
    await emulator.idle();
    emulator.reclaim();
    const before = emulator.invocations.length;
    const latencies = [];
    for (let i = 0; i < workflows; i++) {
      if (i > 0) await sleep(gapSeconds * 1000);
      const start = Date.now();
      await client.workflow.execute('greet', {
        taskQueue: 'lambda-example',
        workflowId: `bench-${idle}-${i}-${start}`,
        args: [`w${i}`],
      });
      latencies.push(Date.now() - start);
    }
    await emulator.idle();
    const served = emulator.invocations.slice(before);
    const billedSeconds = served.reduce((sum, invocation) => sum + invocation.billedMs, 0) / 1000;
    return {
      idleExitMs: idle,
      invocations: served.length,
      billedSeconds: +billedSeconds.toFixed(1),
      latencyMs: latencies,
      medianLatencyMs: median(latencies),
      maxLatencyMs: Math.max(...latencies),
    };
  } finally {
    await connection.close();
    await emulator.stop();
    await server.stop();
  }
}

ensureServerlessLoop();
const results = [];
for (const idle of variants) {
  const result = await run(idle);
  console.log(JSON.stringify(result));
  results.push(result);
}
const base = results.find((r) => r.idleExitMs === 'off');
console.log(
  JSON.stringify(
    {
      workflows,
      gapSeconds,
      timeoutSeconds,
      results: results.map((r) => ({
        ...r,
        billedVsOff: base ? +(r.billedSeconds / base.billedSeconds).toFixed(2) : undefined,
      })),
    },
    null,
    2,
  ),
);
