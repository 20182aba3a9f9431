/**
 * The official test 'Runtime.install called with runtimeOptions', ported: the first `runWorker`
 * of a process installs the Temporal Runtime from `config.runtimeOptions`. In a file of its own,
 * because the Runtime is installed once per process (vitest runs each file in a fresh one).
 */
import { expect, it } from 'vitest';
import { Runtime } from '@temporalio/worker';
import { compatHandler } from './support';

// official: 'Runtime.install called with runtimeOptions'
it("installs the Runtime at runWorker with the config's runtimeOptions (no shutdown signals)", () => {
  expect(Runtime._instance).toBeUndefined();
  compatHandler((config, q) => {
    config.workerOptions.taskQueue = q;
  });
  expect(Runtime._instance).toBeInstanceOf(Runtime);
  expect(Runtime.instantiator).toBe('install'); // installed by runWorker, not created on first use
  expect(Runtime.instance().options.shutdownSignals).toEqual([]);
});
