/**
 * Waiting for something another process does (a server, a receiver, an emulator): check it again
 * and again until it holds or a bound passes, then fail with what was awaited and what was last
 * seen. Tests use it instead of a fixed sleep before an exact assertion.
 */

export interface PollOptions {
  /** How long to keep checking, from the first check. */
  timeoutMs: number;
  /** What is awaited, for the failure message: "3 workflow completions at the receiver". */
  what: string;
  /** Pause between checks. @default 100 */
  intervalMs?: number;
  /** What was seen instead, for the failure message; called once, at the timeout. */
  seen?: () => string;
}

type NotYet = undefined | null | false;
type Awaitable<T> = T | Promise<T>;

/** Thrown by {@link pollUntil} when the bound passes. */
export class PollTimeoutError extends Error {
  override readonly name = 'PollTimeoutError';
}

/**
 * Calls `check` until it returns something other than `undefined`, `null` or `false` (0 and ''
 * are answers), and returns that. A check that throws counts as not yet: the last error is named
 * in the failure and set as its `cause`.
 *
 * @throws {@link PollTimeoutError} after `timeoutMs`.
 * @example
 * const total = await pollUntil(() => count() >= 3 && count(), { timeoutMs: 9_000, what: '3 completions' });
 */
export async function pollUntil<T>(check: () => Awaitable<T | NotYet>, options: PollOptions): Promise<T> {
  const { timeoutMs, what, intervalMs = 100 } = options;
  const startedMs = Date.now();
  let attempts = 0;
  let lastError: unknown;
  for (;;) {
    attempts++;
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const elapsedMs = Date.now() - startedMs;
    if (elapsedMs >= timeoutMs) {
      const seen = options.seen === undefined ? '' : `; seen: ${options.seen()}`;
      const error = lastError === undefined ? '' : `; last error: ${String(lastError)}`;
      const message = `Timed out after ${elapsedMs} ms (${attempts} checks) waiting for ${what}${seen}${error}`;
      throw new PollTimeoutError(message, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, timeoutMs - elapsedMs)));
  }
}
