/** The lifecycle with a fake clock, a fake Context that follows it, and fake connection and worker. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IllegalStateError } from '@temporalio/common';
import { ConnectionFailedError, InsufficientTimeError, StartupTimeoutError } from '../../src/errors';
import { runInvocation, type InvocationDeps, type PreparedWorker } from '../../src/lifecycle/invocation';
import type { WorkerLike } from '../../src/lifecycle/worker-run';
import { JsonLogger } from '../../src/logging/logger';
import { ConnectionCache } from '../../src/lifecycle/connection-cache';
import { makeContext } from '../support/context';
import { logged } from '../support/logs';
import { Count } from '../support/fake-sdk';
import { systemClock } from '../../src/lifecycle/clock';

class FakeWorker implements WorkerLike {
  state = 'INITIALIZED';
  numInFlightActivations$ = new Count();
  numInFlightActivities$ = new Count();
  shutdownAtMs: number | undefined;
  private finish?: () => void;
  constructor(private readonly ignoresShutdown = false) {}
  run(): Promise<void> {
    this.state = 'RUNNING';
    return new Promise((resolve) => (this.finish = resolve));
  }
  shutdown(): void {
    this.shutdownAtMs = Date.now();
    this.state = 'STOPPING';
    if (!this.ignoresShutdown) setTimeout(() => this.finish?.(), 100);
  }
  getState(): string {
    return this.state;
  }
}

function setup(
  worker: WorkerLike,
  overrides: Partial<InvocationDeps> = {},
  bufferMs = 7_000,
  extra: { idleExitMs?: number; reuseConnection?: boolean; inProcessWorkflows?: boolean } = {},
) {
  const lines: string[] = [];
  const logger = new JsonLogger({ write: (line) => void lines.push(line) });
  const closed = vi.fn(async () => undefined);
  const hookTimes: number[] = [];
  const createdWith: Array<Record<string, unknown>> = [];
  const prepared: PreparedWorker = {
    settings: {
      workerOptions: { taskQueue: 'tq' },
      shutdownGraceTimeMs: 5_000,
      shutdownDeadlineBufferMs: bufferMs,
      userShutdownForceTimeMs: undefined,
      idleExitMs: extra.idleExitMs,
      reuseConnection: extra.reuseConnection ?? false,
      shareWorker: false,
      inProcessWorkflows: extra.inProcessWorkflows ?? false,
    },
    connectionOptions: { address: 'h:1' },
    connections: new ConnectionCache({ address: 'h:1' }, extra.reuseConnection ?? false, logger),
    namespace: 'default',
    hooks: [() => void hookTimes.push(Date.now())],
    logger,
  };
  const deps: InvocationDeps = {
    connect: async () => ({ close: closed }),
    createWorker: async (options) => {
      createdWith.push(options as unknown as Record<string, unknown>);
      return worker;
    },
    clock: systemClock,
    ...overrides,
  };
  const summary = () => lines.map((line) => JSON.parse(line)).find((line) => line.message === 'Invocation summary');
  return { prepared, deps, lines, closed, hookTimes, createdWith, summary };
}

async function settle(promise: Promise<void>, stepMs = 50, maxMs = 700_000): Promise<{ error?: unknown; at: number }> {
  let done: { error?: unknown; at: number } | undefined;
  promise.then(
    () => (done = { at: Date.now() }),
    (error: unknown) => (done = { error, at: Date.now() }),
  );
  for (let elapsed = 0; done === undefined && elapsed < maxMs; elapsed += stepMs)
    await vi.advanceTimersByTimeAsync(stepMs);
  if (done === undefined) throw new Error('invocation never settled');
  return done;
}

describe('runInvocation', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('polls until deadline - buffer, shuts down, runs hooks, closes, and settles before the deadline', async () => {
    const worker = new FakeWorker();
    const { prepared, deps, hookTimes, closed, createdWith, lines } = setup(worker);
    const context = makeContext(60_000);
    const result = await settle(runInvocation(prepared, context, deps));
    expect(result.error).toBeUndefined();
    expect(worker.shutdownAtMs).toBe(context.deadlineMs - 7_000);
    expect(hookTimes[0]).toBeGreaterThanOrEqual(context.deadlineMs - 7_000);
    expect(closed).toHaveBeenCalledOnce();
    expect(result.at).toBeLessThan(context.deadlineMs);
    expect(createdWith[0]).toMatchObject({
      identity: `${context.awsRequestId}@${context.invokedFunctionArn}`,
      namespace: 'default',
    });
    expect(createdWith[0]!.shutdownForceTime).toBeGreaterThan(5_000);
    expect(logged(lines, { message: 'Invocation summary', endReason: 'deadline' })).toHaveLength(1);
  });

  it('counts connect time against the work window (the deadline is absolute)', async () => {
    const worker = new FakeWorker();
    const { prepared, deps } = setup(worker, {
      connect: () => new Promise((resolve) => setTimeout(() => resolve({ close: async () => undefined }), 20_000)),
    });
    const context = makeContext(60_000);
    await settle(runInvocation(prepared, context, deps));
    expect(worker.shutdownAtMs).toBe(context.deadlineMs - 7_000);
  });

  it('settles before the deadline when the worker never stops', async () => {
    const worker = new FakeWorker(true);
    const { prepared, deps, hookTimes, lines } = setup(worker);
    const context = makeContext(30_000);
    const result = await settle(runInvocation(prepared, context, deps));
    expect(result.at).toBeLessThan(context.deadlineMs);
    expect(hookTimes).toHaveLength(1);
    expect(logged(lines, { level: 'ERROR', message: /^Worker did not stop by its forced shutdown time/ })).toHaveLength(
      1,
    );
  });

  it('settles at work end with StartupTimeoutError when connect never answers, and runs the hooks', async () => {
    const { prepared, deps, hookTimes } = setup(new FakeWorker(), { connect: () => new Promise(() => undefined) });
    const context = makeContext(30_000);
    const result = await settle(runInvocation(prepared, context, deps));
    expect(result.error).toBeInstanceOf(StartupTimeoutError);
    expect(result.at).toBeGreaterThanOrEqual(context.deadlineMs - 7_000);
    expect(result.at).toBeLessThan(context.deadlineMs);
    expect(hookTimes).toHaveLength(1);
  });

  it('wraps a connect failure with the address and the env var to fix', async () => {
    const { prepared, deps } = setup(new FakeWorker(), {
      connect: async () => Promise.reject(new Error('connection refused')),
    });
    const result = await settle(runInvocation(prepared, makeContext(30_000), deps));
    expect(result.error).toBeInstanceOf(ConnectionFailedError);
    expect((result.error as Error).message).toMatch(/h:1.*connection refused.*TEMPORAL_ADDRESS/);
  });

  it('keeps the original error when a hook and the close fail too', async () => {
    const original = new Error('worker crashed');
    const worker: WorkerLike = {
      run: async () => Promise.reject(original),
      shutdown: () => undefined,
      getState: () => 'FAILED',
    };
    const { prepared, deps } = setup(worker, {
      connect: async () => ({ close: async () => Promise.reject(new Error('close failed')) }),
    });
    prepared.hooks = [
      () => {
        throw new Error('hook failed');
      },
    ];
    const result = await settle(runInvocation(prepared, makeContext(30_000), deps));
    expect(result.error).toBe(original);
  });

  it('fails at once with InsufficientTimeError, before connecting, and still runs the hooks', async () => {
    const connect = vi.fn();
    const { prepared, deps, hookTimes } = setup(new FakeWorker(), { connect });
    const context = makeContext(7_500);
    const result = await settle(runInvocation(prepared, context, deps));
    expect(result.error).toBeInstanceOf(InsufficientTimeError);
    expect(connect).not.toHaveBeenCalled();
    expect(hookTimes).toHaveLength(1);
    expect(result.at).toBeLessThan(context.deadlineMs);
  });

  it('ends early with endReason idle once nothing was in flight for idleExitMs, counting the tasks', async () => {
    const worker = new FakeWorker();
    const { prepared, deps, summary, hookTimes } = setup(worker, {}, 7_000, { idleExitMs: 10_000 });
    const context = makeContext(600_000);
    const running = runInvocation(prepared, context, deps);
    await vi.advanceTimersByTimeAsync(2_000);
    worker.numInFlightActivations$.setTo(1);
    await vi.advanceTimersByTimeAsync(500);
    worker.numInFlightActivations$.setTo(0);
    worker.numInFlightActivities$.setTo(1);
    await vi.advanceTimersByTimeAsync(3_000);
    worker.numInFlightActivities$.setTo(0);
    const result = await settle(running);
    expect(result.error).toBeUndefined();
    const lastBusyMs = context.deadlineMs - 600_000 + 5_500;
    expect(worker.shutdownAtMs! - lastBusyMs).toBeGreaterThanOrEqual(10_000);
    expect(worker.shutdownAtMs! - lastBusyMs).toBeLessThan(11_000);
    expect(hookTimes).toHaveLength(1);
    expect(summary()).toMatchObject({
      endReason: 'idle',
      tasks: { workflowActivations: 1, activities: 1 },
      timeToFirstTaskMs: 2_000,
    });
  });

  it('gives in-process workflows the planned activation limit, and threaded ones none', async () => {
    const inProcess = setup(new FakeWorker(), {}, 7_000, { inProcessWorkflows: true });
    await settle(runInvocation(inProcess.prepared, makeContext(60_000), inProcess.deps));
    expect(inProcess.createdWith[0]).toMatchObject({ isolateExecutionTimeout: 1_250 });
    const threaded = setup(new FakeWorker());
    await settle(runInvocation(threaded.prepared, makeContext(60_000), threaded.deps));
    expect(threaded.createdWith[0]).not.toHaveProperty('isolateExecutionTimeout');
  });

  it('counts idle time from when polling starts, not from the invocation start', async () => {
    const worker = new FakeWorker();
    const slowConnect = async () => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      return { close: async () => undefined };
    };
    const { prepared, deps, summary } = setup(worker, { connect: slowConnect }, 7_000, { idleExitMs: 2_000 });
    const context = makeContext(60_000);
    const startMs = Date.now();
    const result = await settle(runInvocation(prepared, context, deps));
    expect(result.error).toBeUndefined();
    expect(worker.shutdownAtMs! - startMs).toBeGreaterThanOrEqual(3_000 + 2_000);
    expect(worker.shutdownAtMs! - startMs).toBeLessThan(3_000 + 2_000 + 1_000);
    expect(summary()).toMatchObject({
      endReason: 'idle',
      startupMs: 3_000,
      tasks: { workflowActivations: 0, activities: 0, nexusOperations: 0 },
    });
  });

  it('keeps polling while a Nexus operation is in flight, and counts it', async () => {
    const worker = Object.assign(new FakeWorker(), { numInFlightNexusOperationsSubject: new Count() });
    const { prepared, deps, summary } = setup(worker, {}, 7_000, { idleExitMs: 2_000 });
    prepared.settings.workerOptions.nexusServices = [{} as never];
    const startMs = Date.now();
    const running = runInvocation(prepared, makeContext(60_000), deps);
    await vi.advanceTimersByTimeAsync(1_000);
    worker.numInFlightNexusOperationsSubject.setTo(1);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(worker.shutdownAtMs).toBeUndefined();
    worker.numInFlightNexusOperationsSubject.setTo(0);
    const result = await settle(running);
    expect(result.error).toBeUndefined();
    expect(worker.shutdownAtMs! - startMs).toBeGreaterThanOrEqual(7_000 + 2_000);
    expect(worker.shutdownAtMs! - startMs).toBeLessThan(7_000 + 3_000);
    expect(summary()).toMatchObject({ endReason: 'idle', tasks: { nexusOperations: 1 }, timeToFirstTaskMs: 1_000 });
  });

  it('turns idle exit off, with a warning, when the worker serves Nexus but hides its Nexus count', async () => {
    const worker = new FakeWorker();
    const { prepared, deps, summary, lines } = setup(worker, {}, 7_000, { idleExitMs: 2_000 });
    prepared.settings.workerOptions.nexusServices = [{} as never];
    const context = makeContext(30_000);
    const result = await settle(runInvocation(prepared, context, deps));
    expect(result.error).toBeUndefined();
    expect(worker.shutdownAtMs).toBe(context.deadlineMs - 7_000);
    expect(summary()).toMatchObject({ endReason: 'deadline' });
    expect(logged(lines, { level: 'WARN' }).map((line) => line.message)).toEqual([
      'Idle exit is off for this invocation: this @temporalio/worker version does not expose its in-flight task ' +
        'counts; the worker runs until the deadline',
    ]);
    // With idle exit off already, there is nothing to warn about.
    const quiet = setup(new FakeWorker(), {}, 7_000, { idleExitMs: undefined });
    quiet.prepared.settings.workerOptions.nexusServices = [{} as never];
    expect((await settle(runInvocation(quiet.prepared, makeContext(30_000), quiet.deps))).error).toBeUndefined();
    expect(logged(quiet.lines, { level: 'WARN' })).toEqual([]);
  });

  it('reuses a kept connection that answers its check, and replaces one that does not', async () => {
    let connects = 0;
    let healthy = true;
    const close = vi.fn(async () => undefined);
    const overrides: Partial<InvocationDeps> = {
      connect: async () => ({ id: ++connects, close }),
      check: async () => (healthy ? undefined : new Promise(() => undefined)),
    };
    const first = setup(new FakeWorker(), overrides, 7_000, { reuseConnection: true });
    await settle(runInvocation(first.prepared, makeContext(20_000), first.deps));
    expect(first.summary()).toMatchObject({ connectionReused: false });
    expect(close).not.toHaveBeenCalled();
    const warm = { ...first.prepared };
    first.lines.length = 0;
    await settle(
      runInvocation(warm, makeContext(20_000), { ...first.deps, createWorker: async () => new FakeWorker() }),
    );
    expect(first.summary()).toMatchObject({ connectionReused: true });
    expect(connects).toBe(1);
    healthy = false;
    first.lines.length = 0;
    await settle(
      runInvocation(warm, makeContext(20_000), { ...first.deps, createWorker: async () => new FakeWorker() }),
    );
    expect(first.summary()).toMatchObject({ connectionReused: false });
    expect(connects).toBe(2);
    expect(close).toHaveBeenCalledOnce();
  });
});

describe("a worker that starts polling late (a plugin's async runWorker before the SDK's)", () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => void vi.useRealTimers());

  /** INITIALIZED (refusing shutdown, as the SDK's Worker does) until `startAfterMs` after run(). */
  class LateStarter extends FakeWorker {
    startedAtMs: number | undefined;
    constructor(private readonly startAfterMs: number) {
      super();
    }
    override run(): Promise<void> {
      const running = super.run();
      this.state = 'INITIALIZED';
      setTimeout(() => {
        this.state = 'RUNNING';
        this.startedAtMs = Date.now();
      }, this.startAfterMs);
      return running;
    }
    override shutdown(): void {
      if (this.state !== 'RUNNING') throw new IllegalStateError(`Not running. Current state: ${this.state}`);
      super.shutdown();
    }
  }

  it('counts idle time from when it starts polling, and shuts it down then', async () => {
    const worker = new LateStarter(3_000);
    const { prepared, deps, summary, lines } = setup(worker, {}, 7_000, { idleExitMs: 1_000 });
    const result = await settle(runInvocation(prepared, makeContext(60_000), deps));
    expect(result.error).toBeUndefined();
    expect(worker.shutdownAtMs! - worker.startedAtMs!).toBeGreaterThanOrEqual(1_000);
    expect(worker.shutdownAtMs! - worker.startedAtMs!).toBeLessThan(1_500);
    expect(summary()).toMatchObject({ endReason: 'idle' });
    expect(logged(lines, { message: /abandoning/ })).toEqual([]);
  });

  it('shuts it down as soon as it starts when the work window ended before', async () => {
    const worker = new LateStarter(15_000);
    const { prepared, deps, summary, lines } = setup(worker);
    const context = makeContext(20_000);
    const result = await settle(runInvocation(prepared, context, deps));
    expect(result.error).toBeUndefined();
    expect(worker.startedAtMs).toBeGreaterThan(context.deadlineMs - 7_000);
    expect(worker.shutdownAtMs! - worker.startedAtMs!).toBeLessThanOrEqual(20);
    expect(summary()).toMatchObject({ endReason: 'deadline' });
    expect(logged(lines, { level: 'INFO', message: /^The worker has not started polling yet/ })).toHaveLength(1);
    expect(logged(lines, { message: /abandoning/ })).toEqual([]);
  });
});

describe('the SDK\'s finalize race (IllegalStateError "Worker still in use" after the worker stopped)', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => void vi.useRealTimers());

  /** A worker whose run ends as the SDK's does when finalizeShutdown loses the race, in `state`. */
  class RacingWorker extends FakeWorker {
    constructor(private readonly endState: string) {
      super();
    }
    override run(): Promise<void> {
      return super.run().then(() => {
        this.state = this.endState;
        throw new IllegalStateError('Worker still in use: Expected 1 reference, but got 2');
      });
    }
  }

  it('succeeds, warns, and closes the kept connection when the worker had STOPPED', async () => {
    let connects = 0;
    const close = vi.fn(async () => undefined);
    const { prepared, deps, lines, summary } = setup(
      new RacingWorker('STOPPED'),
      { connect: async () => ({ id: ++connects, close }), check: async () => undefined },
      7_000,
      { reuseConnection: true },
    );
    const result = await settle(runInvocation(prepared, makeContext(20_000), deps));
    expect(result.error).toBeUndefined();
    expect(summary()).toMatchObject({ endReason: 'deadline', level: 'INFO' });
    expect(logged(lines, { level: 'WARN', message: /the SDK could not finalize it/ })).toHaveLength(1);
    expect(close).toHaveBeenCalledOnce();
    // The next invocation opens a new connection instead of the closed one.
    lines.length = 0;
    await settle(runInvocation(prepared, makeContext(20_000), { ...deps, createWorker: async () => new FakeWorker() }));
    expect(summary()).toMatchObject({ connectionReused: false, endReason: 'deadline' });
    expect(connects).toBe(2);
  });

  it('counts a forced shutdown from when an idle exit began it: succeeds with a warning and replaces the connection', async () => {
    // As the SDK does when polls outlive shutdownForceTime: the worker FAILED, then finalize fails.
    class SlowToDrain extends FakeWorker {
      forceTimeMs = 0;
      private fail?: (error: Error) => void;
      override run(): Promise<void> {
        this.state = 'RUNNING';
        return new Promise((_resolve, reject) => (this.fail = reject));
      }
      override shutdown(): void {
        this.shutdownAtMs = Date.now();
        this.state = 'DRAINING';
        setTimeout(() => {
          this.state = 'FAILED';
          this.fail?.(new IllegalStateError('Worker still in use: Expected 1 reference, but got 2'));
        }, this.forceTimeMs + 10);
      }
    }
    const worker = new SlowToDrain();
    const close = vi.fn(async () => undefined);
    const { prepared, deps, lines, summary } = setup(
      worker,
      {
        connect: async () => ({ close }),
        check: async () => undefined,
        createWorker: async (options) => {
          worker.forceTimeMs = options.shutdownForceTime as number;
          return worker;
        },
      },
      7_000,
      { idleExitMs: 1_000, reuseConnection: true },
    );
    const context = makeContext(60_000);
    const result = await settle(runInvocation(prepared, context, deps));
    expect(result.error).toBeUndefined();
    expect(worker.shutdownAtMs).toBeLessThan(context.deadlineMs - 7_000 - 30_000);
    expect(summary()).toMatchObject({ endReason: 'idle', level: 'INFO' });
    expect(logged(lines, { level: 'WARN', message: /^Worker shutdown was forced/ })).toHaveLength(1);
    expect(close).toHaveBeenCalledOnce();
  });

  it('still fails the invocation when the worker had not stopped cleanly (FAILED)', async () => {
    const { prepared, deps, summary } = setup(new RacingWorker('FAILED'));
    const result = await settle(runInvocation(prepared, makeContext(20_000), deps));
    expect((result.error as Error).name).toBe('IllegalStateError');
    expect(summary()).toMatchObject({ endReason: 'error', level: 'ERROR' });
  });
});

describe('summary hooks', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('get the logged summary before the handler settles; one that throws is logged and the next still runs', async () => {
    const { prepared, deps, summary, lines } = setup(new FakeWorker());
    const seen: Array<{ summary: unknown; context: unknown; at: number }> = [];
    prepared.summaryHooks = [
      () => {
        throw new Error('sink down');
      },
      (s, c) => void seen.push({ summary: s, context: c, at: Date.now() }),
    ];
    const context = makeContext(30_000);
    const result = await settle(runInvocation(prepared, context, deps, true));
    expect(result.error).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.at).toBeLessThanOrEqual(result.at);
    const { level, message, timestamp, ...summaryFields } = summary();
    expect(JSON.parse(JSON.stringify(seen[0]!.summary))).toEqual(summaryFields);
    expect(seen[0]!.context).toMatchObject({
      requestId: context.awsRequestId,
      functionName: context.functionName,
      taskQueue: 'tq',
      coldStart: true,
    });
    expect(
      logged(lines, { level: 'WARN', message: 'Summary hook failed; the invocation goes on', hookIndex: 0 }),
    ).toHaveLength(1);
  });

  it('also get the summary of an invocation that had too little time', async () => {
    const { prepared, deps } = setup(new FakeWorker());
    const seen: Array<{ endReason: string; error?: unknown }> = [];
    prepared.summaryHooks = [(s) => void seen.push(s)];
    const result = await settle(runInvocation(prepared, makeContext(7_500), deps));
    expect(result.error).toBeInstanceOf(InsufficientTimeError);
    expect(seen).toMatchObject([{ endReason: 'error', error: { name: 'InsufficientTimeError' } }]);
  });
});
