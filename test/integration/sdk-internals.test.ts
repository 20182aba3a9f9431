/**
 * Pins of the SDK internals that need a live worker (src/sdk-internals.ts), against the installed
 * `@temporalio/worker` and a real server: an SDK upgrade that moves one of them fails here, by name.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { installedRuntime, nexusOperationsInFlight, onWorkerStart, withActivationLimit } from '../../src/sdk-internals';
import { uniqueName } from '../support/temporal';

let connection: NativeConnection;
let worker: Worker;

beforeAll(async () => {
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await Worker.create(
    withActivationLimit(
      {
        connection,
        taskQueue: uniqueName('tq'),
        workflowBundle: { codePath: inject('workflowBundlePath') },
        debugMode: true,
      },
      1_234,
    ),
  );
});
afterAll(async () => {
  await connection.close();
});

it('installedRuntime is the Runtime the worker runs on', () => {
  expect(installedRuntime()).toBeInstanceOf(Runtime);
  expect(installedRuntime()).toBe(Runtime.instance());
});

it('Worker.create reads isolateExecutionTimeout (withActivationLimit) into its compiled options', () => {
  expect(worker.options.isolateExecutionTimeoutMs).toBe(1_234);
});

it("nexusOperationsInFlight finds the worker's count of in-flight Nexus operations", () => {
  const counts: number[] = [];
  const subscription = nexusOperationsInFlight(worker)?.subscribe((count) => counts.push(count));
  subscription?.unsubscribe();
  expect(counts).toEqual([0]);
});

it('onWorkerStart calls back when run() starts polling, with the worker RUNNING, and shutdown() works then', async () => {
  const states: string[] = [];
  expect(
    onWorkerStart(worker, () => {
      states.push(worker.getState());
      worker.shutdown();
    }),
  ).toBe(true);
  expect(states).toEqual([]);
  await worker.run();
  expect(states).toEqual(['RUNNING']);
  expect(worker.getState()).toBe('STOPPED');
});
