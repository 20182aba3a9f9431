/**
 * The real serverless loop on loopback: the handler runs inside the Lambda emulator under the
 * real runtime client (aws-lambda-ric on Node 22, or 24 with TLW_LAMBDA_NODE=24), whose deadline kills the runtime like Lambda
 * does; and the real Temporal Worker Controller scales the function from zero.
 */
import * as path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
// @ts-expect-error plain ESM script without types
import { startLambdaEmulator } from '../emulator/lambda-emulator.mjs';
// @ts-expect-error plain ESM script without types
import { registerServerlessVersion, startServerWithWorkerController } from '../emulator/controller.mjs';
// @ts-expect-error plain ESM script without types
import { startTestServer } from '../../scripts/testserver.mjs';
import { makeVersionCurrent, uniqueName } from '../support/temporal';
import { logged } from '../support/logs';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures');
const bundlePath = inject('workflowBundlePath');
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Emulated {
  invoke(event?: unknown): Promise<{
    outcome: string;
    marginMs: number;
    durationMs: number;
    cold: boolean;
    requestId: string;
    source: string;
  }>;
  invocations: Array<{
    outcome?: string;
    source: string;
    cold: boolean;
    marginMs: number;
    startMs: number;
    queuedAt: number;
  }>;
  logs: Array<{ line: string; requestId?: string }>;
  functionArn: string;
  lambdaApiUrl: string;
  idle(): Promise<void>;
  reclaim(): void;
  setEnv(vars: Record<string, string>): void;
  stop(): Promise<void>;
}

async function emulator(env: Record<string, string>, timeoutSeconds = 12): Promise<Emulated> {
  const emu = (await startLambdaEmulator({
    taskRoot: fixtures,
    handler: 'lambda-handler.handler',
    timeoutSeconds,
    env: { TLW_WORKFLOW_BUNDLE: bundlePath, ...env },
  })) as Emulated;
  cleanups.push(() => emu.stop());
  return emu;
}

async function client(address: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  cleanups.push(() => connection.close());
  return new Client({ connection });
}

const linesOf = (emu: Emulated, requestId: string) =>
  emu.logs.filter((entry) => entry.requestId === requestId).map((entry) => entry.line);

describe('inside the Lambda emulator, under the real runtime client', () => {
  it('completes a workflow and ends before the emulator deadline, with no "Task timed out"', async () => {
    const server = await startTestServer();
    cleanups.push(() => server.stop());
    const temporal = await client(server.address);
    const deploymentName = uniqueName('dep');
    const taskQueue = uniqueName('emu');
    const emu = await emulator({
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TLW_DEPLOYMENT_NAME: deploymentName,
    });
    const invocation = emu.invoke({});
    await makeVersionCurrent(temporal, deploymentName, 'b1');
    expect(
      await temporal.workflow.execute('greeting', { taskQueue, workflowId: uniqueName('wf'), args: ['emulator'] }),
    ).toBe('Hello, emulator!');
    const result = await invocation;
    console.log(`emulator: invocation ended ${result.marginMs} ms before the emulator's 12 s deadline`);
    expect(result.outcome).toBe('ok');
    expect(result.marginMs).toBeGreaterThan(0);
    const lines = linesOf(emu, result.requestId).join('\n');
    expect(lines).not.toMatch(/Task timed out/);
    expect(
      logged(linesOf(emu, result.requestId), { message: 'Invocation summary', endReason: 'deadline' }),
    ).toHaveLength(1);
    expect(logged(linesOf(emu, result.requestId), { message: 'test hook ran' })).toHaveLength(1);
    const runtimeNode = /"nodeVersion":"v(\d+)\./.exec(lines)?.[1];
    expect(runtimeNode).toBe(process.env.TLW_LAMBDA_NODE || '22'); // the runtime's Node, not the test runner's
    console.log(`emulator: the function ran on Node ${runtimeNode} (nodejs${runtimeNode}.x)`);
  });

  // The example's packed zip (bundled handler) runs in test/serverless/code-cache.test.ts, with its code cache.

  it('ends before the emulator kills it when an activity ignores cancellation, and the hooks ran', async () => {
    const server = await startTestServer();
    cleanups.push(() => server.stop());
    const temporal = await client(server.address);
    const deploymentName = uniqueName('dep');
    const taskQueue = uniqueName('stubborn');
    const emu = await emulator({
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TLW_DEPLOYMENT_NAME: deploymentName,
    });
    const invocation = emu.invoke({});
    await makeVersionCurrent(temporal, deploymentName, 'b1');
    await temporal.workflow.start('stubborn', { taskQueue, workflowId: uniqueName('wf'), args: [120_000] });
    const result = await invocation;
    console.log(`emulator, activity ignoring cancellation: ended ${result.marginMs} ms before the emulator's deadline`);
    expect(result.outcome).toBe('ok');
    const lines = linesOf(emu, result.requestId).join('\n');
    expect(
      logged(linesOf(emu, result.requestId), { message: /^Worker shutdown was forced|^Worker did not stop/ }),
    ).toHaveLength(1);
    expect(logged(linesOf(emu, result.requestId), { message: 'test hook ran' })).toHaveLength(1);
    expect(lines).not.toMatch(/Task timed out/);
  });
});

describe('the Temporal Worker Controller', () => {
  it('scales the function from zero: starting a workflow invokes it and the workflow completes', async () => {
    const deploymentName = uniqueName('dep');
    const taskQueue = uniqueName('scale');
    const emu = await emulator({ TLW_DEPLOYMENT_NAME: deploymentName, TEMPORAL_TASK_QUEUE: taskQueue }, 20);
    const server = await startServerWithWorkerController({ lambdaApiUrl: emu.lambdaApiUrl });
    cleanups.push(() => server.stop());
    emu.setEnv({ TEMPORAL_ADDRESS: server.address }); // read when the runtime starts, at the first invocation
    const temporal = await client(server.address);
    await registerServerlessVersion(temporal.connection, {
      deploymentName,
      buildId: 'b1',
      functionArn: emu.functionArn,
    });
    await emu.idle();
    emu.reclaim(); // no worker, no warm environment: a true cold start from zero
    const before = emu.invocations.length;

    const startMs = Date.now();
    const result = await temporal.workflow.execute('greeting', {
      taskQueue,
      workflowId: uniqueName('wf'),
      args: ['zero'],
    });
    const latencyMs = Date.now() - startMs;
    await emu.idle();
    const triggered = emu.invocations.slice(before);
    console.log(
      `scale from zero: ${triggered.length} invocation(s) by the Worker Controller, workflow start to completion ${latencyMs} ms (cold: ${triggered[0]?.cold})`,
    );

    expect(result).toBe('Hello, zero!');
    expect(triggered.length).toBeGreaterThanOrEqual(1);
    expect(triggered[0]!.source).toBe('Event');
    expect(triggered[0]!.cold).toBe(true);
    for (const invocation of triggered) expect(invocation.outcome).toBe('ok');
  });
});
