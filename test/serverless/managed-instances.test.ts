/**
 * The emulator's Lambda Managed Instances mode, with handlers that only sleep (no Temporal): the
 * real runtime client runs `threads` worker threads in one process per environment, up to
 * `maxConcurrency` invocations at once there, an invocation past its deadline fails without
 * stopping anything, environments are started up front and billed by instance-time, and the
 * sampler reads a runtime's memory and connections from /proc.
 */
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { startLambdaEmulator } from '../emulator/lambda-emulator.mjs';
import { pollUntil } from '../support/poll';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures');
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Invocation {
  requestId: string;
  environmentId: string;
  cold: boolean;
  outcome: string;
  body: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  deadlineMs: number;
  lateEndMs?: number;
  lateOutcome?: string;
}
interface Environment {
  id: string;
  pid: number;
  state: string;
  runtimePort: number;
  initErrors: number;
  pollersPeak: number;
}
interface Emulated {
  invoke(event?: unknown): Promise<Invocation>;
  invocations: Invocation[];
  lambdaApiUrl: string;
  functionArn: string;
  environments(): Environment[];
  sample(options?: { serverPort?: number }): Array<{ id: string; pid: number; rssPeakMb: number; connections: number }>;
  summary(): {
    invocations: number;
    coldStarts: number;
    timeouts: number;
    throttles: number;
    environmentsCreated: number;
    billedMs: number;
    gbSeconds?: number;
    instanceMs: number;
    instanceSeconds: number;
    lateEnds: number;
    peakInFlightPerEnvironment: Record<string, number>;
  };
  idle(): Promise<void>;
  stop(): Promise<void>;
}
interface Slots {
  threads: number;
  maxConcurrency: number;
  environments: number;
}

async function emulator(managedInstances: Slots, options: Record<string, unknown> = {}): Promise<Emulated> {
  const emu = (await startLambdaEmulator({
    taskRoot: fixtures,
    handler: 'sleep-handler.handler',
    timeoutSeconds: 10,
    managedInstances,
    ...options,
  })) as Emulated;
  cleanups.push(() => emu.stop());
  return emu;
}

interface Reply {
  pid: number;
  threadId: number;
  requestId: string;
}
const reply = (invocation: Invocation) => JSON.parse(invocation.body) as Reply;

/** A RequestResponse invoke through the Lambda API, as the Worker Controller's AWS SDK sends one. */
async function apiInvoke(emu: Emulated, event: unknown) {
  const url = `${emu.lambdaApiUrl}/2015-03-31/functions/${encodeURIComponent(emu.functionArn)}/invocations`;
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(event) });
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype') };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('Lambda Managed Instances in the emulator', () => {
  it('runs maxConcurrency invocations at once in one process, on each of its threads', async () => {
    const emu = await emulator({ threads: 2, maxConcurrency: 6, environments: 1 });
    const [environment] = emu.environments();
    const ran = await Promise.all(Array.from({ length: 6 }, () => emu.invoke({ ms: 500 })));
    const wallMs = Math.max(...ran.map((i) => i.endMs)) - Math.min(...ran.map((i) => i.startMs));
    console.log(`6 invocations of 500 ms on 2 threads x 6 slots: ${wallMs} ms from the first start to the last end`);
    expect(ran.map((i) => i.outcome)).toEqual(Array(6).fill('ok'));
    expect(wallMs).toBeLessThan(1500); // one after another would take 3000 ms
    expect(new Set(ran.map((i) => reply(i).pid))).toEqual(new Set([environment!.pid]));
    expect(new Set(ran.map((i) => reply(i).threadId)).size).toBe(2);
    expect(ran.map((i) => reply(i).requestId)).toEqual(ran.map((i) => i.requestId)); // each thread saw its own id
    expect(ran.some((i) => i.cold)).toBe(false); // init ran before the first invocation
    expect(emu.summary().peakInFlightPerEnvironment).toEqual({ 'env-1': 6 });
  });

  it('makes the invocation beyond maxConcurrency wait for a free slot (and throttles it through the API)', async () => {
    const emu = await emulator({ threads: 2, maxConcurrency: 3, environments: 1 });
    const first = [emu.invoke({ ms: 800 }), emu.invoke({ ms: 800 }), emu.invoke({ ms: 800 })];
    const fourth = emu.invoke({ ms: 10 });
    expect(await apiInvoke(emu, { ms: 0 })).toEqual({ status: 429, errorType: 'TooManyRequestsException' });
    const ended = await Promise.all(first);
    const waited = await fourth;
    expect(waited.outcome).toBe('ok');
    expect(waited.startMs).toBeGreaterThanOrEqual(Math.min(...ended.map((i) => i.endMs)));
    expect(emu.summary()).toMatchObject({ throttles: 1, peakInFlightPerEnvironment: { 'env-1': 3 } });
  });

  it('records an invocation past its deadline as timeout; the others and the environment go on', async () => {
    const emu = await emulator({ threads: 2, maxConcurrency: 4, environments: 1 }, { timeoutSeconds: 1 });
    const [environment] = emu.environments();
    const [late, ...others] = await Promise.all([
      emu.invoke({ ms: 2500 }),
      emu.invoke({ ms: 300 }),
      emu.invoke({ ms: 300 }),
      emu.invoke({ ms: 300 }),
    ]);
    expect(late!.outcome).toBe('timeout');
    expect(late!.durationMs).toBeGreaterThanOrEqual(1000);
    expect(late!.durationMs).toBeLessThan(2000); // recorded at the deadline, not when the code ended
    expect(others.map((i) => i.outcome)).toEqual(['ok', 'ok', 'ok']);
    const after = await emu.invoke({ ms: 10 });
    expect(after.outcome).toBe('ok');
    expect(reply(after).pid).toBe(environment!.pid);
    // The timed-out code was not stopped: its answer arrives later and is recorded.
    await pollUntil(() => late!.lateEndMs !== undefined, { timeoutMs: 5_000, intervalMs: 50, what: 'the late answer' });
    expect(late!.lateEndMs! - late!.startMs).toBeGreaterThanOrEqual(2500);
    expect(late!.lateOutcome).toBe('ok');
    expect(isAlive(environment!.pid)).toBe(true);
    expect(environment!.state).not.toBe('dead');
    expect(emu.summary()).toMatchObject({ invocations: 5, timeouts: 1, lateEnds: 1, environmentsCreated: 1 });
  });

  it('spreads invocations over the least-loaded environments and bills instance-time', async () => {
    const before = Date.now();
    const emu = await emulator({ threads: 1, maxConcurrency: 2, environments: 2 });
    const ready = Date.now();
    const pair = await Promise.all([emu.invoke({ ms: 300 }), emu.invoke({ ms: 300 })]);
    expect(new Set(pair.map((i) => i.environmentId))).toEqual(new Set(['env-1', 'env-2']));
    expect(new Set(pair.map((i) => reply(i).pid)).size).toBe(2);
    const summary = emu.summary();
    const now = Date.now();
    console.log(
      `2 environments for ${now - before} ms: instanceMs ${summary.instanceMs}, billedMs ${summary.billedMs}`,
    );
    expect(summary.instanceMs).toBeGreaterThanOrEqual(2 * (now - ready) - 50);
    expect(summary.instanceMs).toBeLessThanOrEqual(2 * (now - before));
    expect(summary.instanceSeconds).toBeCloseTo(summary.instanceMs / 1000, 3);
    expect(summary.gbSeconds).toBeUndefined(); // no per-invocation GB-s in this mode
    expect(summary.peakInFlightPerEnvironment).toEqual({ 'env-1': 1, 'env-2': 1 });
    await emu.stop();
    const stopped = emu.summary().instanceMs;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(emu.summary().instanceMs).toBe(stopped); // the clock stops with the environments
  });

  it("samples each runtime's peak RSS and its connections to a port (one long-poll per thread)", async () => {
    const emu = await emulator({ threads: 3, maxConcurrency: 3, environments: 1 });
    const [environment] = emu.environments();
    const [sample] = emu.sample({ serverPort: environment!.runtimePort });
    expect(sample).toMatchObject({ id: 'env-1', pid: environment!.pid, connections: 3 });
    expect(sample!.rssPeakMb).toBeGreaterThan(30); // node, the runtime client and 3 threads
    expect(emu.sample({ serverPort: 1 })[0]!.connections).toBe(0);
  });

  it('gives the runtime threadpool room for every long-poll, unless the function sets UV_THREADPOOL_SIZE', async () => {
    const slots = { threads: 6, maxConcurrency: 6, environments: 1 };
    const roomy = await emulator(slots, { timeoutSeconds: 2 });
    expect(roomy.environments()[0]!.pollersPeak).toBe(6);
    expect((await roomy.invoke({ read: true })).outcome).toBe('ok');
    await roomy.stop();
    // The default pool of 4 is taken by 4 of the 6 long-polls: the read waits behind the others.
    const starved = await emulator(slots, { timeoutSeconds: 2, env: { UV_THREADPOOL_SIZE: '4' } });
    expect(starved.environments()[0]!.pollersPeak).toBe(4);
    expect((await starved.invoke({ read: true })).outcome).toBe('timeout');
  });

  it('keeps serving when one thread fails its init, and fails an environment whose threads all fail', async () => {
    const handler = 'thread-init-handler.handler';
    const partial = await emulator(
      { threads: 2, maxConcurrency: 2, environments: 1 },
      { handler, env: { FAIL_INIT_THREADS: '1' } },
    );
    const [environment] = partial.environments();
    expect(environment!.initErrors).toBe(1);
    const served = await partial.invoke();
    expect(served.outcome).toBe('ok');
    expect(reply(served).threadId).toBe(2);
    const none = await emulator(
      { threads: 2, maxConcurrency: 2, environments: 1 },
      { handler, env: { FAIL_INIT_THREADS: '1,2' } },
    );
    expect(none.environments()).toEqual([]);
    const failed = await none.invoke();
    expect(failed.outcome).toBe('error');
    expect(failed.body).toContain('no execution environment is left');
  });

  it('answers a response for an unknown request id with 400 and ignores it', async () => {
    const emu = await emulator({ threads: 1, maxConcurrency: 1, environments: 1 });
    const [environment] = emu.environments();
    const url = `http://127.0.0.1:${environment!.runtimePort}/2018-06-01/runtime/invocation/no-such-id/response`;
    expect((await fetch(url, { method: 'POST', body: '{}' })).status).toBe(400);
    expect((await emu.invoke({ ms: 10 })).outcome).toBe('ok');
  });

  it('refuses invalid managedInstances options with a clear error', async () => {
    const start = (options: Record<string, unknown>) =>
      startLambdaEmulator({ taskRoot: fixtures, handler: 'sleep-handler.handler', ...options }) as Promise<Emulated>;
    const valid = { threads: 2, maxConcurrency: 4, environments: 1 };
    await expect(start({ managedInstances: { ...valid, threads: 0 } })).rejects.toThrow(
      'startLambdaEmulator: managedInstances.threads must be a positive integer, received 0',
    );
    await expect(start({ managedInstances: { ...valid, maxConcurrency: 1.5 } })).rejects.toThrow(
      'managedInstances.maxConcurrency must be a positive integer, received 1.5',
    );
    await expect(start({ managedInstances: { ...valid, environments: '2' } })).rejects.toThrow(
      'managedInstances.environments must be a positive integer, received "2"',
    );
    await expect(start({ managedInstances: { ...valid, workers: 2 } })).rejects.toThrow(
      'managedInstances has unknown option(s) workers: use threads, maxConcurrency, environments',
    );
    await expect(start({ managedInstances: 4 })).rejects.toThrow(
      'managedInstances must be { threads, maxConcurrency, environments }, received 4',
    );
    await expect(start({ managedInstances: valid, concurrency: 2 })).rejects.toThrow(
      'startLambdaEmulator: concurrency does not apply with managedInstances',
    );
  });
});
