/**
 * A real handler (`runWorkerWith`) on the fake SDK in virtual time, for the lifecycle's unit
 * tests: one call per invocation, run until the handler settles, with its parsed log lines.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { LambdaWorkerConfig } from '../../src/config/lambda-config';
import { JsonLogger } from '../../src/logging/logger';
import { runWorkerWith } from '../../src/lifecycle/run-worker';
import { makeContext, type FakeContext } from './context';
import { FakeClock } from './fake-clock';
import { FakeWorld, type WorkerScript, type WorldScript } from './fake-sdk';

export const cwd = mkdtempSync(path.join(tmpdir(), 'tlw-rules-'));
export const version = { deploymentName: 'rules', buildId: 'b1' };
export const quietWorker: WorkerScript = { startDelayMs: 0, drainMs: 50, finalizeRace: false, tasks: [] };
export const fastWorld: WorldScript = {
  connectMs: 20,
  connectFails: false,
  checkMs: 5,
  checkFails: false,
  createMs: 20,
  createFails: false,
  closeMs: 5,
  workers: [quietWorker],
};

/** One invocation of {@link fakeHandler}: how it settled, and its summary line. */
export interface FakeInvocation {
  error?: unknown;
  /** The handler rejected (also with `undefined`). */
  rejected: boolean;
  settledMs?: number;
  context: FakeContext;
  startedMs: number;
  deadlineMs: number;
  summary: Record<string, unknown> | undefined;
}

/** A handler on a fake world; `configure` runs after the defaults of these tests. */
export function fakeHandler(
  world: Partial<WorldScript> = {},
  configure: (config: LambdaWorkerConfig) => void | Promise<void> = () => undefined,
  env: Record<string, string> = {},
  options: { ownLogger?: boolean; presetTaskQueue?: boolean; cwd?: string } = {},
) {
  const clock = new FakeClock();
  const fake = new FakeWorld(clock, { ...fastWorld, ...world });
  const lines: Array<Record<string, unknown>> = [];
  const handler = runWorkerWith(
    version,
    (config) => {
      if (options.presetTaskQueue !== false) config.workerOptions.taskQueue = 'rules-tq';
      config.idleExitMs = false;
      if (options.ownLogger !== false) {
        config.logger = new JsonLogger({ write: (line) => void lines.push(JSON.parse(line)), level: 'DEBUG' });
      }
      return configure(config);
    },
    { env, cwd: options.cwd ?? cwd, deps: fake.deps() },
  );
  /** Invokes with `remainingMs` and runs the world until the handler settles. */
  const invoke = async (remainingMs: number): Promise<FakeInvocation> => {
    const context = makeContext(remainingMs, {}, clock);
    const startedMs = clock.now();
    let outcome: { error?: unknown; settledMs?: number; rejected: boolean } = { rejected: false };
    handler({}, context).then(
      () => void (outcome = { settledMs: clock.now(), rejected: false }),
      (error: unknown) => void (outcome = { error, settledMs: clock.now(), rejected: true }),
    );
    await clock.run(() => outcome.settledMs !== undefined);
    return {
      ...outcome,
      context,
      startedMs,
      deadlineMs: context.deadlineMs,
      summary: lines.filter((line) => line.message === 'Invocation summary').at(-1),
    };
  };
  return { handler, clock, world: fake, lines, invoke };
}
