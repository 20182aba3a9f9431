/**
 * A fake Temporal SDK that keeps the rules of the real one that the lifecycle depends on, on a
 * {@link FakeClock}: core registers one worker per connection and task queue and refuses a
 * second; `close()` throws while a worker holds the connection; `shutdown()` throws unless the
 * worker is RUNNING; after `shutdownForceTime` the worker fails with
 * `GracefulShutdownPeriodExpiredError`; a finalize race leaves the worker registered in core.
 * Whatever the library does against these rules is recorded in `violations`.
 */
import { IllegalStateError } from '@temporalio/common';
import { GracefulShutdownPeriodExpiredError } from '@temporalio/worker';
import type { InvocationDeps } from '../../src/lifecycle/invocation';
import type { FakeClock } from './fake-clock';

/** A minimal observable count, like the worker's `numInFlightActivities$`. */
export class Count {
  private listeners: Array<(n: number) => void> = [];
  value = 0;
  subscribe(next: (n: number) => void) {
    this.listeners.push(next);
    next(this.value);
    return { unsubscribe: () => void (this.listeners = this.listeners.filter((listener) => listener !== next)) };
  }
  add(delta: number) {
    this.setTo(this.value + delta);
  }
  setTo(value: number) {
    this.value = value;
    this.listeners.forEach((listener) => listener(this.value));
  }
}

/** How one fake worker behaves, relative to its own events. */
export interface WorkerScript {
  /** A plugin's `runWorker` holds the start this long after `run()`. */
  startDelayMs: number;
  /** Time from `shutdown()` to a clean stop; past the force time the SDK fails the worker. */
  drainMs: number;
  /** After a clean drain, the native finalize loses its race (IllegalStateError, still registered). */
  finalizeRace: boolean;
  /** The worker fails by itself this long after it starts polling. */
  failAfterMs?: number;
  /** What it fails with then. @default Error 'poll failed: transport error' */
  failError?: Error;
  /** The worker stops by itself (its pollers end) this long after it starts polling. */
  stopAfterMs?: number;
  /** A plugin's `runWorker` fails this long after `run()`, before the worker started polling. */
  failBeforeStartMs?: number;
  /** After `shutdown()` the run never settles (a worker stuck in a native call): only abandoning it helps. */
  hangsOnShutdown?: boolean;
  /** The worker has no `runInternal` (an SDK without the start hook the library uses). */
  noStartHook?: boolean;
  /** Activities: start (from polling start) and duration. */
  tasks: Array<{ startMs: number; durationMs: number }>;
}

/** What core says when the server refuses the key at connect (taken from a real refusal, 2026-12-03). */
export const KEY_REFUSED =
  "Failed to call GetSystemInfo: code: 'The caller does not have permission to execute the specified operation', " +
  'message: "Request unauthorized."';

export class FakeConnection {
  closed = false;
  /** The API key its calls carry: the one it connected with, or the last `setApiKey`. */
  apiKey: string | undefined;
  /** JS-side reference holders: workers created and not yet settled. */
  readonly holders = new Set<FakeWorker>();
  /** Core-side registrations: a worker stays registered when its finalize failed. */
  readonly registered = new Set<string>();
  constructor(
    readonly id: number,
    private readonly world: FakeWorld,
  ) {}
  async close(): Promise<void> {
    if (this.holders.size > 0) {
      this.world.violation(`close() of connection ${this.id} while a worker holds it`);
      throw new IllegalStateError('Cannot close connection while Workers hold a reference to it');
    }
    await this.world.after(this.world.script.closeMs);
    this.closed = true;
  }
  async setApiKey(apiKey: string): Promise<void> {
    if (this.world.script.setApiKeyFails) throw new Error('setApiKey failed');
    this.apiKey = apiKey;
  }
}

export class FakeWorker {
  state = 'INITIALIZED';
  readonly numInFlightActivations$ = new Count();
  readonly numInFlightActivities$ = new Count();
  shutdownRequested = false;
  /** When `shutdown()` was called, and when the run settled (clock readings). */
  shutdownAtMs: number | undefined;
  settledAtMs: number | undefined;
  reachedRunning = false;
  settled = false;
  private resolveRun!: () => void;
  private rejectRun!: (error: unknown) => void;
  private readonly done: Promise<void>;

  constructor(
    readonly connection: FakeConnection,
    readonly taskQueue: string,
    private readonly forceTimeMs: number,
    private readonly script: WorkerScript,
    private readonly clock: FakeClock,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveRun = resolve;
      this.rejectRun = reject;
    });
    if (script.noStartHook) Object.defineProperty(this, 'runInternal', { value: undefined });
  }

  run(): Promise<void> {
    if (this.script.failBeforeStartMs !== undefined) {
      this.clock.at(this.script.failBeforeStartMs, () => this.end('FAILED', new Error('plugin failed before start')));
      return this.done;
    }
    const start = () => void (this.runInternal?.() ?? this.start()).catch(() => undefined);
    if (this.script.startDelayMs > 0) this.clock.at(this.script.startDelayMs, start);
    else start();
    return this.done;
  }

  /** Named as the SDK's private method: the library's start hook wraps it. */
  runInternal?(): Promise<void> {
    return this.start();
  }

  private start(): Promise<void> {
    if (this.state !== 'INITIALIZED') return Promise.reject(new IllegalStateError('Poller was already started'));
    this.state = 'RUNNING';
    this.reachedRunning = true;
    for (const task of this.script.tasks) {
      this.clock.at(task.startMs, () => {
        if (this.state !== 'RUNNING') return;
        this.numInFlightActivities$.add(1);
        this.clock.at(task.durationMs, () => this.numInFlightActivities$.add(-1));
      });
    }
    if (this.script.stopAfterMs !== undefined) {
      this.clock.at(this.script.stopAfterMs, () => {
        if (this.state !== 'RUNNING') return;
        if (this.script.finalizeRace)
          this.end('STOPPED', new IllegalStateError('Worker still in use: Expected 1 reference, but got 2'), false);
        else this.end('STOPPED');
      });
    }
    if (this.script.failAfterMs !== undefined) {
      this.clock.at(this.script.failAfterMs, () => {
        if (this.state === 'RUNNING')
          this.end('FAILED', this.script.failError ?? new Error('poll failed: transport error'));
      });
    }
    return this.done;
  }

  shutdown(): void {
    if (this.state !== 'RUNNING') throw new IllegalStateError(`Not running. Current state: ${this.state}`);
    this.shutdownRequested = true;
    this.shutdownAtMs = this.clock.now();
    this.state = 'DRAINING';
    if (this.script.hangsOnShutdown) return;
    this.clock.at(this.script.drainMs, () => {
      if (this.state !== 'DRAINING') return;
      if (this.script.finalizeRace)
        this.end('STOPPED', new IllegalStateError('Worker still in use: Expected 1 reference, but got 2'), false);
      else this.end('STOPPED');
    });
    this.clock.at(this.forceTimeMs, () => {
      if (this.state !== 'DRAINING') return;
      // With a call still outstanding at the forced stop, finalize fails and core keeps the worker.
      if (this.script.finalizeRace)
        this.end('FAILED', new IllegalStateError('Worker still in use: Expected 1 reference, but got 2'), false);
      else
        this.end(
          'FAILED',
          new GracefulShutdownPeriodExpiredError('Timed out while waiting for worker to shutdown gracefully'),
        );
    });
  }

  getState(): string {
    return this.state;
  }

  private end(state: string, error?: unknown, finalized = true): void {
    this.state = state;
    this.settled = true;
    this.settledAtMs = this.clock.now();
    // As the SDK: the JS reference goes in any case; core keeps a worker it could not finalize.
    this.connection.holders.delete(this);
    if (finalized) this.connection.registered.delete(this.taskQueue);
    if (error === undefined) this.resolveRun();
    else this.rejectRun(error);
  }
}

/** How the fake server and network behave for one scenario. */
export interface WorldScript {
  connectMs: number;
  connectFails: boolean;
  checkMs: number;
  checkFails: boolean;
  createMs: number;
  createFails: boolean;
  closeMs: number;
  /** When set, the server accepts only these API keys: a connect or check with another is refused. */
  acceptedKeys?: string[];
  /** `setApiKey` rejects. */
  setApiKeyFails?: boolean;
  /** One script per worker created, in order (the last one repeats). */
  workers: WorkerScript[];
}

export class FakeWorld {
  readonly connections: FakeConnection[] = [];
  readonly workers: FakeWorker[] = [];
  /** The options of every connect, in order (copied: the library changes its object later). */
  readonly connectedWith: Array<Record<string, unknown>> = [];
  /** The options of every `Worker.create` call, in order. */
  readonly createdWith: Array<Record<string, unknown>> = [];
  readonly violations: string[] = [];

  constructor(
    readonly clock: FakeClock,
    readonly script: WorldScript,
  ) {}

  violation(text: string): void {
    this.violations.push(`${text} (at +${this.clock.now() % 1_000_000} ms)`);
  }

  after(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.at(ms, resolve));
  }

  /** Whether the server refuses a call carrying `apiKey`. */
  refuses(apiKey: unknown): boolean {
    return this.script.acceptedKeys !== undefined && !this.script.acceptedKeys.includes(apiKey as string);
  }

  /** The lifecycle's dependencies, backed by this world. */
  deps(): InvocationDeps {
    return {
      clock: this.clock,
      connect: async (options) => {
        this.connectedWith.push({ ...options });
        await this.after(this.script.connectMs);
        if (this.script.connectFails) throw new Error('connection refused');
        if (this.refuses(options.apiKey)) throw new Error(KEY_REFUSED);
        const connection = new FakeConnection(this.connections.length + 1, this);
        connection.apiKey = options.apiKey as string | undefined;
        this.connections.push(connection);
        return connection;
      },
      check: async (connection) => {
        await this.after(this.script.checkMs);
        if (this.script.checkFails || (connection as FakeConnection).closed)
          throw new Error('check failed: UNAVAILABLE');
        if (this.refuses((connection as FakeConnection).apiKey))
          throw Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 });
      },
      createWorker: async (options) => {
        this.createdWith.push(options as unknown as Record<string, unknown>);
        await this.after(this.script.createMs);
        const connection = options.connection as unknown as FakeConnection;
        if (this.script.createFails) throw new Error('worker options rejected');
        if (connection.closed) this.violation(`Worker.create on closed connection ${connection.id}`);
        if (connection.registered.has(options.taskQueue)) {
          this.violation(
            `Worker.create refused: connection ${connection.id} still has a worker of ${options.taskQueue}`,
          );
          throw new Error(`a worker of task queue ${options.taskQueue} is already registered on this connection`);
        }
        const script = this.script.workers[Math.min(this.workers.length, this.script.workers.length - 1)]!;
        const worker = new FakeWorker(
          connection,
          options.taskQueue,
          Number(options.shutdownForceTime),
          script,
          this.clock,
        );
        connection.holders.add(worker);
        connection.registered.add(options.taskQueue);
        this.workers.push(worker);
        return worker;
      },
    };
  }
}
