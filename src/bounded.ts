/** Waiting on a promise no later than an absolute time, with the timer always cleared. */

/** The outcome of {@link settleBefore}. */
export type Bounded<T> = { timedOut: false; value: T } | { timedOut: true };

/**
 * Resolves with the promise's value, or with `{ timedOut: true }` at `atMs` (ms since epoch),
 * whichever comes first. A rejection of `promise` before `atMs` rejects. The delay is clamped
 * at >= 0 and the timer is always cleared.
 */
export function settleBefore<T>(promise: Promise<T>, atMs: number, now: () => number = Date.now): Promise<Bounded<T>> {
  return new Promise<Bounded<T>>((resolve, reject) => {
    const timer = setTimeout(() => resolve({ timedOut: true }), Math.max(0, atMs - now()));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ timedOut: false, value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
