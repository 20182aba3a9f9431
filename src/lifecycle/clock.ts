/**
 * The clock and timers of the invocation lifecycle, injectable so that unit and model tests run
 * whole invocations in virtual time. Every timer the lifecycle sets goes through one of these.
 */

/** A clock reading in ms since the epoch, and one-shot timers. */
export interface Clock {
  now(): number;
  /** Calls `callback` once after `delayMs` (clamped at >= 0); returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The process clock. The global timer functions are looked up at each call, so that test
 * frameworks that replace them (fake timers) are honoured.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A repeating timer built from one-shot ones; `stop()` clears it for good. */
export function every(clock: Clock, periodMs: number, tick: () => void): { stop(): void } {
  let handle: unknown;
  let stopped = false;
  const schedule = (): void => {
    handle = clock.setTimeout(() => {
      if (stopped) return;
      tick();
      if (!stopped) schedule();
    }, periodMs);
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      clock.clearTimeout(handle);
    },
  };
}
