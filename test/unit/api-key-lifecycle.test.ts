/**
 * A rotating API key in the lifecycle, on the fake SDK in virtual time: which key each connect
 * carries, when the key is read, what a refusal does (one read, one retry), what goes on the kept
 * and leased connections, and what setup says. The server of the fake world accepts only the keys
 * a test lists, and refuses others as core reports it.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionCache } from '../../src/lifecycle/connection-cache';
import { ConnectionFailedError, InvalidOptionError } from '../../src/errors';
import type { LambdaWorkerConfig } from '../../src/config/lambda-config';
import { JsonLogger } from '../../src/logging/logger';
import { makeContext } from '../support/context';
import { FakeClock } from '../support/fake-clock';
import { stdoutOfEachTest } from '../support/output-capture';
import { fakeHandler, quietWorker } from '../support/fake-handler';
import { KEY_REFUSED, type FakeConnection, type WorldScript } from '../support/fake-sdk';

const stdout = stdoutOfEachTest();

/** A handler whose key comes from a store the test changes; reads take no time. */
function rotating(world: Partial<WorldScript>, maxAgeMs?: number, extra: (c: LambdaWorkerConfig) => void = () => {}) {
  const store = { key: 'key-1', reads: 0 };
  const h = fakeHandler(
    { acceptedKeys: ['key-1'], ...world },
    (config) => {
      config.shutdownDeadlineBufferMs = 3_000;
      config.workerOptions.shutdownGraceTime = 1_000;
      config.idleExitMs = 500;
      config.apiKeySource = {
        name: 'the test store',
        maxAgeMs,
        read: () => {
          store.reads += 1;
          return Promise.resolve(store.key);
        },
      };
      extra(config);
    },
    { TEMPORAL_ADDRESS: 'temporal.example:7233' },
  );
  h.world.script.workers = [quietWorker];
  return { ...h, store };
}

const messages = (lines: Array<Record<string, unknown>>) => lines.map((line) => line.message);

describe('a rotating API key in the lifecycle', () => {
  it('connects with the key read at init, over TLS, and reads it once while it is young', async () => {
    const h = rotating({});
    const first = await h.invoke(10_000);
    const second = await h.invoke(10_000);
    expect([first.error, second.error]).toEqual([undefined, undefined]);
    expect(h.store.reads).toBe(1);
    expect(h.world.connectedWith).toEqual([{ address: 'temporal.example:7233', apiKey: 'key-1', tls: true }]);
    expect(second.summary).toMatchObject({ connectionReused: true });
    const configured = h.lines.find((line) => line.message === 'Lambda worker configured');
    expect(configured).toMatchObject({ keyReadFrom: 'the test store' });
  });

  it('starts the first read at init, before any invocation', async () => {
    const h = rotating({});
    await h.clock.run(() => false);
    expect(h.store.reads).toBe(1);
    await h.invoke(10_000);
    expect(h.store.reads).toBe(1);
  });

  it('without a source: TLS as the config says, and a refusal is reported as it came, with nothing read', async () => {
    const plain = fakeHandler({ acceptedKeys: ['key-1'] }, () => undefined, { TEMPORAL_API_KEY: 'key-0' });
    const refused = await plain.invoke(10_000);
    expect((refused.error as Error).message).toBe(
      `Cannot connect to Temporal at localhost:7233: ${KEY_REFUSED}. Check TEMPORAL_ADDRESS (or address in ` +
        'temporal.toml), TLS and the API key, and that the function can reach the server.',
    );
    const bare = fakeHandler({}, () => undefined);
    await bare.invoke(10_000);
    expect(bare.world.connectedWith).toHaveLength(1);
    expect(bare.world.connectedWith[0]!.tls).toBeUndefined();
    const failing = fakeHandler({}, () => undefined);
    const refusal = Object.assign(new Error('PERMISSION_DENIED: Request unauthorized.'), { code: 7 });
    failing.world.script.workers = [{ ...quietWorker, failAfterMs: 100, failError: refusal }];
    const failed = await failing.invoke(10_000);
    expect(failed.error).toBe(refusal);
  });

  it('keeps TLS off when the config turned it off', async () => {
    const h = fakeHandler({}, (config) => void (config.apiKeySource = { read: () => Promise.resolve('key-1') }), {
      TEMPORAL_TLS: 'false',
    });
    await h.invoke(10_000);
    expect(h.world.connectedWith).toEqual([{ address: undefined, apiKey: 'key-1', tls: false }]);
  });

  it('a key past its age: read again, put on the kept connection, which passes its check with it', async () => {
    const h = rotating({}, 60_000);
    await h.invoke(10_000);
    h.store.key = 'key-2';
    h.world.script.acceptedKeys = ['key-2'];
    await h.clock.run(() => false, h.clock.now() + 60_000);
    const second = await h.invoke(10_000);
    expect(second.error).toBeUndefined();
    expect(h.store.reads).toBe(2);
    expect(second.summary).toMatchObject({ connectionReused: true });
    expect(h.world.connections.map((c) => c.apiKey)).toEqual(['key-2']);
    expect(messages(h.lines)).toContain('Temporal API key rotated: a new key from the test store is in use');
  });

  it('a key revoked before its age: the connect is refused, the key read again, the connect retried', async () => {
    const h = rotating({ checkFails: true });
    await h.invoke(10_000);
    h.store.key = 'key-2';
    h.world.script.acceptedKeys = ['key-2'];
    const second = await h.invoke(10_000);
    expect(second.error).toBeUndefined();
    expect(h.store.reads).toBe(2);
    expect(h.world.connectedWith.map((options) => options.apiKey)).toEqual(['key-1', 'key-1', 'key-2']);
    expect(second.summary).toMatchObject({ endReason: 'idle', connectionReused: false });
  });

  it('a refused key the store gives again: the invocation fails saying so, and the next one reads again', async () => {
    const h = rotating({ checkFails: true });
    await h.invoke(10_000);
    h.world.script.acceptedKeys = ['key-2'];
    const second = await h.invoke(10_000);
    expect(second.error).toBeInstanceOf(ConnectionFailedError);
    expect((second.error as Error).message).toBe(
      `Cannot connect to Temporal at temporal.example:7233: ${KEY_REFUSED}. The server refused the API key, and ` +
        'reading the test store again gave no other key: put a valid key there (a rotation must store the new key ' +
        'before the old one is revoked).',
    );
    expect(h.store.reads).toBe(2);
    h.store.key = 'key-2';
    const third = await h.invoke(10_000);
    expect(third.error).toBeUndefined();
    expect(h.store.reads).toBe(3);
  });

  it('a failure that is not a refusal reads nothing and is reported as before', async () => {
    const h = rotating({ checkFails: true });
    await h.invoke(10_000);
    h.world.script.connectFails = true;
    const second = await h.invoke(10_000);
    expect((second.error as Error).message).toBe(
      'Cannot connect to Temporal at temporal.example:7233: connection refused. Check TEMPORAL_ADDRESS (or address ' +
        'in temporal.toml), TLS and the API key, and that the function can reach the server.',
    );
    expect(h.store.reads).toBe(1);
  });

  it('a retry after a new key that fails again is reported with its own error', async () => {
    const h = rotating({ checkFails: true });
    await h.invoke(10_000);
    h.store.key = 'key-2';
    h.world.script.acceptedKeys = ['key-3'];
    const second = await h.invoke(10_000);
    expect((second.error as Error).message).toBe(
      `Cannot connect to Temporal at temporal.example:7233: ${KEY_REFUSED}. Check TEMPORAL_ADDRESS (or address in ` +
        'temporal.toml), TLS and the API key, and that the function can reach the server.',
    );
    expect(h.store.reads).toBe(2);
  });

  it('a worker that fails on a refusal makes the next invocation read the key at once', async () => {
    const h = rotating({}, 600_000);
    h.world.script.workers = [
      {
        ...quietWorker,
        failAfterMs: 100,
        failError: Object.assign(new Error('PERMISSION_DENIED: Request unauthorized.'), { code: 7 }),
      },
      quietWorker,
    ];
    const first = await h.invoke(10_000);
    expect(first.error).toBeDefined();
    expect(h.store.reads).toBe(1);
    await h.invoke(10_000);
    expect(h.store.reads).toBe(2);
    const other = rotating({}, 600_000);
    other.world.script.workers = [{ ...quietWorker, failAfterMs: 100 }, quietWorker];
    await other.invoke(10_000);
    await other.invoke(10_000);
    expect(other.store.reads).toBe(1);
  });

  it("reads a due key when an invocation joins a shared worker, and puts it on that worker's connection", async () => {
    const h = rotating({}, 2_000, (config) => {
      config.shareWorker = true;
      config.idleExitMs = false;
    });
    const first = h.handler({}, makeContext(20_000, {}, h.clock));
    await h.clock.run(() => false, h.clock.now() + 3_000);
    expect(h.store.reads).toBe(1);
    h.store.key = 'key-2';
    h.world.script.acceptedKeys = ['key-1', 'key-2'];
    const joiner = h.handler({}, makeContext(20_000, {}, h.clock));
    await h.clock.run(() => h.store.reads === 2);
    await h.clock.run(() => false, h.clock.now() + 10);
    expect(h.world.connections).toHaveLength(1);
    expect(h.world.connections[0]!.apiKey).toBe('key-2');
    await h.clock.run(() => false);
    await Promise.all([first, joiner]);
    const summaries = h.lines.filter((line) => line.message === 'Invocation summary');
    expect(summaries.map((line) => [line.sharedWorker, line.endReason])).toEqual([
      ['started', 'deadline'],
      ['joined', 'deadline'],
    ]);
  });

  it('adds each key to the scrubber of a logger set in configure before it is used', async () => {
    const own: string[] = [];
    const logger = new JsonLogger({ write: (line) => void own.push(line), level: 'DEBUG' });
    const h = rotating({ checkFails: true }, undefined, (config) => void (config.logger = logger));
    await h.invoke(10_000);
    h.store.key = 'key-2';
    h.world.script.acceptedKeys = ['key-2'];
    await h.invoke(10_000);
    logger.info('an activity echoed key-1 and key-2', { header: 'Bearer key-2' });
    const written = own.join('\n') + stdout.join('');
    expect(written).not.toContain('key-1');
    expect(written).not.toContain('key-2');
    expect(JSON.parse(own.at(-1)!)).toMatchObject({
      message: 'an activity echoed [REDACTED] and [REDACTED]',
      header: 'Bearer [REDACTED]',
    });
  });

  it('refuses a source without a read function at init, naming the field', () => {
    expect(() => fakeHandler({}, (config) => void (config.apiKeySource = { name: 'x' } as never))).toThrow(
      InvalidOptionError,
    );
  });
});

describe('ConnectionCache.setApiKey', () => {
  it('puts the key on idle and leased connections and on later connects, not on released ones', async () => {
    const clock = new FakeClock();
    const lines: Array<Record<string, unknown>> = [];
    const logger = new JsonLogger({ write: (line) => void lines.push(JSON.parse(line)), level: 'DEBUG' });
    const options = { address: 'h:1', apiKey: 'key-1' };
    const cache = new ConnectionCache<FakeConnection>(options, true, logger);
    const made: Array<{
      apiKey?: string;
      fails?: boolean;
      setApiKey(key: string): Promise<void>;
      close(): Promise<void>;
    }> = [];
    const factory = {
      clock,
      connect: (opts: { apiKey?: string }) => {
        const connection = {
          apiKey: opts.apiKey,
          fails: false,
          setApiKey(key: string) {
            if (this.fails) return Promise.reject(new Error('setApiKey failed'));
            this.apiKey = key;
            return Promise.resolve();
          },
          close: () => Promise.resolve(),
        };
        made.push(connection);
        return Promise.resolve(connection as unknown as FakeConnection);
      },
      check: () => Promise.resolve(),
    };
    const [idle, leased, released] = [
      (await cache.acquire(factory, clock.now() + 1_000))!,
      (await cache.acquire(factory, clock.now() + 1_000))!,
      (await cache.acquire(factory, clock.now() + 1_000))!,
    ];
    await cache.release(idle.connection, { suspect: false }, clock.now() + 1_000, clock);
    await cache.release(released.connection, { suspect: true }, clock.now() + 1_000, clock);
    made[1]!.fails = true;
    cache.setApiKey('key-2');
    await clock.run(() => false);
    expect(made.map((c) => c.apiKey)).toEqual(['key-2', 'key-1', 'key-1']);
    expect(options.apiKey).toBe('key-2');
    expect(lines.map((line) => [line.level, line.message, (line.error as { message?: string })?.message])).toEqual([
      ['DEBUG', 'A connection did not take the new API key', 'setApiKey failed'],
    ]);
    // A connection without setApiKey (an older SDK) is passed over without a word.
    const quiet = new ConnectionCache({ address: 'h:1' }, true, logger);
    const bare = { close: () => Promise.resolve() };
    await quiet.release(bare as never, { suspect: false }, clock.now() + 1_000, clock);
    lines.length = 0;
    quiet.setApiKey('key-3');
    await clock.run(() => false);
    expect(lines).toEqual([]);
    expect(leased.connection).toBe(made[1]);
  });
});
