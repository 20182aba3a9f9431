// The execution environments of one function and the invocations that wait for them, for the
// Lambda emulator (lambda-emulator.mjs describes the model): scheduling, cold starts, reaping,
// throttling, Lambda's async retries, and the records and figures of every invocation.
import { randomUUID } from 'node:crypto';
import { startEnvironment } from './environment.mjs';

/** The execution environments of one function, the queue of invocations waiting for one, and the records. */
export class EnvironmentPool {
  queue = [];
  invocations = [];
  apiInvokes = []; // every Invoke call of the Lambda API: { at, type, throttled }
  logs = [];
  environments = new Set(); // live ones: starting, busy or idle
  stats = { environmentsCreated: 0, peakEnvironments: 0, peakBusy: 0, reaped: 0, retries: 0, discarded: 0 };
  nextEnvironmentId = 1;
  stopped = false;
  waiters = [];
  pendingRetries = new Set();

  constructor(options) {
    Object.assign(this, options); // the function's settings and the scaling options
    this.functionEnv = { ...options.env };
    this.log = (line, source, environment) => {
      const entry = {
        at: Date.now(),
        source,
        line,
        requestId: this.requestIdOf(line, environment),
        environmentId: environment?.id,
      };
      this.logs.push(entry);
      this.onLog(entry);
    };
  }

  /** The invocation a log line belongs to: the one running in its environment. */
  requestIdOf(line, environment) {
    return environment?.current?.requestId;
  }

  /** The function's configuration as an environment created now gets it. */
  fn() {
    const {
      taskRoot,
      handler,
      functionName,
      functionArn,
      region,
      memoryMb,
      nodeMajor,
      tracingActive,
      layer,
      runtimeFlags,
    } = this;
    return {
      taskRoot,
      handler,
      functionName,
      functionArn,
      region,
      memoryMb,
      nodeMajor,
      tracingActive,
      layer,
      runtimeFlags,
      timeoutMs: this.timeoutSeconds * 1000,
      env: { ...this.functionEnv },
    };
  }

  busyCount() {
    return [...this.environments].filter((e) => e.state === 'busy' || e.state === 'starting').length;
  }

  freeEnvironment() {
    return [...this.environments].filter((e) => e.state === 'idle').sort((a, b) => b.lastUsedAt - a.lastUsedAt)[0];
  }

  hasCapacity() {
    return this.freeEnvironment() !== undefined || this.environments.size < this.concurrency;
  }

  /** Creates an environment for `invocation` (a cold start) and runs it there. */
  async coldStart(invocation) {
    const id = `env-${this.nextEnvironmentId++}`;
    const placeholder = { id, state: 'starting', lastUsedAt: Date.now() };
    this.environments.add(placeholder); // counts against the limit while the runtime starts
    this.stats.environmentsCreated += 1;
    let environment;
    try {
      environment = await startEnvironment({ id, fn: this.fn(), log: this.log, onDead: (dead) => this.onDead(dead) });
    } finally {
      this.environments.delete(placeholder);
    }
    if (this.stopped) return environment.kill();
    this.environments.add(environment);
    this.run(environment, invocation);
  }

  onDead(environment) {
    this.environments.delete(environment);
    this.schedule();
  }

  run(environment, invocation) {
    environment.run(invocation).then(() => {
      if (environment.state === 'idle') this.armReaper(environment);
      this.schedule();
      this.settleWaiters();
    });
    this.stats.peakEnvironments = Math.max(this.stats.peakEnvironments, this.environments.size);
    this.stats.peakBusy = Math.max(this.stats.peakBusy, this.busyCount());
  }

  armReaper(environment) {
    if (!Number.isFinite(this.reapAfterMs)) return;
    clearTimeout(environment.reapTimer);
    environment.reapTimer = setTimeout(() => {
      if (environment.state !== 'idle') return;
      this.log(`reaping environment ${environment.id} after ${this.reapAfterMs} ms without an invocation`, 'emulator');
      this.stats.reaped += 1;
      environment.kill();
    }, this.reapAfterMs);
    environment.reapTimer.unref?.();
  }

  /** Starts queued invocations while there is capacity: a free environment first, else a new one. */
  schedule() {
    while (!this.stopped && this.queue.length > 0 && this.hasCapacity()) {
      const invocation = this.queue.shift();
      const environment = this.freeEnvironment();
      if (environment !== undefined) this.run(environment, invocation);
      else this.coldStart(invocation).catch((error) => this.failToStart(invocation, error));
    }
  }

  /** An environment that could not be created fails its invocation (a clear record, no hang). */
  failToStart(invocation, error) {
    this.log(`could not start an execution environment: ${error}`, 'emulator');
    Object.assign(invocation, {
      outcome: 'error',
      errorType: 'EnvironmentStartError',
      body: JSON.stringify({ errorMessage: String(error) }),
      startMs: Date.now(),
      endMs: Date.now(),
      durationMs: 0,
      billedMs: 0,
      marginMs: 0,
    });
    invocation.resolve(invocation);
    this.schedule();
    this.settleWaiters();
  }

  settleWaiters() {
    if (this.queue.length > 0 || this.busyCount() > 0 || this.pendingRetries.size > 0) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /**
   * Queues an invocation (runs at once when there is capacity); resolves when it ends. A retry
   * of an event keeps its request id (`retryOf`: the attempt before).
   */
  invoke(event = {}, source = 'direct', retryOf = undefined) {
    let settle;
    const done = new Promise((r) => (settle = r));
    // An event's retry is decided as it ends, before anyone waiting for the pool to go idle looks.
    const resolve = (record) => {
      if (source === 'Event') this.retryIfFailed(event, record);
      settle(record);
    };
    const invocation = {
      requestId: retryOf?.requestId ?? randomUUID(),
      payload: JSON.stringify(event ?? {}),
      source,
      attempt: (retryOf?.attempt ?? 0) + 1,
      queuedAt: Date.now(),
      firstQueuedAt: retryOf?.firstQueuedAt ?? Date.now(),
      resolve,
      done,
    };
    this.invocations.push(invocation);
    this.queue.push(invocation);
    this.schedule();
    return done;
  }

  /** The Invoke call of the Lambda API: throttles (returns undefined) or invokes. */
  apiInvoke(event, type) {
    const throttled = !this.hasCapacity() && (type !== 'Event' || !this.asyncQueue);
    this.apiInvokes.push({ at: Date.now(), type, throttled });
    if (!throttled) return this.invoke(event, type);
    this.log(`throttled a ${type} invoke: ${this.throttleReason()}`, 'emulator');
    return undefined;
  }

  throttleReason() {
    return `${this.concurrency} environment(s) busy (reserved concurrency ${this.concurrency})`;
  }

  /** Lambda's async retry: a failed event runs again after a delay, while attempts and age allow. */
  retryIfFailed(event, record) {
    if (record.outcome === 'ok' || this.stopped) return;
    if (record.attempt > this.maximumRetryAttempts) return;
    const delayMs = this.retryDelaysMs[Math.min(record.attempt, this.retryDelaysMs.length) - 1];
    const timer = setTimeout(() => {
      this.pendingRetries.delete(timer);
      if (this.stopped) return;
      if (Date.now() - record.firstQueuedAt > this.maximumEventAgeSeconds * 1000) {
        this.stats.discarded += 1;
        this.log(`dropped event ${record.requestId}: older than ${this.maximumEventAgeSeconds} s`, 'emulator');
        this.settleWaiters();
        return;
      }
      this.stats.retries += 1;
      this.log(`retrying event ${record.requestId} (attempt ${record.attempt + 1})`, 'emulator');
      void this.invoke(event, 'Event', record);
    }, delayMs);
    this.pendingRetries.add(timer);
    timer.unref?.();
  }

  /** Figures of the invocations so far (or of `since` onwards, an index into `invocations`). */
  summary(since = 0) {
    const ended = this.invocations.slice(since).filter((i) => i.outcome !== undefined);
    const billedMs = ended.reduce((sum, i) => sum + i.billedMs, 0);
    return {
      invocations: ended.length,
      coldStarts: ended.filter((i) => i.cold).length,
      timeouts: ended.filter((i) => i.outcome === 'timeout').length,
      errors: ended.filter((i) => i.outcome === 'error').length,
      billedMs,
      gbSeconds: +((billedMs / 1000) * (this.memoryMb / 1024)).toFixed(3),
      throttles: this.apiInvokes.filter((call) => call.throttled).length,
      ...this.stats,
    };
  }
}
