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
//   which throttles Event invokes too (to test a caller's handling of 429);
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

/**
 * Starts the emulator. `taskRoot` holds the function code, `handler` is Lambda's handler setting
 * (lib/index.handler), `timeoutSeconds` the function timeout, `env` the function's environment
 * variables, `concurrency` the most environments at once (default 1: one invocation at a time),
 * `reapAfterMs` how long a free environment is kept, `asyncQueue` whether Event invokes beyond the
 * limit are queued (default) or throttled.
 */
export async function startLambdaEmulator(options) {
  const { taskRoot, handler, timeoutSeconds = 30, env = {}, functionName = 'temporal-worker', region = 'us-east-1', accountId = '123456789012', memoryMb = 256, onLog = () => {} } = options;
  const { concurrency = 1, reapAfterMs = DEFAULT_REAP_AFTER_MS, asyncQueue = true } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`startLambdaEmulator: concurrency must be a positive integer, received ${concurrency}`);
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
  const functionEnv = { ...env };
  const fn = () => ({ taskRoot, handler, functionName, functionArn, region, memoryMb, timeoutMs: timeoutSeconds * 1000, env: { ...functionEnv } });
  const queue = [];
  const invocations = [];
  const throttles = [];
  const apiInvokes = []; // every Invoke call of the Lambda API: { at, type, throttled }
  const logs = [];
  const environments = new Set(); // live ones: starting, busy or idle
  const stats = { environmentsCreated: 0, peakEnvironments: 0, peakBusy: 0, reaped: 0 };
  let nextEnvironmentId = 1;
  let stopped = false;
  let waiters = [];

  const log = (line, source, environment) => {
    const entry = { at: Date.now(), source, line, requestId: environment?.current?.requestId, environmentId: environment?.id };
    logs.push(entry);
    onLog(entry);
  };

  const busyCount = () => [...environments].filter((e) => e.state === 'busy' || e.state === 'starting').length;
  const freeEnvironment = () => [...environments].filter((e) => e.state === 'idle').sort((a, b) => b.lastUsedAt - a.lastUsedAt)[0];
  const hasCapacity = () => freeEnvironment() !== undefined || environments.size < concurrency;

  function onDead(environment) {
    environments.delete(environment);
    schedule();
  }

  /** Creates an environment for `invocation` (a cold start) and runs it there. */
  async function coldStart(invocation) {
    const id = `env-${nextEnvironmentId++}`;
    const placeholder = { id, state: 'starting', lastUsedAt: Date.now() };
    environments.add(placeholder); // counts against the limit while the runtime starts
    stats.environmentsCreated += 1;
    let environment;
    try {
      environment = await startEnvironment({ id, fn: fn(), log, onDead });
    } finally {
      environments.delete(placeholder);
    }
    if (stopped) return environment.kill();
    environments.add(environment);
    run(environment, invocation);
  }

  function run(environment, invocation) {
    environment.run(invocation).then(() => {
      if (environment.state === 'idle') armReaper(environment);
      schedule();
      settleWaiters();
    });
    stats.peakEnvironments = Math.max(stats.peakEnvironments, environments.size);
    stats.peakBusy = Math.max(stats.peakBusy, busyCount());
  }

  function armReaper(environment) {
    if (!Number.isFinite(reapAfterMs)) return;
    clearTimeout(environment.reapTimer);
    environment.reapTimer = setTimeout(() => {
      if (environment.state !== 'idle') return;
      log(`reaping environment ${environment.id} after ${reapAfterMs} ms without an invocation`, 'emulator');
      stats.reaped += 1;
      environment.kill();
    }, reapAfterMs);
    environment.reapTimer.unref?.();
  }

  /** Starts queued invocations while there is capacity: a free environment first, else a new one. */
  function schedule() {
    while (!stopped && queue.length > 0 && hasCapacity()) {
      const invocation = queue.shift();
      const environment = freeEnvironment();
      if (environment !== undefined) run(environment, invocation);
      else coldStart(invocation).catch((error) => log(`could not start an environment: ${error}`, 'emulator'));
    }
  }

  function settleWaiters() {
    if (queue.length > 0 || busyCount() > 0) return;
    const settled = waiters;
    waiters = [];
    for (const resolve of settled) resolve();
  }

  /** Queues an invocation (runs at once when there is capacity); resolves when it ends. */
  function invoke(event = {}, source = 'direct') {
    let resolve;
    const done = new Promise((r) => (resolve = r));
    const invocation = { requestId: randomUUID(), payload: JSON.stringify(event ?? {}), source, queuedAt: Date.now(), resolve, done };
    invocations.push(invocation);
    queue.push(invocation);
    schedule();
    return done;
  }

  /** The Invoke call of the Lambda API: throttles (returns undefined) or invokes. */
  function apiInvoke(event, type) {
    const throttle = !hasCapacity() && (type !== 'Event' || !asyncQueue);
    apiInvokes.push({ at: Date.now(), type, throttled: throttle });
    if (throttle) {
      throttles.push({ at: Date.now(), type });
      log(`throttled a ${type} invoke: ${concurrency} environment(s) busy (reserved concurrency ${concurrency})`, 'emulator');
      return undefined;
    }
    return invoke(event, type);
  }

  const api = await startLambdaApi({ functionName, functionArn, handler, timeoutSeconds, memoryMb, invoke: apiInvoke });

  /** Figures of the invocations so far (or of `since` onwards, an index into `invocations`). */
  function summary(since = 0) {
    const ended = invocations.slice(since).filter((i) => i.outcome !== undefined);
    const billedMs = ended.reduce((sum, i) => sum + i.billedMs, 0);
    return {
      invocations: ended.length,
      coldStarts: ended.filter((i) => i.cold).length,
      timeouts: ended.filter((i) => i.outcome === 'timeout').length,
      errors: ended.filter((i) => i.outcome === 'error').length,
      billedMs,
      gbSeconds: +((billedMs / 1000) * (memoryMb / 1024)).toFixed(3),
      throttles: throttles.length,
      ...stats,
    };
  }

  return {
    functionArn,
    functionName,
    memoryMb,
    concurrency,
    lambdaApiUrl: api.url,
    invoke,
    invocations,
    throttles,
    apiInvokes,
    logs,
    summary,
    /** The live environments (starting, busy or idle), for inspection and fault injection. */
    environments: () => [...environments].filter((e) => e.kill !== undefined),
    /** Sets function env vars for environments created from now on (as a configuration update would). */
    setEnv(vars) {
      Object.assign(functionEnv, vars);
    },
    /** Drops the free environments (as Lambda reclaims idle ones): the next invocation is cold. */
    reclaim() {
      for (const environment of [...environments]) if (environment.state === 'idle') environment.kill();
    },
    /** Resolves when no invocation is queued or running. */
    idle() {
      return new Promise((resolve) => {
        waiters.push(resolve);
        settleWaiters();
      });
    },
    async stop() {
      stopped = true;
      for (const environment of [...environments]) environment.kill?.();
      await api.close();
    },
  };
}
