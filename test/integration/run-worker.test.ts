/**
 * The real handler against a real Temporal server, with real remaining time: work ends at
 * deadline - buffer, the handler settles after work end and before the deadline, whatever the
 * server or the activities do.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { WorkerPlugin } from '@temporalio/worker';
import type { LambdaWorkerConfig } from '../../src/config/lambda-config';
import { echoHandler } from '../fixtures/nexus-handler';
import { testHandler } from '../support/handler';
import { emptyDir, invoke, reportMargin } from '../support/invoke';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';
import { logged } from '../support/logs';

const address = inject('temporalAddress');
const bundlePath = inject('workflowBundlePath');
const REMAINING_MS = 12_000;
const BUFFER_MS = 3_000;

let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await connectClient(address));
});
afterAll(async () => {
  await closeClient();
});

describe('runWorker against a real server', () => {
  it('runs a workflow with an activity, runs the hooks, and settles after work end and before the deadline', async () => {
    const t = testHandler({ bundlePath, env: { TEMPORAL_ADDRESS: address } });
    const invocation = invoke(t.handler, REMAINING_MS);
    const current = makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
    const workflowId = uniqueName('wf');
    const result = await client.workflow.execute('greeting', { taskQueue: t.taskQueue, workflowId, args: ['Lambda'] });
    await current;
    const record = await invocation;
    reportMargin('workflow with activity', record);

    expect(result).toBe('Hello, Lambda!');
    expect(record.error).toBeUndefined();
    const workEndMs = record.context.deadlineMs - BUFFER_MS;
    expect(record.settledMs).toBeGreaterThanOrEqual(workEndMs);
    expect(record.settledMs).toBeLessThan(record.context.deadlineMs);
    expect(t.hookCalls).toHaveLength(1);
    expect(t.hookCalls[0]).toBeGreaterThanOrEqual(workEndMs);
    const summary = t.logs.records().find((line) => line.message === 'Invocation summary');
    expect(summary).toMatchObject({ endReason: 'deadline', requestId: record.context.awsRequestId, level: 'INFO' });
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const identities = history
      .events!.map((event) => event.workflowTaskStartedEventAttributes?.identity)
      .filter(Boolean);
    expect(identities).toContain(`${record.context.awsRequestId}@${record.context.invokedFunctionArn}`);
  });

  it('uses TEMPORAL_TASK_QUEUE over the code value and a temporal.toml found in LAMBDA_TASK_ROOT', async () => {
    const taskQueue = uniqueName('env-tq');
    const taskRoot = emptyDir();
    writeFileSync(
      path.join(taskRoot, 'temporal.toml'),
      `[profile.default]\naddress = "${address}"\nnamespace = "default"\n`,
    );
    const t = testHandler({
      bundlePath,
      env: { TEMPORAL_TASK_QUEUE: taskQueue, LAMBDA_TASK_ROOT: taskRoot },
      configure: (config) => void (config.workerOptions.taskQueue = 'queue-set-in-code'),
    });
    const invocation = invoke(t.handler, REMAINING_MS);
    await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
    const result = await client.workflow.execute('greeting', {
      taskQueue,
      workflowId: uniqueName('wf'),
      args: ['env'],
    });
    const record = await invocation;
    reportMargin('env task queue + toml', record);

    expect(result).toBe('Hello, env!');
    expect(record.error).toBeUndefined();
    const configured = t.logs.records().find((line) => line.message === 'Lambda worker configured');
    expect(configured).toMatchObject({ taskQueue, configFile: path.join(taskRoot, 'temporal.toml'), address });
  });

  it('exits early when idle, and a warm invocation reuses the kept connection', async () => {
    const idleExitMs = 2_000;
    const configure = (config: LambdaWorkerConfig) => void (config.idleExitMs = idleExitMs);
    const t = testHandler({ bundlePath, env: { TEMPORAL_ADDRESS: address }, configure });
    const cold = invoke(t.handler, 30_000);
    await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
    expect(
      await client.workflow.execute('greeting', {
        taskQueue: t.taskQueue,
        workflowId: uniqueName('wf'),
        args: ['idle'],
      }),
    ).toBe('Hello, idle!');
    const coldRecord = await cold;
    const warmRecord = await invoke(t.handler, 30_000);
    const summaries = t.logs.records().filter((line) => line.message === 'Invocation summary');
    reportMargin('idle exit (cold)', coldRecord);
    console.log(`time to first poll: cold ${summaries[0]!.startupMs} ms, warm ${summaries[1]!.startupMs} ms`);

    expect(coldRecord.error).toBeUndefined();
    expect(summaries[0]).toMatchObject({ endReason: 'idle', connectionReused: false });
    expect((summaries[0]!.tasks as { activities: number }).activities).toBe(1);
    expect((summaries[0]!.tasks as { workflowActivations: number }).workflowActivations).toBeGreaterThanOrEqual(2);
    expect(coldRecord.marginMs).toBeGreaterThan(15_000);
    expect(summaries[1]).toMatchObject({ endReason: 'idle', connectionReused: true });
    // The warm invocation's idle exit, timed from the event it counts from (polling started, by the
    // test's clock plus the summary's startup time) rather than a fixed bound on the whole call:
    // not before idleExitMs of polling, and long before the work end (deadline - buffer), where an
    // invocation that missed its idle exit would end.
    const pollingFromMs = warmRecord.startedMs + (summaries[1]!.startupMs as number);
    expect(warmRecord.settledMs - pollingFromMs).toBeGreaterThanOrEqual(idleExitMs);
    expect(warmRecord.settledMs).toBeLessThan(warmRecord.context.deadlineMs - BUFFER_MS - idleExitMs);
  });

  it('serves a Nexus operation: idle exit waits for it, and the summary counts it', async () => {
    const t = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address },
      configure: (config) => {
        config.idleExitMs = 1_500;
        config.workerOptions.nexusServices = [echoHandler];
      },
    });
    const endpoint = uniqueName('tlw-echo');
    await client.connection.operatorService.createNexusEndpoint({
      spec: { name: endpoint, target: { worker: { namespace: 'default', taskQueue: t.taskQueue } } },
    });
    const invocation = invoke(t.handler, 30_000);
    await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
    const result = await client.workflow.execute('nexusEcho', {
      taskQueue: t.taskQueue,
      workflowId: uniqueName('wf'),
      args: [endpoint, 'nexus', 4_000],
    });
    const record = await invocation;
    reportMargin('Nexus operation with idle exit', record);

    expect(result).toBe('echo: nexus');
    expect(record.error).toBeUndefined();
    const summary = t.logs.records().find((line) => line.message === 'Invocation summary');
    expect(summary).toMatchObject({ endReason: 'idle', tasks: { nexusOperations: 1 } });
    expect(record.marginMs).toBeGreaterThan(10_000);
  });

  it('fails a workflow that never yields as a deadlock and still settles before the deadline (in-process workflows)', async () => {
    const t = testHandler({ bundlePath, env: { TEMPORAL_ADDRESS: address } });
    const invocation = invoke(t.handler, REMAINING_MS);
    await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
    const workflowId = uniqueName('wf');
    await client.workflow.start('spin', { taskQueue: t.taskQueue, workflowId });
    const record = await invocation;
    reportMargin('workflow that never yields', record);

    expect(record.error).toBeUndefined();
    expect(record.settledMs).toBeLessThan(record.context.deadlineMs);
    expect(t.hookCalls).toHaveLength(1);
    const polling = t.logs.records().find((line) => line.message === 'Worker polling');
    expect(polling).toMatchObject({ activationLimitMs: 1_000 });
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const failures = history
      .events!.map((event) => event.workflowTaskFailedEventAttributes?.failure?.message)
      .filter(Boolean);
    expect(failures.join('\n')).toMatch(/Script execution timed out after 1000ms/);
  });

  it('counts idle time from when polling starts behind a plugin whose runWorker is async, and shuts the worker down then', async () => {
    // As the SDK's SimplePlugin does with an async `runContext`: the worker starts polling only
    // when the plugin calls next, and refuses shutdown until then.
    const startDelayMs = 4_000;
    let pollingFromMs = 0;
    const slowStart: WorkerPlugin = {
      name: 'slow-start',
      runWorker: async (worker, next) => {
        await new Promise((resolve) => setTimeout(resolve, startDelayMs));
        pollingFromMs = Date.now();
        return next(worker);
      },
    };
    const t = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address },
      configure: (config) => {
        config.idleExitMs = 2_000;
        config.workerOptions.plugins = [slowStart];
      },
    });
    const invocation = invoke(t.handler, 30_000);
    await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
    const result = await client.workflow.execute('greeting', {
      taskQueue: t.taskQueue,
      workflowId: uniqueName('wf'),
      args: ['late'],
    });
    const record = await invocation;

    expect(result).toBe('Hello, late!');
    expect(record.error).toBeUndefined();
    expect(logged(t.logs.lines, { message: /abandoning/ })).toEqual([]);
    const summary = t.logs.records().find((line) => line.message === 'Invocation summary')!;
    expect(summary).toMatchObject({ endReason: 'idle', level: 'INFO' });
    expect((summary.tasks as { activities: number }).activities).toBe(1);
    // Shut down after 2 s of polling with nothing to do (not 2 s after the start), not kept to the deadline.
    const shutdownAtMs = Date.parse(
      String(t.logs.records().find((line) => /shutting the worker down early/.test(String(line.message)))!.timestamp),
    );
    expect(shutdownAtMs - pollingFromMs).toBeGreaterThanOrEqual(2_000);
    expect(record.settledMs - record.startedMs).toBeLessThan(20_000);
  });

  it('runs workflows with a resource-based tuner in place of the Lambda slot limits', async () => {
    const t = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address },
      configure: (config) =>
        void (config.workerOptions.tuner = { tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 } }),
    });
    const invocation = invoke(t.handler, REMAINING_MS);
    await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
    const result = await client.workflow.execute('greeting', {
      taskQueue: t.taskQueue,
      workflowId: uniqueName('wf'),
      args: ['tuned'],
    });
    expect(result).toBe('Hello, tuned!');
    expect((await invocation).error).toBeUndefined();
  });

  it('runs workflows in a worker thread when config.workflowThread is set', async () => {
    const t = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address },
      configure: (config) => void (config.workflowThread = true),
    });
    const invocation = invoke(t.handler, REMAINING_MS);
    await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
    const result = await client.workflow.execute('greeting', {
      taskQueue: t.taskQueue,
      workflowId: uniqueName('wf'),
      args: ['thread'],
    });
    const record = await invocation;
    reportMargin('workflow in a worker thread', record);

    expect(result).toBe('Hello, thread!');
    expect(record.error).toBeUndefined();
    expect(record.settledMs).toBeLessThan(record.context.deadlineMs);
    expect(t.logs.records().find((line) => line.message === 'Lambda worker configured')).toMatchObject({
      workflowThread: true,
    });
    expect(t.logs.records().find((line) => line.message === 'Worker polling')).not.toHaveProperty('activationLimitMs');
  });
});
