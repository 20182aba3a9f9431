/**
 * The SDK's finalize race, made to happen on the real worker: @temporalio/worker resolves a poll's
 * promise before its Rust side drops its copy of the native worker, so `finalizeShutdown` can
 * find two references and fail the worker's run with IllegalStateError "Worker still in use"
 * after every task completed. On a small Lambda CPU that is a real outcome. Here a plugin starts
 * native polls just before the SDK's own finalizeShutdown, which holds the second reference for
 * certain. The invocation must still succeed, and the next one must work on a new connection.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { WorkerPlugin } from '@temporalio/worker';
import { testHandler } from '../support/handler';
import { invoke } from '../support/invoke';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';

const address = inject('temporalAddress');
const bundlePath = inject('workflowBundlePath');

/** The SDK's NativeWorker, as far as the plugin touches it. */
interface NativeWorkerInternals {
  finalizeShutdown(): Promise<void>;
  pollActivityTask(): Promise<unknown>;
  pollWorkflowActivation(): Promise<unknown>;
}

/** Makes each worker's finalization race a backlog of native polls until one loses; records what finalize threw. */
class FinalizeRacer implements WorkerPlugin {
  readonly name = 'finalize-racer';
  readonly finalizeErrors: unknown[] = [];
  /** Off for the first invocation, which only registers the version. */
  armed = false;

  runWorker(
    worker: Parameters<NonNullable<WorkerPlugin['runWorker']>>[0],
    next: (w: typeof worker) => Promise<void>,
  ): Promise<void> {
    if (this.armed && this.finalizeErrors.length === 0) {
      const native = (worker as unknown as { nativeWorker: NativeWorkerInternals }).nativeWorker;
      const finalize = native.finalizeShutdown.bind(native);
      native.finalizeShutdown = async () => {
        // Each call copies the native worker's handle at once and keeps it until Tokio has run its
        // poll; a backlog of them keeps the last copies alive when finalizeShutdown runs.
        const polls = Array.from({ length: 200 }, () => [native.pollActivityTask(), native.pollWorkflowActivation()])
          .flat()
          .map((poll) => poll.catch(() => undefined));
        try {
          await finalize();
        } catch (error) {
          this.finalizeErrors.push(error);
          throw error;
        } finally {
          await Promise.all(polls);
        }
      };
    }
    return next(worker);
  }
}

let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await connectClient(address));
});
afterAll(async () => {
  await closeClient();
});

describe('the worker\'s native finalization races a poll (IllegalStateError "Worker still in use")', () => {
  it('ends the invocation successfully after its workflow completed, and the next invocation works on a new connection', async () => {
    const racer = new FinalizeRacer();
    const t = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address },
      configure: (config) => {
        config.idleExitMs = 500;
        config.workerOptions.plugins = [racer];
      },
    });
    // The version exists once a worker polled: one invocation registers it and makes it current.
    // Each later workflow starts before its invocation, so that its task waits on the queue for
    // the worker (idle exit is 500 ms; a workflow started after it would wait for ever).
    const registering = invoke(t.handler, 30_000);
    await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
    expect((await registering).error).toBeUndefined();
    racer.armed = true;
    const runOne = async (name: string) => {
      const workflow = await client.workflow.start('greeting', {
        taskQueue: t.taskQueue,
        workflowId: uniqueName('wf'),
        args: [name],
      });
      const record = await invoke(t.handler, 30_000);
      return { result: await workflow.result(), record };
    };
    // Tokio can run the backlog of polls before finalizeShutdown looks; then that invocation
    // simply ends as usual and the next one tries again.
    let raced: Awaited<ReturnType<typeof runOne>> | undefined;
    let attempts = 0;
    while (raced === undefined && attempts < 15) {
      const outcome = await runOne(`try ${++attempts}`);
      expect(outcome.result).toBe(`Hello, try ${attempts}!`);
      expect(outcome.record.error).toBeUndefined();
      if (racer.finalizeErrors.length > 0) raced = outcome;
    }
    console.log(`finalize race reproduced in attempt ${attempts}`);

    // The SDK's finalizeShutdown threw what it throws on Lambda, after the workflow completed.
    expect(racer.finalizeErrors).toHaveLength(1);
    expect(String(racer.finalizeErrors[0])).toMatch(/IllegalStateError: Worker still in use/);
    const warning = t.logs
      .records()
      .find((line) => line.level === 'WARN' && /could not finalize it/.test(String(line.message)));
    expect(JSON.stringify(warning)).toMatch(/Expected 1 reference/);
    let summaries = t.logs.records().filter((line) => line.message === 'Invocation summary');
    expect(summaries).toHaveLength(1 + attempts);
    expect(summaries.at(-1)).toMatchObject({ endReason: 'idle', level: 'INFO' });
    expect((summaries.at(-1)!.tasks as { activities: number }).activities).toBe(1);

    // The connection the raced worker stayed registered with was closed, not kept.
    const after = await runOne('after');
    expect(after.result).toBe('Hello, after!');
    expect(after.record.error).toBeUndefined();
    summaries = t.logs.records().filter((line) => line.message === 'Invocation summary');
    expect(summaries.at(-1)).toMatchObject({ endReason: 'idle', level: 'INFO', connectionReused: false });
    expect((summaries.at(-1)!.tasks as { activities: number }).activities).toBe(1);
  });
});
