/**
 * Shutdown hooks: run in order after the worker stopped (or failed to start), each isolated
 * (a hook that throws is logged and the rest still run) and each bounded by its share of the
 * time left, so that a hook that hangs cannot push the handler past the deadline.
 */
import type { Logger } from '@temporalio/common';
import { settleBefore } from './bounded';
import { systemClock, type Clock } from './clock';

/** What a shutdown hook is told. */
export interface ShutdownHookContext {
  /** Absolute time (ms since epoch) by which this hook must be done. */
  deadlineMs: number;
  /** Aborted when the hook's time is up. */
  signal: AbortSignal;
}

/** A function run at the end of every invocation, for example to flush telemetry. */
export type ShutdownHook = (context: ShutdownHookContext) => void | Promise<void>;

/** What happened to one hook. */
export interface ShutdownHookResult {
  index: number;
  outcome: 'ok' | 'failed' | 'timed-out' | 'skipped';
  durationMs: number;
}

/**
 * Runs `hooks` in order until `endByMs`. Each hook gets an equal share of the time left when it
 * starts (time a hook does not use goes to the ones after it).
 */
export async function runShutdownHooks(
  hooks: readonly ShutdownHook[],
  endByMs: number,
  logger: Logger,
  clock: Clock = systemClock,
): Promise<ShutdownHookResult[]> {
  const results: ShutdownHookResult[] = [];
  for (const [index, hook] of hooks.entries()) {
    const startMs = clock.now();
    const leftMs = endByMs - startMs;
    if (leftMs <= 0) {
      logger.warn('Shutdown hook skipped: no time left before the deadline', { hookIndex: index });
      results.push({ index, outcome: 'skipped', durationMs: 0 });
      continue;
    }
    const hookDeadlineMs = startMs + leftMs / (hooks.length - index);
    const controller = new AbortController();
    let outcome: ShutdownHookResult['outcome'] = 'ok';
    try {
      const run = Promise.resolve().then(() => hook({ deadlineMs: hookDeadlineMs, signal: controller.signal }));
      const bounded = await settleBefore(run, hookDeadlineMs, clock);
      if (bounded.timedOut) {
        outcome = 'timed-out';
        logger.warn('Shutdown hook did not finish in its time and was abandoned', {
          hookIndex: index,
          budgetMs: Math.round(hookDeadlineMs - startMs),
        });
      }
    } catch (error) {
      outcome = 'failed';
      logger.error('Shutdown hook failed; running the next ones', { hookIndex: index, error });
    } finally {
      controller.abort();
    }
    results.push({ index, outcome, durationMs: clock.now() - startMs });
  }
  return results;
}
