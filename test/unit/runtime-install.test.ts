/**
 * The Temporal Runtime is installed once per process: by the first setup, reused by the next.
 * Vitest runs this file in a process of its own, so its first handler installs it; a runner that
 * shares the process (StrykerJS may) has one installed already, and then both reuse it.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { installedRuntime } from '../../src/sdk-internals';
import { fakeHandler } from '../support/fake-handler';

beforeEach(() => void vi.spyOn(process.stdout, 'write').mockImplementation(() => true));
afterEach(() => void vi.restoreAllMocks());

it("says which setup installed the process's Runtime: the first one, now; the next ones reuse it", () => {
  const before = installedRuntime();
  const first = fakeHandler();
  const second = fakeHandler();
  const installed = [first, second].map(
    (h) => h.lines.find((line) => line.message === 'Lambda worker configured')?.runtimeInstalled,
  );
  expect(installed).toEqual([before === undefined ? 'now' : 'reused', 'reused']);
  expect(installedRuntime()).toBeDefined();
});
