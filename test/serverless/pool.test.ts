/**
 * The emulator's scaling, with a handler that only sleeps (no Temporal): environments created on
 * demand up to the concurrency limit and running at once, Lambda's throttling answer beyond it,
 * warm reuse of a free environment, reaping of an idle one, and the billed duration of each.
 */
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { startLambdaEmulator } from '../emulator/lambda-emulator.mjs';
import { pollUntil } from '../support/poll';
import { templateAsyncConfig } from '../support/template';

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
  billedMs: number;
}
interface Emulated {
  invoke(event?: unknown): Promise<Invocation>;
  invocations: Invocation[];
  lambdaApiUrl: string;
  functionArn: string;
  environments(): Array<{ id: string; state: string }>;
  summary(): {
    invocations: number;
    coldStarts: number;
    peakEnvironments: number;
    peakBusy: number;
    throttles: number;
    reaped: number;
    retries: number;
    discarded: number;
    gbSeconds: number;
    billedMs: number;
  };
  idle(): Promise<void>;
  stop(): Promise<void>;
}

async function emulator(options: Record<string, unknown> = {}): Promise<Emulated> {
  const emu = (await startLambdaEmulator({
    taskRoot: fixtures,
    handler: 'sleep-handler.handler',
    timeoutSeconds: 10,
    ...options,
  })) as Emulated;
  cleanups.push(() => emu.stop());
  return emu;
}

/** An Invoke call of the Lambda API, as the Worker Controller's AWS SDK sends it. */
async function apiInvoke(emu: Emulated, type: 'Event' | 'RequestResponse', event: unknown) {
  const response = await fetch(
    `${emu.lambdaApiUrl}/2015-03-31/functions/${encodeURIComponent(emu.functionArn)}/invocations`,
    {
      method: 'POST',
      headers: { 'x-amz-invocation-type': type },
      body: JSON.stringify(event),
    },
  );
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), body: await response.text() };
}

const pidOf = (invocation: Invocation) => (JSON.parse(invocation.body) as { pid: number }).pid;

describe('the Lambda emulator scales out', () => {
  it('runs two environments at once, each its own runtime process, both cold', async () => {
    const emu = await emulator({ concurrency: 2 });
    const [a, b] = await Promise.all([emu.invoke({ ms: 1500 }), emu.invoke({ ms: 1500 })]);
    expect(a.outcome).toBe('ok');
    expect(b.outcome).toBe('ok');
    expect(a.environmentId).not.toBe(b.environmentId);
    expect(pidOf(a)).not.toBe(pidOf(b));
    expect(a.cold && b.cold).toBe(true);
    expect(a.startMs).toBeLessThan(b.endMs); // overlapping in time
    expect(b.startMs).toBeLessThan(a.endMs);
    expect(emu.summary()).toMatchObject({ invocations: 2, coldStarts: 2, peakEnvironments: 2, peakBusy: 2 });
  });

  it('throttles beyond the concurrency limit as Lambda does (429 TooManyRequestsException)', async () => {
    const emu = await emulator({ concurrency: 1 });
    const running = emu.invoke({ ms: 3000 });
    const sync = await apiInvoke(emu, 'RequestResponse', { ms: 0 });
    expect(sync.status).toBe(429);
    expect(sync.errorType).toBe('TooManyRequestsException');
    expect(JSON.parse(sync.body)).toEqual({
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      Type: 'User',
      message: 'Rate Exceeded.',
    });
    // Event invokes are queued by Lambda's async queue, not throttled to the caller...
    expect((await apiInvoke(emu, 'Event', { ms: 0 })).status).toBe(202);
    await running;
    await emu.idle();
    expect(emu.invocations.map((i) => i.outcome)).toEqual(['ok', 'ok']);
    expect(emu.summary().throttles).toBe(1);
  });

  it('throttles Event invokes too with asyncQueue: false', async () => {
    const emu = await emulator({ concurrency: 1, asyncQueue: false });
    const running = emu.invoke({ ms: 2000 });
    const event = await apiInvoke(emu, 'Event', { ms: 0 });
    expect(event.status).toBe(429);
    expect(event.errorType).toBe('TooManyRequestsException');
    await running;
    expect((await apiInvoke(emu, 'Event', { ms: 0 })).status).toBe(202); // capacity again
    await emu.idle();
    expect(emu.summary()).toMatchObject({ invocations: 2, throttles: 1 });
  });

  it('reuses a free environment warm: same process, no new cold start', async () => {
    const emu = await emulator({ concurrency: 3 });
    const first = await emu.invoke({ ms: 10 });
    const second = await emu.invoke({ ms: 10 });
    expect(first.cold).toBe(true);
    expect(second.cold).toBe(false);
    expect(second.environmentId).toBe(first.environmentId);
    expect(pidOf(second)).toBe(pidOf(first));
    expect(JSON.parse(second.body).served).toBe(2);
    expect(emu.summary()).toMatchObject({ coldStarts: 1, environmentsCreated: 1 });
  });

  it('reaps an environment idle for reapAfterMs; the next invocation is cold in a new one', async () => {
    const emu = await emulator({ reapAfterMs: 300 });
    const first = await emu.invoke({ ms: 10 });
    expect(emu.environments()).toHaveLength(1);
    await pollUntil(() => emu.environments().length === 0, {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: 'the idle environment to be reaped',
      seen: () => `${emu.environments().length} environment(s)`,
    });
    const second = await emu.invoke({ ms: 10 });
    expect(second.cold).toBe(true);
    expect(second.environmentId).not.toBe(first.environmentId);
    expect(emu.summary().reaped).toBe(1);
  });

  it('records each invocation with its billed duration, rounded up to 1 ms, and GB-seconds', async () => {
    const emu = await emulator({ memoryMb: 512 });
    await emu.invoke({ ms: 200 });
    const [invocation] = emu.invocations;
    expect(invocation!.billedMs).toBe(Math.ceil(invocation!.durationMs));
    expect(invocation!.durationMs).toBeGreaterThanOrEqual(200);
    const summary = emu.summary();
    expect(summary.gbSeconds).toBeCloseTo((summary.billedMs / 1000) * 0.5, 2); // GB-seconds are rounded to 3 decimals
  });
});

describe("the emulator's async invocations, as Lambda retries them", () => {
  // Lambda's delays (1 min, then 2 min) compressed 200-fold.
  const retryDelaysMs = [300, 600];

  it('runs a failing event 3 times with the same request id under the defaults, once under the template', async () => {
    const counts: number[] = [];
    for (const policy of [{}, templateAsyncConfig()]) {
      const emu = await emulator({ concurrency: 2, retryDelaysMs, ...policy });
      for (let i = 0; i < 4; i++) expect((await apiInvoke(emu, 'Event', { fail: 'no task queue' })).status).toBe(202);
      await emu.idle();
      const ids = emu.invocations.map((i) => i.requestId);
      expect(new Set(ids).size).toBe(4);
      expect(emu.invocations.every((i) => i.outcome === 'error')).toBe(true);
      counts.push(emu.summary().invocations);
    }
    expect(counts).toEqual([12, 4]);
    console.log(
      `a config error, 4 events: ${counts[0]} invocations with Lambda's defaults, ${counts[1]} with the template's EventInvokeConfig (${(counts[1]! / counts[0]!).toFixed(2)}x)`,
    );
  });

  it('does not retry an event that succeeded, and drops a retry older than the maximum event age', async () => {
    const ok = await emulator({ retryDelaysMs });
    await apiInvoke(ok, 'Event', { ms: 10 });
    await ok.idle();
    expect(ok.summary()).toMatchObject({ invocations: 1, retries: 0 });
    const aged = await emulator({ retryDelaysMs: [1_200, 1_200], maximumEventAgeSeconds: 1 });
    await apiInvoke(aged, 'Event', { fail: 'boom' });
    await aged.idle();
    expect(aged.summary()).toMatchObject({ invocations: 1, retries: 0, discarded: 1 });
  });
});
