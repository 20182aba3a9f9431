import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runShutdownHooks, type ShutdownHookContext, type ShutdownHookResult } from '../../src/lifecycle/hooks';
import { JsonLogger } from '../../src/logging/logger';
import { logged } from '../support/logs';
import { FakeClock } from '../support/fake-clock';

const quiet = new JsonLogger({ write: () => undefined });

describe('runShutdownHooks', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('runs hooks in order; one that throws is logged and the rest still run', async () => {
    const calls: string[] = [];
    const lines: string[] = [];
    const results = await runShutdownHooks(
      [
        () => void calls.push('a'),
        () => {
          calls.push('b');
          throw new Error('boom');
        },
        async () => void calls.push('c'),
      ],
      Date.now() + 3_000,
      new JsonLogger({ write: (line) => void lines.push(line) }),
    );
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(results.map((result) => result.outcome)).toEqual(['ok', 'failed', 'ok']);
    expect(
      logged(lines, { level: 'ERROR', message: 'Shutdown hook failed; running the next ones', hookIndex: 1 }),
    ).toHaveLength(1);
    expect(logged(lines, { hookIndex: 1 })[0]!.error).toMatchObject({ name: 'Error', message: 'boom' });
  });

  it('abandons a hook that hangs at its share of the time and still runs the next', async () => {
    const endByMs = Date.now() + 3_000;
    let aborted = false;
    const later: number[] = [];
    const running = runShutdownHooks(
      [
        ({ signal }) => new Promise<void>(() => signal.addEventListener('abort', () => void (aborted = true))),
        () => void later.push(Date.now()),
      ],
      endByMs,
      quiet,
    );
    await vi.advanceTimersByTimeAsync(1_500);
    const results = await running;
    expect(results.map((result) => result.outcome)).toEqual(['timed-out', 'ok']);
    expect(aborted).toBe(true);
    expect(later[0]).toBe(endByMs - 1_500);
  });

  it('skips hooks when no time is left', async () => {
    const called = vi.fn();
    const results = await runShutdownHooks([called], Date.now() - 1, quiet);
    expect(called).not.toHaveBeenCalled();
    expect(results[0]?.outcome).toBe('skipped');
  });
});

describe('runShutdownHooks, to the millisecond (virtual time)', () => {
  it('gives each hook an equal share of what is left when it starts, and passes on what a hook does not use', async () => {
    const clock = new FakeClock(0);
    const lines: string[] = [];
    const deadlines: number[] = [];
    const slow = (ms: number) => (context: ShutdownHookContext) => {
      deadlines.push(context.deadlineMs);
      return new Promise<void>((resolve) => clock.at(ms, resolve));
    };
    let results: ShutdownHookResult[] = [];
    void runShutdownHooks(
      [slow(100), slow(5_000), slow(10)],
      3_000,
      new JsonLogger({ write: (line) => void lines.push(line) }),
      clock,
    ).then((r) => (results = r));
    await clock.run(() => results.length > 0);
    // 3000 ms for three hooks: 1000 ms for the first; it uses 100, so the second gets 2900 / 2.
    expect(deadlines).toEqual([1_000, 100 + 1_450, 1_550 + 1_450]);
    expect(results).toEqual([
      { index: 0, outcome: 'ok', durationMs: 100 },
      { index: 1, outcome: 'timed-out', durationMs: 1_450 },
      { index: 2, outcome: 'ok', durationMs: 10 },
    ]);
    expect(
      logged(lines, {
        level: 'WARN',
        message: 'Shutdown hook did not finish in its time and was abandoned',
        hookIndex: 1,
        budgetMs: 1_450,
      }),
    ).toHaveLength(1);
  });

  it('skips a hook when no time is left, at the very end too, and says which', async () => {
    const clock = new FakeClock(0);
    const lines: string[] = [];
    const ran: number[] = [];
    const results = await runShutdownHooks(
      [() => void ran.push(0)],
      0,
      new JsonLogger({ write: (line) => void lines.push(line) }),
      clock,
    );
    expect(ran).toEqual([]);
    expect(results).toEqual([{ index: 0, outcome: 'skipped', durationMs: 0 }]);
    expect(
      logged(lines, {
        level: 'WARN',
        message: 'Shutdown hook skipped: no time left before the deadline',
        hookIndex: 0,
      }),
    ).toHaveLength(1);
  });
});
