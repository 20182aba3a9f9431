import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runShutdownHooks } from '../../src/lifecycle/hooks';
import { JsonLogger } from '../../src/logging/logger';
import { logged } from '../support/logs';

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
