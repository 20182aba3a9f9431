/**
 * Virtual time for whole invocations: the library's timers (through the {@link Clock} it is
 * given) and the fake world's events share one timeline, which runs as fast as the code does.
 * `stall` moves the clock without running timers, as a blocked event loop does: every timer due
 * meanwhile then fires late, in order.
 */
import type { Clock } from '../../src/lifecycle/clock';

interface Timer {
  atMs: number;
  seq: number;
  callback: () => void;
  /** `library`: set through the Clock interface; `world`: an event of the fakes. */
  owner: 'library' | 'world';
}

/** Lets every pending promise callback run (one macrotask turn drains the microtask queue). */
export const flushPromises = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs the clock until `promise` settles, then gives its outcome (resolves or rejects as it did). */
export async function settle<T>(clock: FakeClock, promise: Promise<T>): Promise<T> {
  let done = false;
  void promise.finally(() => (done = true)).catch(() => undefined);
  await clock.run(() => done);
  return promise;
}

export class FakeClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(startMs = 1_700_000_000_000) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    return this.add(callback, delayMs, 'library');
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Schedules an event of the fake world. */
  at(delayMs: number, callback: () => void): void {
    this.add(callback, delayMs, 'world');
  }

  /** Moves the clock on without running the timers due meanwhile. */
  stall(ms: number): void {
    this.nowMs += ms;
  }

  /** Timers the library set and has not cleared or run. */
  get libraryTimers(): number {
    return [...this.timers.values()].filter((timer) => timer.owner === 'library').length;
  }

  /**
   * Runs events in time order until `done()` holds, nothing is left to run, or the next event is
   * after `untilMs`. Resolves with whether `done()` held.
   */
  async run(done: () => boolean, untilMs = Infinity): Promise<boolean> {
    for (;;) {
      await flushPromises();
      if (done()) return true;
      const next = this.next();
      if (next === undefined || next[1].atMs > untilMs) {
        if (untilMs !== Infinity) this.nowMs = Math.max(this.nowMs, untilMs);
        return false;
      }
      this.timers.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].atMs);
      next[1].callback();
    }
  }

  private next(): [number, Timer] | undefined {
    let best: [number, Timer] | undefined;
    for (const entry of this.timers) {
      const [, timer] = entry;
      if (best === undefined || timer.atMs < best[1].atMs || (timer.atMs === best[1].atMs && timer.seq < best[1].seq))
        best = entry;
    }
    return best;
  }

  private add(callback: () => void, delayMs: number, owner: Timer['owner']): number {
    const seq = ++this.seq;
    this.timers.set(seq, { atMs: this.nowMs + Math.max(0, delayMs), seq, callback, owner });
    return seq;
  }
}
