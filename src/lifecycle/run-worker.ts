/**
 * `runWorker`: the Lambda handler factory. Cold-start work (config loading, configure,
 * validation, the Runtime) happens once per process and starts when `runWorker` is called;
 * everything that belongs to one invocation lives inside the handler call.
 */
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { settleBefore } from './bounded';
import { systemClock } from './clock';
import { AWS_LAMBDA_INITIALIZATION_TYPE, readEnv, type Env } from '../config/env';
import { describeError, StartupTimeoutError } from '../errors';
import { runInvocation, type InvocationDeps, type LambdaContext } from './invocation';
import { validateVersion } from '../config/lambda-config';
import { withInvocationLogFields } from '../logging/logger';
import { checkNodeVersion } from '../config/node-version';
import { PowertoolsLoggerAdapter } from '../logging/powertools';
import { Setup, type ConfigureWorker, type PreparedSetup, type SetupFailureReport } from './setup';
import { runSummaryHooks, summaryContext, type InvocationSummary } from './summary';
import { noTasks } from './task-monitor';
import { SETTLE_MARGIN_MS, timingAdvice } from './timeline';

export type { ConfigureWorker } from './setup';

/**
 * The Lambda handler returned by {@link runWorker} (the official package's name for it). It takes
 * any `aws-lambda` `Context`: the handler reads only part of it.
 *
 * @example export const handler: LambdaHandler = runWorker(version, configure);
 */
export type LambdaHandler = (event: unknown, context: LambdaContext) => Promise<void>;

/** What {@link runWorkerWith} can replace; tests use it to avoid the real environment. */
export interface RunWorkerOptions {
  /** Environment to read `TEMPORAL_*` and Lambda variables from. @default `process.env` */
  env?: Env;
  /** Folder `./temporal.toml` is looked up in. @default `process.cwd()` */
  cwd?: string;
}

/** The real SDK and clock. */
const realDeps: InvocationDeps<NativeConnection> = {
  connect: (options) => NativeConnection.connect(options),
  check: (connection) => connection.workflowService.getSystemInfo({}),
  createWorker: (options) => Worker.create(options as WorkerOptions),
  clock: systemClock,
};

/** Hands the invocation's Lambda context to Powertools adapters, as the official package does. */
function addLambdaContext(prepared: PreparedSetup, context: LambdaContext): void {
  for (const logger of new Set([prepared.logger, prepared.runtimeLogger])) {
    if (logger instanceof PowertoolsLoggerAdapter) logger.addContext(context);
  }
}

/**
 * Waits for setup no later than the settle margin before the deadline: an async configure that
 * has not finished by then fails this invocation, and goes on for the next one.
 */
async function preparedBefore(setup: Setup, deadlineMs: number, deps: InvocationDeps): Promise<PreparedSetup> {
  const ready = await settleBefore(Promise.resolve(setup.get()), deadlineMs - SETTLE_MARGIN_MS, deps.clock);
  if (!ready.timedOut) return ready.value;
  throw new StartupTimeoutError(
    'The async configure callback did not finish before the invocation deadline; it goes on, and a later invocation ' +
      'uses its result. Make configure faster (read secrets with a timeout) or raise the function timeout.',
  );
}

/** What {@link reportSetupFailure} says of one invocation. */
interface FailedInvocation {
  version: WorkerDeploymentVersion;
  context: LambdaContext;
  coldStart: boolean;
  deadlineMs: number;
  error: unknown;
}

/**
 * The summary of an invocation that setup failed (an async configure that failed or is still
 * running, a setting it left invalid): logged, and handed to the summary hooks configure had added,
 * so that the failure counts in the EMF `Errors` metric as any other.
 */
function reportSetupFailure(report: SetupFailureReport, failed: FailedInvocation, deps: InvocationDeps): void {
  const summary: InvocationSummary = {
    endReason: 'error',
    tasks: noTasks(),
    hooksMs: 0,
    hooksFailed: 0,
    marginBeforeDeadlineMs: failed.deadlineMs - deps.clock.now(),
    error: describeError(failed.error),
  };
  report.logger.log('ERROR', 'Invocation summary', { ...summary, setupFailed: true });
  const who = summaryContext(failed.context, report.taskQueue, failed.version, failed.coldStart);
  runSummaryHooks(report.summaryHooks, summary, who, report.logger);
}

/**
 * {@link runWorker} with the SDK injected: the seam of the unit and model tests.
 * @internal
 */
export function runWorkerWith(
  version: WorkerDeploymentVersion,
  configure: ConfigureWorker,
  options: RunWorkerOptions & { deps?: InvocationDeps } = {},
): LambdaHandler {
  checkNodeVersion();
  const checked = validateVersion(version);
  const env = options.env ?? process.env;
  const deps = options.deps ?? (realDeps as InvocationDeps);
  // Throws now when setup fails before or in a synchronous configure.
  const setup = new Setup(checked, configure, env, options.cwd ?? process.cwd(), deps.clock);
  let adviceGiven = false; // per process: the first invocation's remaining time is about the function timeout
  let coldStartPending = readEnv(env, AWS_LAMBDA_INITIALIZATION_TYPE) !== 'provisioned-concurrency';
  return async (_event, context) => {
    const remainingMs = context.getRemainingTimeInMillis();
    const deadlineMs = deps.clock.now() + remainingMs;
    const coldStart = coldStartPending;
    coldStartPending = false;
    const fields = {
      requestId: context.awsRequestId,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
    };
    let prepared: PreparedSetup;
    try {
      prepared = await preparedBefore(setup, deadlineMs, deps);
    } catch (error) {
      withInvocationLogFields(fields, () =>
        reportSetupFailure(setup.failureReport(), { version: checked, context, coldStart, deadlineMs, error }, deps),
      );
      throw error;
    }
    addLambdaContext(prepared, context);
    await withInvocationLogFields(fields, () => {
      if (!adviceGiven) {
        adviceGiven = true;
        for (const advice of timingAdvice({ remainingMs, ...prepared.settings })) prepared.logger.warn(advice);
      }
      return runInvocation(prepared, context, deps, coldStart);
    });
  };
}

/**
 * Creates a Lambda handler that runs a Temporal Worker for each invocation until the deadline
 * minus `shutdownDeadlineBufferMs`, then shuts it down gracefully.
 *
 * @param version - the Worker Deployment Version this function serves; both fields non-empty.
 * @param configure - sets task queue, workflows and activities on the config; sync or async.
 * @throws {@link InvalidDeploymentVersionError} at once when the version is incomplete; at once
 *   too, any setup error (connection config, TLS files, and with a synchronous configure
 *   {@link MissingTaskQueueError} or {@link InvalidOptionError}), so that the Lambda init phase
 *   fails with the fix in its message. With an async configure, a failure of the callback itself
 *   fails the invocations that wait for it, and a later invocation runs it again (after a backoff
 *   of 1 s, doubling to 60 s); the library's own errors found after it resolves fail every
 *   invocation instead.
 *
 * @example
 * ```ts
 * export const handler = runWorker({ deploymentName: 'my-app', buildId: 'build-1' }, (config) => {
 *   config.workerOptions.taskQueue = 'my-task-queue';
 *   config.workerOptions.workflowBundle = { codePath: require.resolve('./workflow-bundle.js') };
 *   config.workerOptions.activities = activities;
 * });
 * ```
 */
export function runWorker(version: WorkerDeploymentVersion, configure: ConfigureWorker): LambdaHandler {
  return runWorkerWith(version, configure);
}
