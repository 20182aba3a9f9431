/**
 * Invocations that share one worker (`config.shareWorker`, the default under Lambda Managed
 * Instances), on the fake SDK in virtual time: who starts the worker and who joins it, when it is
 * told to stop (only when the last member leaves), what an idle exit, a failure and a failed
 * start do to every member, a newcomer during a drain, task counts that add up, and the
 * default taken from `AWS_LAMBDA_MAX_CONCURRENCY`.
 */
import { describe, expect, it } from 'vitest';
import type { LambdaWorkerConfig } from '../../src/config/lambda-config';
import { makeContext } from '../support/context';
import { fakeHandler, quietWorker } from '../support/fake-handler';
import { stdoutOfEachTest } from '../support/output-capture';
import type { WorkerScript, WorldScript } from '../support/fake-sdk';

stdoutOfEachTest();

const BUFFER_MS = 3_000;

/** A handler whose invocations share a worker; the test starts invocations at chosen times. */
function sharing(world: Partial<WorldScript> = {}, extra: (config: LambdaWorkerConfig) => void = () => {}) {
  const h = fakeHandler(world, (config) => {
    config.shareWorker = true;
    config.shutdownDeadlineBufferMs = BUFFER_MS;
    config.workerOptions.shutdownGraceTime = 1_000;
    extra(config);
  });
  const started: Array<{
    requestId: string;
    startedMs: number;
    settledMs?: number;
    error?: unknown;
    rejected?: boolean;
  }> = [];
  /** Starts an invocation with `remainingMs` left, without waiting for it. */
  const start = (remainingMs: number) => {
    const context = makeContext(remainingMs, {}, h.clock);
    const record: (typeof started)[number] = { requestId: context.awsRequestId, startedMs: h.clock.now() };
    started.push(record);
    h.handler({}, context).then(
      () => void (record.settledMs = h.clock.now()),
      (error: unknown) => Object.assign(record, { settledMs: h.clock.now(), error, rejected: true }),
    );
    return record;
  };
  const summaryOf = (record: { requestId: string }) =>
    h.lines.find((line) => line.message === 'Invocation summary' && line.requestId === record.requestId);
  const allSettled = () => h.clock.run(() => started.every((record) => record.settledMs !== undefined));
  return { ...h, start, started, summaryOf, allSettled };
}

const withWorkers = (h: ReturnType<typeof sharing>, ...workers: WorkerScript[]) => (h.world.script.workers = workers);

describe('invocations that share a worker', () => {
  it('starts one worker for the first, lets the others join, and stops it only when the last leaves', async () => {
    const h = sharing();
    const a = h.start(20_000);
    await h.clock.run(() => false, h.clock.now() + 2_000);
    const b = h.start(20_000);
    await h.clock.run(() => false, h.clock.now() + 2_000);
    const c = h.start(20_000);
    await h.clock.run(() => a.settledMs !== undefined);
    const [worker] = h.world.workers;
    expect(worker!.shutdownRequested, 'the first member left, the others still own the worker').toBe(false);
    await h.clock.run(() => b.settledMs !== undefined);
    expect(worker!.shutdownRequested).toBe(false);
    await h.allSettled();
    expect(h.started.map((record) => record.error)).toEqual([undefined, undefined, undefined]);
    expect(h.world.workers).toHaveLength(1);
    expect(h.world.connections).toHaveLength(1);
    // Each member leaves at its own work end; the worker stops at the last one's.
    const workEnd = (record: { startedMs: number }) => record.startedMs + 20_000 - BUFFER_MS;
    expect(b.startedMs - a.startedMs).toBe(2_000);
    for (const member of [a, b]) {
      expect(member.settledMs! - workEnd(member)).toBeGreaterThanOrEqual(0);
      expect(member.settledMs! - workEnd(member)).toBeLessThan(100);
    }
    expect(worker!.shutdownAtMs).toBe(workEnd(c));
    expect(c.settledMs!, 'the last member returns after the drain').toBeGreaterThanOrEqual(worker!.settledAtMs!);
    expect(h.summaryOf(a)).toMatchObject({ sharedWorker: 'started', connectionReused: false, endReason: 'deadline' });
    expect(h.summaryOf(b)).toMatchObject({ sharedWorker: 'joined', connectionReused: true, endReason: 'deadline' });
    expect(h.summaryOf(c)).toMatchObject({ sharedWorker: 'joined', endReason: 'deadline' });
    expect(h.summaryOf(c)!.shutdownMs).toBe(worker!.settledAtMs! - worker!.shutdownAtMs!);
    expect(h.summaryOf(b)!.shutdownMs, 'a member that left did not shut anything down').toBeUndefined();
    const polling = h.lines.filter((line) => /^(Worker polling|Joined the running worker)$/.test(String(line.message)));
    expect(polling.map((line) => [line.message, line.sharedWorker, line.startupMs, line.taskQueue])).toEqual([
      ['Worker polling', 'started', 40, 'rules-tq'],
      ['Joined the running worker', 'joined', 0, 'rules-tq'],
      ['Joined the running worker', 'joined', 0, 'rules-tq'],
    ]);
    expect(h.lines.filter((line) => line.message === 'Work window ended: shutting the shared worker down')).toEqual([
      expect.objectContaining({ members: 0, requestId: c.requestId }),
    ]);
  });

  it('keeps the connection for the next invocation once the last member left', async () => {
    const h = sharing();
    h.start(10_000);
    h.start(12_000);
    await h.allSettled();
    const next = h.start(10_000);
    await h.allSettled();
    expect(h.summaryOf(next)).toMatchObject({ sharedWorker: 'started', connectionReused: true });
    expect(h.world.connections).toHaveLength(1);
    expect(h.world.workers).toHaveLength(2);
  });

  it('counts each task once, for the member that leaves first after it started', async () => {
    const h = sharing();
    // From polling start: two tasks before the first member leaves (at 17 s), one after.
    withWorkers(h, {
      ...quietWorker,
      tasks: [
        { startMs: 1_000, durationMs: 3_000 },
        { startMs: 5_000, durationMs: 500 },
        { startMs: 18_000, durationMs: 500 },
      ],
    });
    const a = h.start(20_000);
    await h.clock.run(() => false, h.clock.now() + 3_000);
    const b = h.start(20_000);
    await h.allSettled();
    const activities = (record: { requestId: string }) =>
      (h.summaryOf(record)!.tasks as { activities: number }).activities;
    expect([activities(a), activities(b)]).toEqual([2, 1]);
    // b joined at 3 s, with the first task in flight: its first is the one at 5.04 s.
    expect(h.summaryOf(b)!.timeToFirstTaskMs).toBe(2_040);
  });

  it('ends every member at an idle exit, and the worker drains before the one with the latest deadline returns', async () => {
    const h = sharing({}, (config) => void (config.idleExitMs = 2_000));
    withWorkers(h, { ...quietWorker, drainMs: 400 });
    const a = h.start(30_000);
    await h.clock.run(() => false, h.clock.now() + 1_000);
    const b = h.start(40_000);
    await h.allSettled();
    const [worker] = h.world.workers;
    expect(h.world.workers).toHaveLength(1);
    // Polling from 40 ms, checked every 500 ms from then: idle for exactly 2 s at 2,040 ms.
    expect(worker!.shutdownAtMs! - a.startedMs).toBe(2_040);
    expect(
      h.lines.find((line) => line.message === 'No task for 2000 ms: shutting the shared worker down early'),
    ).toEqual(expect.objectContaining({ members: 2, shutdownForceTimeMs: expect.any(Number) }));
    expect(h.summaryOf(a)).toMatchObject({ endReason: 'idle' });
    expect(h.summaryOf(b)).toMatchObject({ endReason: 'idle' });
    expect(b.settledMs!).toBeGreaterThanOrEqual(worker!.settledAtMs!);
    expect(a.settledMs!).toBeGreaterThanOrEqual(worker!.settledAtMs!);
  });

  it('fails every member with the failure of the worker, and does not keep its connection', async () => {
    const h = sharing();
    withWorkers(h, { ...quietWorker, failAfterMs: 5_000 });
    const a = h.start(20_000);
    await h.clock.run(() => false, h.clock.now() + 1_000);
    const b = h.start(20_000);
    await h.allSettled();
    expect((a.error as Error).message).toBe('poll failed: transport error');
    expect(b.error).toBe(a.error);
    expect(h.summaryOf(a)).toMatchObject({ endReason: 'error' });
    expect(h.summaryOf(b)).toMatchObject({ endReason: 'error' });
    await h.clock.run(() => false);
    expect(h.world.connections[0]!.closed).toBe(true);
  });

  it('starts a second worker, on another connection, for an invocation that arrives while the first drains', async () => {
    const h = sharing();
    withWorkers(h, { ...quietWorker, drainMs: 1_500 });
    h.start(10_000);
    await h.clock.run(() => h.world.workers[0]?.shutdownRequested === true);
    const late = h.start(10_000);
    await h.allSettled();
    expect(h.world.workers).toHaveLength(2);
    expect(h.world.workers[1]!.connection).not.toBe(h.world.workers[0]!.connection);
    expect(h.summaryOf(late)).toMatchObject({ sharedWorker: 'started', connectionReused: false });
    expect(h.world.violations).toEqual([]);
  });

  it('lets an invocation that arrives during the start wait for the worker, and fails both when the start fails', async () => {
    const slow = sharing({ connectMs: 2_000 });
    const a = slow.start(20_000);
    await slow.clock.run(() => false, slow.clock.now() + 500);
    const b = slow.start(20_000);
    await slow.allSettled();
    expect(slow.world.connections).toHaveLength(1);
    expect(slow.summaryOf(b)).toMatchObject({ sharedWorker: 'joined' });
    expect(slow.summaryOf(b)!.startupMs).toBe((slow.summaryOf(a)!.startupMs as number) - 500);

    const failing = sharing({ createFails: true });
    const c = failing.start(20_000);
    const d = failing.start(20_000);
    await failing.allSettled();
    expect(c.rejected && d.rejected).toBe(true);
    expect(d.error).toBe(c.error);
    expect(failing.summaryOf(d)).toMatchObject({ sharedWorker: 'joined', endReason: 'error' });
  });

  it('fails a joiner whose work window ends before the worker it waits for starts', async () => {
    const h = sharing({ connectMs: 6_000 });
    const a = h.start(30_000);
    const b = h.start(5_000);
    await h.allSettled();
    expect(a.error).toBeUndefined();
    expect((b.error as Error).message).toBe(
      "The shared worker that another invocation is starting did not poll within this invocation's work window " +
        '(2000 ms from its start). Raise the function timeout.',
    );
    expect(b.settledMs! - b.startedMs).toBeLessThan(5_000);
  });
});

describe('a shared worker at its edges', () => {
  it('counts idle time from when a delayed start begins to poll', async () => {
    const h = sharing({}, (config) => void (config.idleExitMs = 2_000));
    withWorkers(h, { ...quietWorker, startDelayMs: 3_000 });
    const a = h.start(30_000);
    await h.allSettled();
    // Created at 40 ms, polling from 3,040 ms, checked every 500 ms from 40 ms: 5,040 ms.
    expect(h.world.workers[0]!.shutdownAtMs! - a.startedMs).toBe(5_040);
  });

  it('ends every member with worker-stopped when the worker stops by itself', async () => {
    const h = sharing();
    withWorkers(h, { ...quietWorker, stopAfterMs: 4_000 });
    const a = h.start(20_000);
    await h.clock.run(() => false, h.clock.now() + 1_000);
    const b = h.start(20_000);
    await h.allSettled();
    expect([a.error, b.error]).toEqual([undefined, undefined]);
    expect([h.summaryOf(a)!.endReason, h.summaryOf(b)!.endReason]).toEqual(['worker-stopped', 'worker-stopped']);
    expect(h.lines.filter((line) => line.message === 'The shared worker stopped')).toHaveLength(1);
  });

  it('starts anew after a failed start: the next invocation does not join the failure', async () => {
    const h = sharing({ createFails: true });
    const failed = h.start(20_000);
    await h.allSettled();
    expect(failed.rejected).toBe(true);
    h.world.script.createFails = false;
    const next = h.start(20_000);
    await h.allSettled();
    expect(next.error).toBeUndefined();
    expect(h.summaryOf(next)).toMatchObject({ sharedWorker: 'started' });
  });

  it('gives the end to the member with the latest deadline, whoever came first or last', async () => {
    // A failure at 5 s; the owner closes the suspect connection (2 s) before it returns.
    const h = sharing({ closeMs: 2_000 });
    withWorkers(h, { ...quietWorker, failAfterMs: 5_000 });
    const a = h.start(30_000);
    await h.clock.run(() => false, h.clock.now() + 500);
    const b = h.start(40_000);
    await h.clock.run(() => false, h.clock.now() + 500);
    const c = h.start(20_000);
    await h.allSettled();
    expect([a, b, c].every((member) => member.rejected)).toBe(true);
    expect(b.settledMs! - a.settledMs!).toBeGreaterThanOrEqual(2_000);
    expect(b.settledMs! - c.settledMs!).toBeGreaterThanOrEqual(2_000);
    expect(h.world.connections[0]!.closed).toBe(true);
  });

  it('lets each member go by its own bound when the worker hangs in its drain, and holds its connection', async () => {
    const h = sharing({}, (config) => void (config.idleExitMs = 1_000));
    withWorkers(h, { ...quietWorker, hangsOnShutdown: true }, quietWorker);
    const a = h.start(15_000);
    const b = h.start(60_000);
    await h.allSettled();
    expect([a.error, b.error]).toEqual([undefined, undefined]);
    expect([h.summaryOf(a)!.endReason, h.summaryOf(b)!.endReason]).toEqual(['idle', 'idle']);
    for (const [member, remainingMs] of [
      [a, 15_000],
      [b, 60_000],
    ] as const) {
      expect(member.settledMs! - member.startedMs).toBeLessThan(remainingMs);
      expect(member.settledMs! - member.startedMs).toBeGreaterThan(remainingMs - BUFFER_MS);
    }
    const next = h.start(10_000);
    await h.allSettled();
    expect(next.error).toBeUndefined();
    expect(h.world.workers[1]!.connection, 'the hung worker still holds the first connection').not.toBe(
      h.world.workers[0]!.connection,
    );
    expect(h.world.violations).toEqual([]);
  });
});

describe('a shared worker that serves Nexus', () => {
  it('keeps polling to the last work end, with a warning, where the Nexus count it needs for idle exit is missing', async () => {
    const h = sharing({}, (config) => {
      config.idleExitMs = 1_000;
      config.workerOptions.nexusServices = [{} as never];
    });
    const a = h.start(10_000);
    await h.allSettled();
    expect(h.summaryOf(a)).toMatchObject({ endReason: 'deadline' });
    expect(h.lines.map((line) => line.message)).toContain(
      'Idle exit is off for this shared worker: this @temporalio/worker version does not expose its in-flight task ' +
        "counts; it runs until its last member's work end",
    );
    const off = sharing({}, (config) => {
      config.idleExitMs = false;
      config.workerOptions.nexusServices = [{} as never];
    });
    off.start(10_000);
    await off.allSettled();
    expect(off.lines.filter((line) => line.level === 'WARN')).toEqual([]);
  });
});

describe('the shareWorker default', () => {
  const configured = (env: Record<string, string>, set?: boolean) => {
    const h = fakeHandler(
      {},
      (config) => {
        if (set !== undefined) config.shareWorker = set;
      },
      env,
    );
    return h;
  };

  it('is on under Lambda Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY set), else off, and the config wins', async () => {
    const cases: Array<[Record<string, string>, boolean | undefined, boolean]> = [
      [{ AWS_LAMBDA_MAX_CONCURRENCY: '16' }, undefined, true],
      [{}, undefined, false],
      [{ AWS_LAMBDA_MAX_CONCURRENCY: '16' }, false, false],
      [{}, true, true],
    ];
    for (const [env, set, expected] of cases) {
      const h = configured(env, set);
      const invocation = await h.invoke(10_000);
      expect(h.lines.find((line) => line.message === 'Lambda worker configured')).toMatchObject({
        shareWorker: expected,
      });
      expect(invocation.summary!.sharedWorker).toBe(expected ? 'started' : undefined);
    }
  });
});
