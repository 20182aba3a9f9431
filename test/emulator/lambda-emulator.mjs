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
// With `managedInstances: { threads, maxConcurrency, environments }` it models Lambda Managed
// Instances instead (managed-instances.mjs): a fixed set of environments started up front, each
// running up to `maxConcurrency` invocations at once in `threads` runtime threads, never frozen,
// a deadline recorded but not enforced, and instance-time billing.
// `sample({ serverPort })` reads each live environment's peak RSS and TCP connections (sampler.mjs).
// The AWS Lambda Runtime Interface Emulator would be the first choice; it serves one environment
// only, and the Go module proxy here does not serve it, so this speaks the documented protocols.
import { EnvironmentPool } from './environment-pool.mjs';
import { startLambdaApi } from './lambda-api.mjs';
import { ManagedInstancesPool, managedInstancesSettings } from './managed-instances.mjs';
import { sampleProcess } from './sampler.mjs';

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

/**
 * Starts the emulator. `taskRoot` holds the function code, `handler` is Lambda's handler setting
 * (lib/index.handler), `timeoutSeconds` the function timeout, `env` the function's environment
 * variables, `memoryMb` its memory, `concurrency` the most environments at once (default 1: one
 * invocation at a time), `reapAfterMs` how long a free environment is kept (default 5 minutes),
 * `asyncQueue` whether Event invokes beyond the limit are queued (default) or throttled;
 * `maximumRetryAttempts`, `maximumEventAgeSeconds` and `retryDelaysMs` the async retry policy.
 * `managedInstances: { threads, maxConcurrency, environments = 3 }` selects Lambda Managed
 * Instances (managed-instances.mjs; not with `concurrency` or `reapAfterMs`): it resolves once
 * every environment's init has run.
 */
export async function startLambdaEmulator(options) {
  const settings = { ...FUNCTION_DEFAULTS, ...SCALING_DEFAULTS, ...ASYNC_DEFAULTS, ...options };
  const { concurrency, region, accountId, functionName } = settings;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`startLambdaEmulator: concurrency must be a positive integer, received ${concurrency}`);
  const managedInstances =
    options.managedInstances === undefined ? undefined : managedInstancesSettings(options.managedInstances, options);
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
  const pool = managedInstances
    ? new ManagedInstancesPool({ ...settings, managedInstances, functionArn })
    : new EnvironmentPool({ ...settings, functionArn });
  if (managedInstances) await startManagedInstances(pool, settings.timeoutSeconds);
  const api = await startLambdaApi({ ...settings, functionArn, invoke: (event, type) => pool.apiInvoke(event, type) });
  return {
    functionArn,
    functionName,
    memoryMb: settings.memoryMb,
    concurrency: managedInstances ? managedInstances.environments * managedInstances.maxConcurrency : concurrency,
    managedInstances,
    lambdaApiUrl: api.url,
    invoke: (event, source) => pool.invoke(event, source),
    invocations: pool.invocations,
    apiInvokes: pool.apiInvokes,
    logs: pool.logs,
    summary: (since) => pool.summary(since),
    /** The live environments (busy or idle), for inspection and fault injection. */
    environments: () => [...pool.environments].filter((e) => e.kill !== undefined),
    /**
     * Sets function env vars for environments created from now on (as a configuration update would);
     * Managed Instances create theirs at the start only.
     */
    setEnv: (vars) => Object.assign(pool.functionEnv, vars),
    /** Each live environment's runtime process: peak RSS (MB) and TCP connections to `serverPort` (any without). */
    sample: ({ serverPort } = {}) =>
      [...pool.environments]
        .filter((e) => e.pid !== undefined && e.state !== 'dead')
        .map((e) => ({ id: e.id, pid: e.pid, ...sampleProcess(e.pid, { serverPort }) })),
    /** Drops the free environments (as Lambda reclaims idle ones): the next invocation is cold. */
    reclaim() {
      if (managedInstances) throw new Error('reclaim: Lambda Managed Instances keep their environments');
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
      clearTimeout(pool.graceTimer);
      for (const timer of pool.pendingRetries) clearTimeout(timer);
      for (const environment of [...pool.environments]) environment.kill?.();
      await api.close();
    },
  };
}

/**
 * Starts the environments of Managed Instances and waits for their init, for at most Lambda's
 * bound in that mode (the function timeout, at least 130 s); past it, stops them and throws.
 */
async function startManagedInstances(pool, timeoutSeconds) {
  const initTimeoutMs = Math.max(130, timeoutSeconds) * 1000;
  let timer;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`startLambdaEmulator: the environments' init did not end within ${initTimeoutMs} ms`)),
      initTimeoutMs,
    );
  });
  try {
    await Promise.race([pool.startEnvironments(), timedOut]);
  } catch (error) {
    pool.stopped = true;
    for (const environment of pool.allEnvironments) environment.kill();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
