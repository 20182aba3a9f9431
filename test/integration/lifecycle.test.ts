/**
 * The lifecycle's edge paths on the real SDK and a real server (issue 17): a worker that has not
 * stopped by its forced-stop time, a worker created after its startup window, an async configure
 * that fails once, the smallest shutdown buffer, a hook that hangs after an idle exit, and a
 * resource-based tuner.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { WorkerPlugin } from '@temporalio/worker';
import { testHandler } from '../support/handler';
import { invoke } from '../support/invoke';
import { makeVersionCurrent, uniqueName } from '../support/temporal';

const address = inject('temporalAddress');
const bundlePath = inject('workflowBundlePath');
let connection: Connection;
let client: Client;

beforeAll(async () => {
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default' });
});
afterAll(async () => {
  await connection.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  for (const end = Date.now() + timeoutMs; !predicate(); await sleep(50)) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

describe('a worker that has not stopped by its forced-stop time', () => {
  it('keeps its connection out of reuse; the next invocation connects anew and works; the worker is stopped when it starts', async () => {
    // A plugin whose runWorker holds the first worker's start for 9 s (an async setup that hangs):
    // the worker is created and registered on its connection, but not polling, when work ends.
    let runs = 0;
    let firstStopped = false;
    const slowStart: WorkerPlugin = {
      name: 'slow-start',
      runWorker: async (worker, next) => {
        runs += 1;
        if (runs > 1) return next(worker);
        await sleep(9_000);
        try {
          return await next(worker);
        } finally {
          firstStopped = true;
        }
      },
    };
    const c = testHandler({ bundlePath, env: { TEMPORAL_ADDRESS: address }, configure: (config) => (config.workerOptions.plugins = [slowStart]) });
    const first = await invoke(c.handler, 6_000);
    expect(first.error).toBeUndefined();
    expect(first.settledMs).toBeLessThan(first.context.deadlineMs);
    expect(c.logs.records().some((line) => /abandoning it/.test(String(line.message)))).toBe(true);
    const second = invoke(c.handler, 10_000);
    await makeVersionCurrent(client, c.version.deploymentName, c.version.buildId);
    expect(await client.workflow.execute('greeting', { taskQueue: c.taskQueue, workflowId: uniqueName('wf'), args: ['next'] })).toBe('Hello, next!');
    const secondRecord = await second;
    expect(secondRecord.error).toBeUndefined();
    const summaries = c.logs.records().filter((line) => line.message === 'Invocation summary');
    expect(summaries.map((summary) => summary.connectionReused)).toEqual([false, false]);
    // The held worker starts 9 s after the first invocation began and is shut down at once.
    await until(() => firstStopped, 10_000, 'the abandoned worker to stop once its plugin let it start');
  }, 60_000);
});

describe('a worker created after its startup window', () => {
  it('fails the invocation clearly, is disposed of when it arrives, and rejects nothing unhandled', async () => {
    let creations = 0;
    let lateArrived = false;
    const slowCreate: WorkerPlugin = {
      name: 'slow-create',
      configureWorker: async (options) => {
        creations += 1;
        if (creations === 1) {
          await sleep(3_300);
          lateArrived = true;
        }
        return options;
      },
    };
    // A 2 s hook keeps the connection leased until the late worker exists (it arrives at about 3.4 s).
    const c = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address },
      hooks: [() => sleep(2_000)],
      configure: (config) => (config.workerOptions.plugins = [slowCreate]),
    });
    const first = await invoke(c.handler, 6_000); // 3 s of work time with the 3 s buffer
    expect((first.error as Error)?.name).toBe('StartupTimeoutError');
    expect((first.error as Error).message).toMatch(/^Creating the worker did not finish within the work window/);
    expect(first.settledMs).toBeLessThan(first.context.deadlineMs);
    await until(() => lateArrived, 5_000, 'the late worker');
    await sleep(1_000); // the late worker runs only to be shut down; an unhandled rejection would surface now
    expect(c.logs.records().some((line) => line.message === 'Closing the Temporal connection failed')).toBe(false);
    const second = invoke(c.handler, 10_000);
    await makeVersionCurrent(client, c.version.deploymentName, c.version.buildId);
    expect(await client.workflow.execute('greeting', { taskQueue: c.taskQueue, workflowId: uniqueName('wf'), args: ['late'] })).toBe('Hello, late!');
    expect((await second).error).toBeUndefined();
  }, 60_000);
});

describe('an async configure that fails once', () => {
  it('fails that invocation with its cause, and runs again at a later one, which works', async () => {
    let calls = 0;
    const c = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address },
      configureAsync: async () => {
        calls += 1;
        await sleep(50);
        if (calls === 1) throw new Error('ThrottlingException: Rate exceeded (secrets read)');
      },
    });
    const first = await invoke(c.handler, 10_000);
    expect((first.error as Error)?.message).toBe('ThrottlingException: Rate exceeded (secrets read)');
    await sleep(1_100); // the first backoff is 1 s
    const second = invoke(c.handler, 10_000);
    await makeVersionCurrent(client, c.version.deploymentName, c.version.buildId);
    expect(await client.workflow.execute('greeting', { taskQueue: c.taskQueue, workflowId: uniqueName('wf'), args: ['retry'] })).toBe('Hello, retry!');
    expect((await second).error).toBeUndefined();
    expect(calls).toBe(2);
  }, 60_000);
});

describe('the smallest shutdown buffer (500 ms)', () => {
  it('still tells the worker to stop before the handler settles, which is before the deadline', async () => {
    const c = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address },
      configure: (config) => {
        config.shutdownDeadlineBufferMs = 500;
        config.workerOptions.shutdownGraceTime = 0;
      },
    });
    const running = invoke(c.handler, 6_000);
    await makeVersionCurrent(client, c.version.deploymentName, c.version.buildId);
    expect(await client.workflow.execute('greeting', { taskQueue: c.taskQueue, workflowId: uniqueName('wf'), args: ['small'] })).toBe('Hello, small!');
    const record = await running;
    expect(record.error).toBeUndefined();
    expect(record.settledMs).toBeLessThan(record.context.deadlineMs);
    const lines = c.logs.records();
    expect(lines.some((line) => line.message === 'Work window ended: shutting the worker down')).toBe(true);
    expect(lines.find((line) => line.message === 'Invocation summary')).toMatchObject({ endReason: 'deadline' });
    expect(lines.some((line) => /abandoning it/.test(String(line.message)))).toBe(false);
  }, 60_000);
});

describe('a shutdown hook that hangs after an idle exit', () => {
  it('is cut off within the shutdown window from the start of the shutdown, not at the deadline', async () => {
    const c = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address },
      hooks: [() => new Promise(() => undefined)],
      configure: (config) => void (config.idleExitMs = 1_000),
    });
    const record = await invoke(c.handler, 60_000);
    expect(record.error).toBeUndefined();
    // Idle exit after 1 s of polling; the 3 s buffer leaves the hooks at most 2.5 s after that.
    const summary = c.logs.records().find((line) => line.message === 'Invocation summary')!;
    expect(summary).toMatchObject({ endReason: 'idle' });
    expect(record.settledMs - record.startedMs).toBeLessThan((summary.activeMs as number) + (summary.shutdownMs as number) + 2_500 + 500);
    expect(record.marginMs).toBeGreaterThan(50_000);
  }, 60_000);
});

describe('a resource-based tuner', () => {
  it('replaces the Lambda slot limits and runs workflows', async () => {
    const c = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address },
      configure: (config) => void (config.workerOptions.tuner = { tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 } }),
    });
    const running = invoke(c.handler, 10_000);
    await makeVersionCurrent(client, c.version.deploymentName, c.version.buildId);
    expect(await client.workflow.execute('greeting', { taskQueue: c.taskQueue, workflowId: uniqueName('wf'), args: ['tuned'] })).toBe('Hello, tuned!');
    expect((await running).error).toBeUndefined();
  }, 60_000);
});
