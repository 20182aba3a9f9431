/** The connection cache on its own: leases, the check after a thaw, and the three ends of a lease. */
import { describe, expect, it } from 'vitest';
import { ConnectionCache } from '../../src/lifecycle/connection-cache';
import { JsonLogger } from '../../src/logging/logger';
import { FakeClock, settle } from '../support/fake-clock';

class Conn {
  closed = 0;
  constructor(
    readonly id: number,
    private readonly closeBehaviour: 'ok' | 'fail' | 'hang' = 'ok',
  ) {}
  close(): Promise<void> {
    this.closed += 1;
    if (this.closeBehaviour === 'fail') return Promise.reject(new Error('close failed'));
    if (this.closeBehaviour === 'hang') return new Promise(() => undefined);
    return Promise.resolve();
  }
}

function setup(
  options: { reuse?: boolean; check?: (c: Conn) => Promise<unknown>; closeBehaviour?: 'ok' | 'fail' | 'hang' } = {},
) {
  const clock = new FakeClock();
  const lines: Array<Record<string, unknown>> = [];
  const logger = new JsonLogger({ write: (line) => void lines.push(JSON.parse(line)), level: 'DEBUG' });
  const cache = new ConnectionCache<Conn>({ address: 'h:1' }, options.reuse ?? true, logger);
  let connects = 0;
  const factory = {
    clock,
    connect: () => Promise.resolve(new Conn(++connects, options.closeBehaviour)),
    check: options.check,
  };
  const messages = () => lines.map((line) => line.message);
  /** Each line as level, message and the error's message, if any. */
  const said = () =>
    lines.map((line) => [line.level, line.message, (line.error as { message?: string } | undefined)?.message]);
  return { clock, cache, factory, messages, said, connects: () => connects };
}

/** Runs an acquire to its end; it must have leased a connection. */
async function leased<T>(clock: FakeClock, acquiring: Promise<T | undefined>): Promise<T> {
  const lease = await settle(clock, acquiring);
  expect(lease, 'acquire leased nothing').toBeDefined();
  return lease!;
}

describe('ConnectionCache', () => {
  it('connects for the first lease, keeps a clean one, and reuses it when its check answers', async () => {
    const { clock, cache, factory, connects } = setup({ check: () => Promise.resolve() });
    const first = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
    expect(first).toMatchObject({ reused: false });
    expect(await cache.release(first.connection, { suspect: false }, clock.now() + 1_000, clock)).toBe('kept');
    expect(cache.idleCount).toBe(1);
    const second = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
    expect(second).toEqual({ connection: first.connection, reused: true });
    expect(connects()).toBe(1);
  });

  it('replaces a kept connection that does not answer within 1 s, and closes it', async () => {
    const { clock, cache, factory, messages } = setup({ check: () => new Promise(() => undefined) });
    const first = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
    await cache.release(first.connection, { suspect: false }, clock.now() + 1_000, clock);
    const startMs = clock.now();
    const second = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
    expect(clock.now() - startMs).toBe(1_000);
    expect(second).toMatchObject({ reused: false });
    expect(first.connection.closed).toBe(1);
    expect(messages()).toContain('Kept Temporal connection did not answer after the thaw; reconnecting');
  });

  it('checks no longer than the caller allows when that is under 1 s, and then opens nothing', async () => {
    const { clock, cache, factory, connects } = setup({ check: () => new Promise(() => undefined) });
    const first = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
    await cache.release(first.connection, { suspect: false }, clock.now() + 1_000, clock);
    const startMs = clock.now();
    expect(await settle(clock, cache.acquire(factory, clock.now() + 300))).toBeUndefined();
    expect(clock.now() - startMs).toBe(300);
    expect(connects()).toBe(1);
    await clock.run(() => first.connection.closed === 1);
    expect(first.connection.closed).toBe(1);
  });

  it('leaves the kept connections it had no time to check idle, and no timer behind', async () => {
    const { clock, cache, factory, connects } = setup({ check: () => new Promise(() => undefined) });
    const [a, b] = [
      await leased(clock, cache.acquire(factory, clock.now() + 5_000)),
      await leased(clock, cache.acquire(factory, clock.now() + 5_000)),
    ];
    await cache.release(a.connection, { suspect: false }, clock.now() + 1_000, clock);
    await cache.release(b.connection, { suspect: false }, clock.now() + 1_000, clock);
    const startMs = clock.now();
    expect(await settle(clock, cache.acquire(factory, clock.now() + 700))).toBeUndefined();
    expect(clock.now() - startMs).toBe(700);
    expect(clock.libraryTimers).toBe(0);
    expect(connects()).toBe(2);
    expect(cache.idleCount).toBe(1);
    await clock.run(() => false);
    expect([a.connection.closed, b.connection.closed]).toEqual([0, 1]);
  });

  it('gives up on a connect that outlasts the time it was given, and closes the connection when it opens', async () => {
    const { clock, cache } = setup();
    const late = new Conn(1);
    const factory = { clock, connect: () => new Promise<Conn>((resolve) => clock.at(2_000, () => resolve(late))) };
    const startMs = clock.now();
    expect(await settle(clock, cache.acquire(factory, startMs + 500))).toBeUndefined();
    expect(clock.now() - startMs).toBe(500);
    expect(clock.libraryTimers).toBe(0);
    await clock.run(() => false);
    expect(late.closed).toBe(1);
    expect(cache.idleCount).toBe(0);
  });

  it('replaces a kept connection whose check rejects', async () => {
    const { clock, cache, factory, messages } = setup({ check: () => Promise.reject(new Error('UNAVAILABLE')) });
    const first = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
    await cache.release(first.connection, { suspect: false }, clock.now() + 1_000, clock);
    expect(await settle(clock, cache.acquire(factory, clock.now() + 5_000))).toMatchObject({ reused: false });
    expect(first.connection.closed).toBe(1);
    expect(messages()).toContain('Kept Temporal connection failed its check; reconnecting');
  });

  it('closes a suspect connection, and every connection when reuse is off', async () => {
    const cases: Array<[boolean, boolean]> = [
      [true, true],
      [false, false],
    ];
    for (const [reuse, suspect] of cases) {
      const { clock, cache, factory } = setup({ reuse, check: () => Promise.resolve() });
      const lease = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
      expect(await cache.release(lease.connection, { suspect }, clock.now() + 1_000, clock)).toBe('closed');
      expect(lease.connection.closed).toBe(1);
      expect(cache.idleCount).toBe(0);
    }
  });

  it('never closes a connection a worker may hold until that worker settles, and never keeps it', async () => {
    const { clock, cache, factory } = setup({ check: () => Promise.resolve() });
    const lease = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
    let settleWorker!: () => void;
    const worker = new Promise<void>((resolve) => (settleWorker = resolve));
    expect(
      await cache.release(lease.connection, { suspect: false, heldUntil: worker }, clock.now() + 1_000, clock),
    ).toBe('held');
    await clock.run(() => false);
    expect(lease.connection.closed).toBe(0);
    expect(cache.idleCount).toBe(0);
    settleWorker();
    await clock.run(() => lease.connection.closed === 1);
    expect(lease.connection.closed).toBe(1);
  });

  it('closes a held connection also when its worker fails, and a failing late close rejects nothing', async () => {
    const { clock, cache, factory } = setup({ closeBehaviour: 'fail' });
    const lease = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
    await cache.release(
      lease.connection,
      { suspect: false, heldUntil: Promise.reject(new Error('worker failed')) },
      clock.now() + 1_000,
      clock,
    );
    await clock.run(() => lease.connection.closed === 1);
    expect(lease.connection.closed).toBe(1);
  });

  it('logs a close that fails or outlasts its time, and resolves anyway', async () => {
    const failing = setup({ reuse: false, closeBehaviour: 'fail' });
    const lease = await leased(failing.clock, failing.cache.acquire(failing.factory, failing.clock.now() + 5_000));
    await expect(
      failing.cache.release(lease.connection, { suspect: false }, failing.clock.now() + 1_000, failing.clock),
    ).resolves.toBe('closed');
    expect(failing.messages()).toContain('Closing the Temporal connection failed');
    const hanging = setup({ reuse: false, closeBehaviour: 'hang' });
    const held = await leased(hanging.clock, hanging.cache.acquire(hanging.factory, hanging.clock.now() + 5_000));
    const startMs = hanging.clock.now();
    await settle(
      hanging.clock,
      hanging.cache.release(held.connection, { suspect: false }, startMs + 400, hanging.clock),
    );
    expect(hanging.clock.now() - startMs).toBe(400);
    expect(hanging.messages()).toContain(
      'Closing the Temporal connection did not finish before the deadline; leaving it',
    );
  });

  it('closes idle connections it cannot check (no check function), and connects anew', async () => {
    const { clock, cache, factory, connects } = setup();
    const first = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
    await cache.release(first.connection, { suspect: false }, clock.now() + 1_000, clock);
    expect(await settle(clock, cache.acquire(factory, clock.now() + 5_000))).toMatchObject({ reused: false });
    await clock.run(() => first.connection.closed === 1);
    expect(first.connection.closed).toBe(1);
    expect(connects()).toBe(2);
  });

  describe('says what it did, word for word', () => {
    it('nothing at all for a kept connection it cannot check, which it closes', async () => {
      const { clock, cache, factory, said } = setup();
      const first = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
      await cache.release(first.connection, { suspect: false }, clock.now() + 1_000, clock);
      await settle(clock, cache.acquire(factory, clock.now() + 5_000));
      await clock.run(() => first.connection.closed === 1);
      expect(said()).toEqual([]);
    });

    it('a failed check with its error, and a failing close of that connection at debug level', async () => {
      const { clock, cache, factory, said } = setup({
        check: () => Promise.reject(new Error('UNAVAILABLE')),
        closeBehaviour: 'fail',
      });
      const first = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
      await cache.release(first.connection, { suspect: false }, clock.now() + 1_000, clock);
      await settle(clock, cache.acquire(factory, clock.now() + 5_000));
      await clock.run(() => false);
      expect(said()).toEqual([
        ['INFO', 'Kept Temporal connection failed its check; reconnecting', 'UNAVAILABLE'],
        [
          'DEBUG',
          'Closing a kept Temporal connection failed after the invocation stopped waiting for it',
          'close failed',
        ],
      ]);
    });

    it('a held connection, and its late close that fails', async () => {
      const { clock, cache, factory, said } = setup({ closeBehaviour: 'fail' });
      const lease = await leased(clock, cache.acquire(factory, clock.now() + 5_000));
      await cache.release(
        lease.connection,
        { suspect: false, heldUntil: Promise.resolve() },
        clock.now() + 1_000,
        clock,
      );
      await clock.run(() => false);
      expect(said()).toEqual([
        [
          'WARN',
          'A worker may still hold the Temporal connection: it is closed once that worker settles, and the next ' +
            'invocation connects anew',
          undefined,
        ],
        [
          'DEBUG',
          'Closing the connection of a worker that settled late failed after the invocation stopped waiting for it',
          'close failed',
        ],
      ]);
    });

    it('nothing for a close that ends in time; the error of a close that fails', async () => {
      const clean = setup({ reuse: false });
      const lease = await leased(clean.clock, clean.cache.acquire(clean.factory, clean.clock.now() + 5_000));
      await clean.cache.release(lease.connection, { suspect: false }, clean.clock.now() + 1_000, clean.clock);
      expect(clean.said()).toEqual([]);
      const failing = setup({ reuse: false, closeBehaviour: 'fail' });
      const other = await leased(failing.clock, failing.cache.acquire(failing.factory, failing.clock.now() + 5_000));
      await failing.cache.release(other.connection, { suspect: true }, failing.clock.now() + 1_000, failing.clock);
      expect(failing.said()).toEqual([['WARN', 'Closing the Temporal connection failed', 'close failed']]);
    });
  });
});
