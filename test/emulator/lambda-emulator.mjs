// A Lambda emulator on loopback for one Node.js function, run by the real AWS Lambda Runtime
// Interface Client (aws-lambda-ric, the runtime client of the nodejs22.x/24.x managed runtimes).
// It models what the Temporal Worker Controller and a function see of Lambda's scaling:
// - execution environments (environment.mjs), each its own runtime process, created on demand
//   (a cold start) up to `concurrency` (the function's reserved concurrency), reused warm when
//   free (the most recently used first), frozen between invocations, SIGKILLed at a deadline, and
//   reaped after `reapAfterMs` without an invocation;
// - the two Lambda control-plane calls the Worker Controller makes (lambda-api.mjs): GetFunction
//   and Invoke. Beyond the concurrency limit, a RequestResponse invoke is throttled (429
//   TooManyRequestsException). An Event invoke is accepted (202) and queued until an environment
//   is free, as Lambda's internal async queue retries throttled events, unless `asyncQueue: false`,
//   which throttles Event invokes too (to test a caller's handling of 429). A queued event that
//   fails (an error or a timeout) is retried as Lambda's async invocation does: up to
//   `maximumRetryAttempts` more times (default 2, after 1 and then 2 more minutes, compressed by
//   `retryDelaysMs`), with the same request id, and dropped once older than
//   `maximumEventAgeSeconds` (default 6 hours): the function's EventInvokeConfig;
// - a record of every invocation: start, end, environment, cold/warm, duration and billed
//   duration (rounded up to 1 ms; a cold start's duration includes the init phase, which Lambda
//   bills for managed runtimes).
// The AWS Lambda Runtime Interface Emulator would be the first choice; it serves one environment
// only, and the Go module proxy here does not serve it, so this speaks the documented protocols.
import { randomUUID } from 'node:crypto';
import { startEnvironment } from './environment.mjs';
import { startLambdaApi } from './lambda-api.mjs';

export { LAMBDA_NODE_MAJORS, runtimePaths } from './environment.mjs';

const DEFAULT_REAP_AFTER_MS = 5 * 60_000;
const FUNCTION_DEFAULTS = {
  timeoutSeconds: 30,
  env: {},
  functionName: 'temporal-worker',
  region: 'us-east-1',
  accountId: '123456789012',
  memoryMb: 256,
  onLog: () => {},
  /** The runtime's Node.js major ('22' or '24'); default: TLW_LAMBDA_NODE, else 22. */
  nodeMajor: undefined,
  /** X-Ray active tracing: the trace header says Sampled=1 (else Sampled=0, Lambda's PassThrough). */
  tracingActive: false,
  /** 'adot': the ADOT JavaScript layer's exec wrapper runs the runtime (adot-layer.mjs). */
  layer: undefined,
  /** Start node with the flags Lambda's runtime bootstrap gives it (heap sized from memoryMb); see environment.mjs. */
  runtimeFlags: false,
};
const SCALING_DEFAULTS = { concurrency: 1, reapAfterMs: DEFAULT_REAP_AFTER_MS, asyncQueue: true };
/** Lambda's async invocation defaults (EventInvokeConfig), and its retry delays: 1 min, then 2 min. */
const ASYNC_DEFAULTS = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600, retryDelaysMs: [60_000, 120_000] };

/** The execution environments of one function, the queue of invocations waiting for one, and the records. */
class EnvironmentPool {
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
        requestId: environment?.current?.requestId,
        environmentId: environment?.id,
      };
      this.logs.push(entry);
      this.onLog(entry);
    };
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
    this.log(
      `throttled a ${type} invoke: ${this.concurrency} environment(s) busy (reserved concurrency ${this.concurrency})`,
      'emulator',
    );
    return undefined;
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

/**
 * Starts the emulator. `taskRoot` holds the function code, `handler` is Lambda's handler setting
 * (lib/index.handler), `timeoutSeconds` the function timeout, `env` the function's environment
 * variables, `memoryMb` its memory, `concurrency` the most environments at once (default 1: one
 * invocation at a time), `reapAfterMs` how long a free environment is kept (default 5 minutes),
 * `asyncQueue` whether Event invokes beyond the limit are queued (default) or throttled;
 * `maximumRetryAttempts`, `maximumEventAgeSeconds` and `retryDelaysMs` the async retry policy.
 */
export async function startLambdaEmulator(options) {
  const settings = { ...FUNCTION_DEFAULTS, ...SCALING_DEFAULTS, ...ASYNC_DEFAULTS, ...options };
  const { concurrency, region, accountId, functionName } = settings;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`startLambdaEmulator: concurrency must be a positive integer, received ${concurrency}`);
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
  const pool = new EnvironmentPool({ ...settings, functionArn });
  const api = await startLambdaApi({ ...settings, functionArn, invoke: (event, type) => pool.apiInvoke(event, type) });
  return {
    functionArn,
    functionName,
    memoryMb: settings.memoryMb,
    concurrency,
    lambdaApiUrl: api.url,
    invoke: (event, source) => pool.invoke(event, source),
    invocations: pool.invocations,
    apiInvokes: pool.apiInvokes,
    logs: pool.logs,
    summary: (since) => pool.summary(since),
    /** The live environments (busy or idle), for inspection and fault injection. */
    environments: () => [...pool.environments].filter((e) => e.kill !== undefined),
    /** Sets function env vars for environments created from now on (as a configuration update would). */
    setEnv: (vars) => Object.assign(pool.functionEnv, vars),
    /** Drops the free environments (as Lambda reclaims idle ones): the next invocation is cold. */
    reclaim() {
      for (const environment of [...pool.environments]) if (environment.state === 'idle') environment.kill();
    },
    /** Resolves when no invocation is queued, running or waiting to be retried. */
    idle: () =>
      new Promise((resolve) => {
        pool.waiters.push(resolve);
        pool.settleWaiters();
      }),
    async stop() {
      pool.stopped = true;
      for (const timer of pool.pendingRetries) clearTimeout(timer);
      for (const environment of [...pool.environments]) environment.kill?.();
      await api.close();
    },
  };
}
