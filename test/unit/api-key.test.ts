/** The API key keeper on its own: when it reads, what it hands on, and what it says when it cannot. */
import { describe, expect, it } from 'vitest';
import { ApiKeyKeeper, checkApiKeySource, isKeyRefusal } from '../../src/lifecycle/api-key';
import { ConnectionFailedError, InvalidOptionError, StartupTimeoutError } from '../../src/errors';
import { JsonLogger } from '../../src/logging/logger';
import { FakeClock, settle } from '../support/fake-clock';

/** A keeper over a scripted store: each read takes `readMs` and gives the store's key, or throws. */
function setup(options: { readMs?: number; maxAgeMs?: number } = {}) {
  const clock = new FakeClock();
  const store: { key: string | Error } = { key: 'key-1' };
  let reads = 0;
  const lines: Array<Record<string, unknown>> = [];
  const logger = new JsonLogger({ write: (line) => void lines.push(JSON.parse(line)), level: 'DEBUG' });
  const handed: string[] = [];
  const source = checkApiKeySource({
    name: 'the test store',
    maxAgeMs: options.maxAgeMs,
    read: () =>
      new Promise<string>((resolve, reject) => {
        reads += 1;
        const value = store.key;
        clock.at(options.readMs ?? 20, () => (value instanceof Error ? reject(value) : resolve(value)));
      }),
  });
  const keeper = new ApiKeyKeeper(source, clock, logger, (key) => void handed.push(key));
  return { clock, store, keeper, handed, lines, reads: () => reads };
}

describe('ApiKeyKeeper', () => {
  it('reads once at init, not again before maxAgeMs, and again after it; a new key is handed on once', async () => {
    const { clock, store, keeper, handed, reads } = setup({ maxAgeMs: 60_000 });
    keeper.prefetch();
    await settle(clock, keeper.ready(clock.now() + 5_000));
    expect([reads(), handed]).toEqual([1, ['key-1']]);
    await clock.run(() => false, clock.now() + 59_000);
    await settle(clock, keeper.ready(clock.now() + 5_000));
    expect(reads()).toBe(1);
    await clock.run(() => false, clock.now() + 1_000);
    store.key = 'key-2';
    await settle(clock, keeper.ready(clock.now() + 5_000));
    expect([reads(), handed]).toEqual([2, ['key-1', 'key-2']]);
    await clock.run(() => false, clock.now() + 60_000);
    await settle(clock, keeper.ready(clock.now() + 5_000));
    expect([reads(), handed]).toEqual([3, ['key-1', 'key-2']]);
  });

  it('shares one read between the invocations that wait for it', async () => {
    const { clock, keeper, reads } = setup();
    await settle(clock, Promise.all([keeper.ready(clock.now() + 5_000), keeper.ready(clock.now() + 5_000)]));
    expect(reads()).toBe(1);
  });

  it('reads a refused key again at once, and says whether the read gave another key', async () => {
    const { clock, store, keeper, handed } = setup();
    await settle(clock, keeper.ready(clock.now() + 5_000));
    expect(await settle(clock, keeper.afterRefusal(clock.now() + 5_000))).toBe(false);
    store.key = 'key-2';
    expect(await settle(clock, keeper.afterRefusal(clock.now() + 5_000))).toBe(true);
    expect(handed).toEqual(['key-1', 'key-2']);
    keeper.markRefused();
    store.key = 'key-3';
    await settle(clock, keeper.ready(clock.now() + 5_000));
    expect(handed).toEqual(['key-1', 'key-2', 'key-3']);
  });

  it('keeps the key it has when a later read fails or is slow, and says so without the key', async () => {
    const { clock, store, keeper, lines } = setup({ maxAgeMs: 1_000, readMs: 20 });
    await settle(clock, keeper.ready(clock.now() + 5_000));
    await clock.run(() => false, clock.now() + 1_000);
    store.key = new Error('ThrottlingException: Rate exceeded');
    await settle(clock, keeper.ready(clock.now() + 5_000));
    await clock.run(() => false, clock.now() + 1_000);
    store.key = 'key-2';
    await settle(clock, keeper.ready(clock.now() + 10));
    const said = lines.map((line) => [line.level, line.message, (line.error as { message?: string })?.message]);
    expect(said).toEqual([
      [
        'WARN',
        'Reading the Temporal API key from the test store failed; using the key read before',
        'ThrottlingException: Rate exceeded',
      ],
      ['WARN', 'Reading the Temporal API key from the test store is slow; using the key read before', undefined],
    ]);
    expect(JSON.stringify(lines)).not.toContain('key-1');
    expect(clock.libraryTimers).toBe(0);
  });

  it('fails an invocation that has no key, naming the source and the fix, and reads again at the next', async () => {
    const { clock, store, keeper } = setup();
    store.key = new Error('ResourceNotFoundException: Secrets Manager cannot find the specified secret.');
    const error = await settle(clock, keeper.ready(clock.now() + 5_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect((error as Error).message).toBe(
      'Cannot read the Temporal API key from the test store (1 failed read(s) in a row): ResourceNotFoundException: ' +
        "Secrets Manager cannot find the specified secret. Check its name, that the function's role may read it " +
        '(secretsmanager:GetSecretValue, or ssm:GetParameter and kms:Decrypt), and that the function can reach the ' +
        'service.',
    );
    store.key = '  key-1\n';
    await settle(clock, keeper.ready(clock.now() + 5_000));
    const slow = setup({ readMs: 3_000 });
    const late = await settle(slow.clock, slow.keeper.ready(slow.clock.now() + 1_000)).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(StartupTimeoutError);
    expect((late as Error).message).toBe(
      'Reading the Temporal API key from the test store did not finish within the work window; the read goes on ' +
        'for the next invocation. Check that the function can reach the service (a function in a VPC needs a VPC ' +
        'endpoint or a NAT gateway) and give the read a timeout.',
    );
  });

  it('keeps the cause, ends the reason with one full stop, and names a rejection without a message', async () => {
    const { clock, store, keeper } = setup();
    const cause = new Error('Rate exceeded. Try again later.');
    store.key = cause;
    const error = (await settle(clock, keeper.ready(clock.now() + 5_000)).catch((e: unknown) => e)) as Error;
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('(1 failed read(s) in a row): Rate exceeded. Try again later. Check its name');
    const bare = setup();
    const source = checkApiKeySource({ name: 'a bare store', read: () => Promise.reject(undefined) });
    const keeper2 = new ApiKeyKeeper(source, bare.clock, new JsonLogger({ write: () => undefined }), () => undefined);
    const error2 = (await settle(bare.clock, keeper2.ready(bare.clock.now() + 5_000)).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error2.message).toContain('from a bare store (1 failed read(s) in a row): undefined. Check its name');
  });

  it('refuses a key that is not a string', async () => {
    const { clock } = setup();
    const source = checkApiKeySource({ read: () => Promise.resolve(42 as unknown as string) });
    const numeric = new ApiKeyKeeper(source, clock, new JsonLogger({ write: () => undefined }), () => undefined);
    const error = await settle(clock, numeric.ready(clock.now() + 5_000)).catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      'config.apiKeySource (1 failed read(s) in a row): it gave a number, not a key',
    );
  });

  it('refuses an empty key as a failed read, and trims the one it keeps', async () => {
    const { clock, store, keeper, handed } = setup();
    store.key = ' ';
    const error = await settle(clock, keeper.ready(clock.now() + 5_000)).catch((e: unknown) => e);
    expect((error as Error).message).toContain('it gave an empty string, not a key');
    store.key = ' key-1\n';
    await settle(clock, keeper.ready(clock.now() + 5_000));
    expect(handed).toEqual(['key-1']);
  });
});

describe('checkApiKeySource', () => {
  it('names the field and the fix', () => {
    expect(() => checkApiKeySource({} as never)).toThrow(InvalidOptionError);
    expect(() => checkApiKeySource(null as never)).toThrow(
      'config.apiKeySource.read must be a function that resolves with the API key; received undefined.',
    );
    expect(() => checkApiKeySource({} as never)).toThrow(
      'config.apiKeySource.read must be a function that resolves with the API key; received undefined.',
    );
    expect(() => checkApiKeySource({ read: async () => 'k', maxAgeMs: 0 })).toThrow(
      'config.apiKeySource.maxAgeMs must be a positive number of milliseconds; received 0. Leave it unset for ' +
        '300000 ms.',
    );
    expect(checkApiKeySource({ read: async () => 'k' })).toMatchObject({
      name: 'config.apiKeySource',
      maxAgeMs: 300_000,
    });
  });
});

describe('isKeyRefusal', () => {
  it('knows PERMISSION_DENIED and UNAUTHENTICATED by code or message, through causes, and nothing else', () => {
    expect(isKeyRefusal(Object.assign(new Error('x'), { code: 7 }))).toBe(true);
    expect(isKeyRefusal(Object.assign(new Error('x'), { code: 16 }))).toBe(true);
    expect(isKeyRefusal(Object.assign(new Error('x'), { code: 14 }))).toBe(false);
    // As NativeConnection.connect failed against the test server with a revoked key (2026-12-03).
    const transport = new Error(
      "Failed to call GetSystemInfo: code: 'The caller does not have permission to execute the specified " +
        'operation\', message: "Request unauthorized."',
    );
    expect(isKeyRefusal(new Error('Cannot connect', { cause: transport }))).toBe(true);
    expect(isKeyRefusal(new Error("code: 'The request does not have valid authentication credentials'"))).toBe(true);
    expect(isKeyRefusal(new Error('status: Unavailable, message: "connection refused"'))).toBe(false);
    expect(isKeyRefusal(undefined)).toBe(false);
    const cyclic: Error & { cause?: unknown } = new Error('status: Unavailable');
    cyclic.cause = cyclic;
    expect(isKeyRefusal(cyclic)).toBe(false);
    // Five errors deep is looked at, a sixth is not.
    const chain = (depth: number): Error =>
      depth === 0 ? Object.assign(new Error('x'), { code: 7 }) : new Error('wrapped', { cause: chain(depth - 1) });
    expect(isKeyRefusal(chain(4))).toBe(true);
    expect(isKeyRefusal(chain(5))).toBe(false);
  });
});
