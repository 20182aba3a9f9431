/** Waiting on a promise no later than an absolute time, and results that arrive too late. */
import type { Logger } from '@temporalio/common';
import { systemClock, type Clock } from './clock';

/** The outcome of {@link settleBefore}. */
export type Bounded<T> = { timedOut: false; value: T } | { timedOut: true };

/**
 * Resolves with the promise's value, or with `{ timedOut: true }` at `atMs` (ms since epoch),
 * whichever comes first. A rejection of `promise` before `atMs` rejects. The delay is clamped
 * at >= 0 and the timer is always cleared. A rejection after `atMs` is handled (never
 * unhandled): the caller that gave up owns any cleanup, see {@link afterLate}.
 */
export function settleBefore<T>(promise: Promise<T>, atMs: number, clock: Clock = systemClock): Promise<Bounded<T>> {
  return new Promise<Bounded<T>>((resolve, reject) => {
    const timer = clock.setTimeout(() => resolve({ timedOut: true }), atMs - clock.now());
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve({ timedOut: false, value });
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Runs `cleanup` on the value of a promise the caller stopped waiting for, whenever it arrives.
 * Neither the promise's rejection nor the cleanup's can reject unhandled: both are logged at
 * debug level with `what` (the late step) so that a late failure never fails a later invocation.
 */
export function afterLate<T>(promise: Promise<T>, what: string, logger: Logger, cleanup: (value: T) => unknown): void {
  promise
    .then(cleanup)
    .catch((error: unknown) => logger.debug(`${what} failed after the invocation stopped waiting for it`, { error }));
}
