/**
 * Invocations that run at once in one thread, as Lambda Managed Instances runs them, on a real
 * Temporal server: with `AWS_LAMBDA_MAX_CONCURRENCY` set they share one worker (one connection,
 * one set of pollers, seen by the server as one poller identity), every workflow completes, each
 * activity is counted once, and every invocation settles before its own deadline; with
 * `shareWorker = false` the same invocations poll as one worker each.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { testHandler } from '../support/handler';
import { invoke, reportMargin, type InvocationRecord } from '../support/invoke';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';

const address = inject('temporalAddress');
const bundlePath = inject('workflowBundlePath');
let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  ({ client, close: closeClient } = await connectClient(address));
});
afterAll(async () => closeClient());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The identities the server saw polling the task queue's workflow tasks (the queue is the test's own). */
async function pollerIdentities(taskQueue: string): Promise<string[]> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (pollers ?? []).map((poller) => poller.identity ?? '');
}

/** Three invocations 1.5 s apart in one process, a dozen workflows while all three run. */
async function threeAtOnce(env: Record<string, string>, shareWorker?: boolean) {
  const t = testHandler({
    bundlePath,
    env: { TEMPORAL_ADDRESS: address, ...env },
    configure: (config) => {
      if (shareWorker !== undefined) config.shareWorker = shareWorker;
    },
  });
  const invocations: Array<Promise<InvocationRecord>> = [invoke(t.handler, 14_000)];
  await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
  for (const _ of [1, 2]) {
    await sleep(1_500);
    invocations.push(invoke(t.handler, 14_000));
  }
  await sleep(1_000);
  const identities = new Set(await pollerIdentities(t.taskQueue));
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      client.workflow.execute('greeting', {
        taskQueue: t.taskQueue,
        workflowId: uniqueName(`shared-${i}`),
        args: [`member ${i}`],
      }),
    ),
  );
  // Six activities of 1.5 s at once: a worker of 2 activity slots takes three rounds; the shared
  // worker of three members has six.
  const slowStartMs = Date.now();
  await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      client.workflow.execute('slowGreeting', {
        taskQueue: t.taskQueue,
        workflowId: uniqueName(`slow-${i}`),
        args: [`slow ${i}`, 1_500],
      }),
    ),
  );
  const slowMs = Date.now() - slowStartMs;
  const records = await Promise.all(invocations);
  const summaries = t.logs.records().filter((line) => line.message === 'Invocation summary');
  return { t, identities, results, records, summaries, slowMs };
}

describe('invocations that run at once in one thread', () => {
  it('share one worker under Managed Instances: one poller, the slots of three, every workflow done, each activity counted once', async () => {
    const { t, identities, results, records, summaries, slowMs } = await threeAtOnce({
      AWS_LAMBDA_MAX_CONCURRENCY: '8',
    });
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => `Hello, member ${i}!`));
    expect(records.map((record) => record.error)).toEqual([undefined, undefined, undefined]);
    for (const record of records) expect(record.marginMs).toBeGreaterThan(0);
    expect(identities.size, `pollers seen by the server: ${[...identities].join(', ')}`).toBe(1);
    const messages = t.logs.records().map((line) => line.message);
    expect(messages.filter((message) => message === 'Worker polling')).toHaveLength(1);
    expect(messages.filter((message) => message === 'Joined the running worker')).toHaveLength(2);
    expect(summaries.map((line) => line.sharedWorker).sort()).toEqual(['joined', 'joined', 'started']);
    const activities = summaries.reduce((sum, line) => sum + (line.tasks as { activities: number }).activities, 0);
    expect(activities).toBe(18);
    // Each member brought its 2 activity slots: the six slow activities ran at once.
    console.log(`six activities of 1.5 s on a worker shared by three invocations: ${slowMs} ms`);
    expect(slowMs).toBeLessThan(3_000);
    // The last to leave drained the worker: its margin is the buffer less the drain.
    reportMargin('shared worker, last member (3 s buffer, 14 s remaining)', records[2]!);
  }, 60_000);

  it('poll as one worker each with shareWorker = false', async () => {
    const { identities, results, records, summaries } = await threeAtOnce({ AWS_LAMBDA_MAX_CONCURRENCY: '8' }, false);
    expect(results).toHaveLength(12);
    expect(records.map((record) => record.error)).toEqual([undefined, undefined, undefined]);
    expect(identities.size).toBe(3);
    expect(summaries.map((line) => line.sharedWorker)).toEqual([undefined, undefined, undefined]);
  }, 60_000);
});
