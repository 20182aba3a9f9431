/**
 * The Lambda-tuned worker defaults, the config object handed to the configure callback, and
 * the step that turns it into the options of one worker (versioning, task queue override,
 * no eager activities). Runs once per process.
 */
import type { Logger } from '@temporalio/common';
import type { NativeConnectionOptions, RuntimeOptions, WorkerOptions } from '@temporalio/worker';
import type { VersioningBehavior, WorkerDeploymentVersion } from '@temporalio/common';
import { AWS_LAMBDA_MAX_CONCURRENCY, readEnv, TEMPORAL_TASK_QUEUE, type Env } from './env';
import { InvalidDeploymentVersionError, InvalidOptionError, MissingTaskQueueError } from '../errors';
import type { ShutdownHook } from '../lifecycle/hooks';
import {
  DEFAULT_IDLE_EXIT_MS,
  DEFAULT_REUSE_CONNECTION,
  DEFAULT_VERSIONING_BEHAVIOR,
  DEFAULT_WORKFLOW_THREAD,
  LAMBDA_WORKER_DEFAULTS,
  MIN_SHUTDOWN_DEADLINE_BUFFER_MS,
  SHUTDOWN_BUFFER_OVER_GRACE_MS,
} from '../defaults';
import { durationToMs } from '../sdk-internals';
import type { SummaryHook } from '../lifecycle/summary';
import type { ApiKeySource } from '../lifecycle/api-key';

/**
 * Worker options as the configure callback sees them: everything but the connection and the
 * namespace. Of `workerDeploymentOptions`, only `defaultVersioningBehavior` is yours to choose:
 * `runWorker` applies the deployment version and `useWorkerVersioning: true` after configure.
 *
 * @example config.workerOptions.workerDeploymentOptions = { defaultVersioningBehavior: 'AUTO_UPGRADE' };
 */
export type LambdaWorkerOptions = Partial<
  Omit<WorkerOptions, 'connection' | 'namespace' | 'workerDeploymentOptions'>
> & {
  /** @default `{ defaultVersioningBehavior: 'PINNED' }` */
  workerDeploymentOptions?: { defaultVersioningBehavior?: VersioningBehavior };
};

/**
 * What the configure callback receives. Change any field; the deployment version and
 * `useWorkerVersioning` are applied after the callback returns.
 */
export class LambdaWorkerConfig {
  /** Options of the worker, pre-filled with the Lambda defaults (docs/configuration.md, "Lambda defaults"). */
  workerOptions: LambdaWorkerOptions;
  /** Connection options loaded from `temporal.toml` and `TEMPORAL_*` env vars. */
  connectionOptions: NativeConnectionOptions;
  /** Namespace loaded from the config (`default` when unset). */
  namespace: string;
  /**
   * Options of the Temporal Runtime, installed once per process after configure; pre-filled with
   * `shutdownSignals: []` (Lambda owns the process). A `logger` set here, with
   * {@link LambdaWorkerConfig.logger} left alone, also receives this library's own lines.
   */
  runtimeOptions: RuntimeOptions;
  /** Run in order after every invocation's worker shut down, each isolated and time-bounded. */
  shutdownHooks: ShutdownHook[];
  /**
   * Called with every invocation's summary (the figures of its `Invocation summary` log line),
   * synchronously, before the handler returns; each isolated. {@link applyEmfMetrics} adds one.
   * @default []
   * @example config.summaryHooks.push((summary) => myMetrics.record(summary.activeMs));
   */
  summaryHooks: SummaryHook[];
  /** Logger for this library, the worker and the Runtime. @default a {@link JsonLogger} */
  logger: Logger;
  /**
   * End the invocation early, with the same graceful shutdown as at the deadline, once the
   * worker has had nothing in flight (workflow activations, activities, Nexus operations) for
   * this long, counted from when polling starts; `false` works until the deadline. The
   * Worker Controller invokes the function again when a task finds no poller. Measured with the
   * real controller loop (bench/RESULTS.md): a sporadic workload billed 0.11x (2 s) to 0.43x
   * (10 s) of working to the deadline, each workflow arriving after an exit waiting 0.25-0.4 s
   * more for its re-invocation.
   * @default 5000
   * @example config.idleExitMs = false; // steady traffic: keep polling until the deadline
   */
  idleExitMs: number | false;
  /**
   * Run workflow code in a worker thread of its own, as a plain Worker does. Off by default: the
   * workflows then run in a VM context in the handler's thread (the SDK's `debugMode` sandbox),
   * because the worker thread and its copy of the workflow bundle would be created anew by every
   * invocation. Measured (bench/RESULTS.md): about 0.4 s less from invocation start to first
   * poll, warm or cold, and a lower peak RSS. Deadlock detection stays on: an activation that
   * runs longer than the time between the worker's forced stop and the deadline (1 s to 5 s)
   * fails as a potential deadlock, so a workflow that never yields cannot hold the handler past
   * the deadline. A function with a full vCPU or more (1,769 MB) that runs CPU-heavy workflows
   * next to activities may want it on. An explicit `workerOptions.debugMode` wins.
   * @default false
   * @example config.workflowThread = true;
   */
  workflowThread: boolean;
  /**
   * Keep the Temporal connection across the invocations of an execution environment, checked
   * with a cheap call after each thaw and replaced when it does not answer within 1 s.
   * @default true
   */
  reuseConnection: boolean;
  /**
   * Where to read a Temporal API key that rotates (Secrets Manager, SSM Parameter Store, ...):
   * read at init, again at the first invocation after `maxAgeMs` (5 minutes), and at once when
   * the server refuses the key; a new key takes effect on the kept connection and on running
   * workers without a new execution environment. Replaces `connectionOptions.apiKey`.
   * @default undefined (the key of `connectionOptions`, read once)
   * @example config.apiKeySource = { name: 'SSM /temporal/api-key', read: () => readParameter('/temporal/api-key') };
   */
  apiKeySource: ApiKeySource | undefined;
  /**
   * Invocations that run at once in one thread share one worker and one connection: the first
   * starts it, later ones join it while it polls, each returns at its own work end, and the last
   * to leave shuts it down and waits for the drain. Lambda Managed Instances run up to
   * `AWS_LAMBDA_MAX_CONCURRENCY` invocations at once in an execution environment; one worker per
   * invocation would open that many connections and sets of pollers on one task queue. Measured
   * in bench/RESULTS.md. `undefined` decides by the environment.
   * @default `true` when `AWS_LAMBDA_MAX_CONCURRENCY` is set (Managed Instances), else `false`
   * @example config.shareWorker = false; // one worker per invocation, also on Managed Instances
   */
  shareWorker: boolean | undefined;
  private explicitBufferMs: number | undefined;

  constructor(init: { connectionOptions: NativeConnectionOptions; namespace: string; logger: Logger }) {
    this.workerOptions = {
      ...LAMBDA_WORKER_DEFAULTS,
      workflowTaskPollerBehavior: { ...LAMBDA_WORKER_DEFAULTS.workflowTaskPollerBehavior },
      activityTaskPollerBehavior: { ...LAMBDA_WORKER_DEFAULTS.activityTaskPollerBehavior },
      nexusTaskPollerBehavior: { ...LAMBDA_WORKER_DEFAULTS.nexusTaskPollerBehavior },
      workerDeploymentOptions: { defaultVersioningBehavior: DEFAULT_VERSIONING_BEHAVIOR },
    };
    this.connectionOptions = init.connectionOptions;
    this.namespace = init.namespace;
    this.runtimeOptions = { shutdownSignals: [] };
    this.shutdownHooks = [];
    this.summaryHooks = [];
    this.logger = init.logger;
    this.idleExitMs = DEFAULT_IDLE_EXIT_MS;
    this.reuseConnection = DEFAULT_REUSE_CONNECTION;
    this.workflowThread = DEFAULT_WORKFLOW_THREAD;
    this.apiKeySource = undefined;
    this.shareWorker = undefined;
  }

  /**
   * How long before the Lambda deadline the worker starts its graceful shutdown.
   * Reads as the value in force; set it to fix it, or to `undefined` to go back to the default.
   * @default the worker's `shutdownGraceTime` + 2000 (7000 with the default grace time)
   */
  get shutdownDeadlineBufferMs(): number {
    return this.explicitBufferMs ?? shutdownGraceTimeMs(this.workerOptions) + SHUTDOWN_BUFFER_OVER_GRACE_MS;
  }

  set shutdownDeadlineBufferMs(value: number | undefined) {
    this.explicitBufferMs = value;
  }
}

function shutdownGraceTimeMs(options: LambdaWorkerOptions): number {
  return options.shutdownGraceTime === undefined ? 0 : durationToMs(options.shutdownGraceTime);
}

/**
 * Checks the deployment version given to `runWorker`.
 * @throws {@link InvalidDeploymentVersionError} when a field is empty.
 */
export function validateVersion(version: WorkerDeploymentVersion | undefined): WorkerDeploymentVersion {
  for (const field of ['deploymentName', 'buildId'] as const) {
    const value = (version as Partial<WorkerDeploymentVersion> | undefined)?.[field];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new InvalidDeploymentVersionError(
        `runWorker needs a deployment version with a non-empty ${field}; received ${JSON.stringify(value ?? null)}. ` +
          `Pass runWorker({ deploymentName: 'my-app', buildId: 'build-1' }, configure) with the names of your ` +
          `Worker Deployment Version.`,
      );
    }
  }
  return { deploymentName: version!.deploymentName, buildId: version!.buildId };
}

/** The worker options of one process, ready for `Worker.create` but for connection and identity. */
export interface CompiledWorkerSettings {
  workerOptions: Partial<Omit<WorkerOptions, 'connection' | 'namespace'>> & { taskQueue: string };
  /** Workflows run in the handler's thread; each invocation then bounds an activation's run time. */
  inProcessWorkflows: boolean;
  shutdownGraceTimeMs: number;
  shutdownDeadlineBufferMs: number;
  /** The user's own `shutdownForceTime`, if set; the library never lets it pass the deadline. */
  userShutdownForceTimeMs: number | undefined;
  idleExitMs: number | undefined;
  reuseConnection: boolean;
  /** Invocations that run at once in one thread share one worker. */
  shareWorker: boolean;
}

function requireNonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(
      `${name} must be a finite number of milliseconds >= 0; received ${String(value)}. Set it in the configure ` +
        `callback.`,
    );
  }
  return value;
}

function requirePositive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(
      `${name} must be a positive number of milliseconds, or false to work until the deadline; received ` +
        `${String(value)}. Set it in the configure callback.`,
    );
  }
  return value;
}

/** The shutdown buffer: a number of ms that leaves the worker time to be told to stop. */
function requireBuffer(value: number): number {
  if (!Number.isFinite(value) || value < MIN_SHUTDOWN_DEADLINE_BUFFER_MS) {
    throw new InvalidOptionError(
      `config.shutdownDeadlineBufferMs must be at least ${MIN_SHUTDOWN_DEADLINE_BUFFER_MS} ms (the handler settles ` +
        `250 ms before the deadline, and the worker needs the rest to be told to stop and to stop); received ` +
        `${String(value)}. Set it to ${MIN_SHUTDOWN_DEADLINE_BUFFER_MS} or more, or leave it unset for ` +
        `shutdownGraceTime + 2000 ms.`,
    );
  }
  return value;
}

/** The slot limits the SDK refuses beside a tuner (it throws 'Cannot set both tuner and ...'). */
export const SLOT_LIMITS = [
  'maxConcurrentActivityTaskExecutions',
  'maxConcurrentWorkflowTaskExecutions',
  'maxConcurrentLocalActivityExecutions',
  'maxConcurrentNexusTaskExecutions',
] as const;

/**
 * With a tuner, the tuner sizes the slots: the Lambda defaults of the slot limits are dropped (as
 * the .NET and Java Lambda workers do). A limit the user changed beside a tuner is refused.
 */
function withoutSlotLimitsUnderTuner(options: LambdaWorkerOptions): LambdaWorkerOptions {
  if (options.tuner === undefined) return options;
  const out: LambdaWorkerOptions = { ...options };
  for (const field of SLOT_LIMITS) {
    if (out[field] === undefined || out[field] === LAMBDA_WORKER_DEFAULTS[field]) {
      delete out[field];
      continue;
    }
    throw new InvalidOptionError(
      `config.workerOptions.tuner is set together with config.workerOptions.${field} (${String(out[field])}); ` +
        `the tuner sizes the slots, so the SDK takes one or the other. Remove ${field}, or remove the tuner.`,
    );
  }
  return out;
}

/**
 * Applies what configure cannot change: the version, `useWorkerVersioning`, the
 * `TEMPORAL_TASK_QUEUE` override and no eager activities; and where workflows run
 * ({@link LambdaWorkerConfig.workflowThread}).
 *
 * @throws {@link MissingTaskQueueError} or {@link InvalidOptionError}.
 */
export function compileWorkerSettings(
  config: LambdaWorkerConfig,
  version: WorkerDeploymentVersion,
  env: Env,
): CompiledWorkerSettings {
  const options = config.workerOptions;
  const taskQueue = readEnv(env, TEMPORAL_TASK_QUEUE) ?? options.taskQueue;
  if (typeof taskQueue !== 'string' || taskQueue.trim() === '') {
    throw new MissingTaskQueueError(
      `taskQueue is required, and none is set. Set the ${TEMPORAL_TASK_QUEUE} env var on the function, ` +
        `or config.workerOptions.taskQueue in the configure callback.`,
    );
  }
  const behavior = options.workerDeploymentOptions?.defaultVersioningBehavior;
  const graceMs = requireNonNegative('config.workerOptions.shutdownGraceTime', shutdownGraceTimeMs(options));
  const bufferMs = requireBuffer(config.shutdownDeadlineBufferMs);
  const userForceMs =
    options.shutdownForceTime === undefined
      ? undefined
      : requireNonNegative('config.workerOptions.shutdownForceTime', durationToMs(options.shutdownForceTime));
  const inProcessWorkflows = config.workflowThread !== true && options.debugMode === undefined;
  return {
    workerOptions: {
      ...withoutSlotLimitsUnderTuner(options),
      ...(inProcessWorkflows ? { debugMode: true } : {}),
      taskQueue,
      maxEagerActivityReservationsPerWorkflowTask: 0,
      workerDeploymentOptions: {
        version: { ...version },
        useWorkerVersioning: true,
        defaultVersioningBehavior: behavior ?? DEFAULT_VERSIONING_BEHAVIOR,
      },
    },
    shutdownGraceTimeMs: graceMs,
    shutdownDeadlineBufferMs: bufferMs,
    userShutdownForceTimeMs: userForceMs,
    idleExitMs: config.idleExitMs === false ? undefined : requirePositive('config.idleExitMs', config.idleExitMs),
    reuseConnection: config.reuseConnection !== false,
    shareWorker: config.shareWorker ?? readEnv(env, AWS_LAMBDA_MAX_CONCURRENCY) !== undefined,
    inProcessWorkflows,
  };
}
