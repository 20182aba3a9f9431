/**
 * `runWorker`: the Lambda handler factory. Cold-start work (config loading, configure,
 * validation, the Runtime) happens once per process and starts when `runWorker` is called;
 * everything that belongs to one invocation lives inside the handler call.
 */
import type { Logger, WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { ConnectionCache } from './connection-cache';
import { loadConnectionConfig, type LoadedConnectionConfig } from './connection-config';
import { AWS_LAMBDA_INITIALIZATION_TYPE, readEnv, TEMPORAL_TASK_QUEUE, type Env } from './env';
import { runInvocation, type InvocationDeps, type LambdaContext, type PreparedWorker } from './invocation';
import { compileWorkerSettings, LambdaWorkerConfig, validateVersion } from './lambda-config';
import { JsonLogger, withInvocationLogFields } from './logger';
import { PowertoolsLoggerAdapter } from './powertools';
import { SecretScrubber } from './redact';
import { ensureRuntime } from './runtime';
import { timingAdvice } from './timeline';
import { checkNodeVersion } from './node-version';

/** The configure callback: set task queue, workflows, activities and any option; may be async. */
export type ConfigureWorker = (config: LambdaWorkerConfig) => void | Promise<void>;

/** The Lambda handler returned by {@link runWorker}. */
export type LambdaWorkerHandler = (event: unknown, context: LambdaContext) => Promise<void>;

/**
 * The official package's name for the handler type, the same as {@link LambdaWorkerHandler}. It
 * takes any `aws-lambda` `Context` (the handler reads only part of it).
 *
 * @example export const handler: LambdaHandler = runWorker(version, configure);
 */
export type LambdaHandler = LambdaWorkerHandler;

/** Advanced options of {@link runWorker}; tests use them to avoid the real environment. */
export interface RunWorkerOptions {
  /** Environment to read `TEMPORAL_*` and Lambda variables from. @default `process.env` */
  env?: Env;
  /** Folder `./temporal.toml` is looked up in. @default `process.cwd()` */
  cwd?: string;
}

const realDeps: InvocationDeps<NativeConnection> = {
  connect: (options) => NativeConnection.connect(options),
  check: (connection) => connection.workflowService.getSystemInfo({}),
  createWorker: (options) => Worker.create(options as WorkerOptions),
  now: Date.now,
};

/** What setup prepares once per process; the Runtime's logger, when the user set one, beside the library's. */
interface PreparedSetup extends PreparedWorker {
  runtimeLogger?: Logger;
}

/** What setup holds between loading the connection config and finishing after configure. */
interface SetupState {
  version: WorkerDeploymentVersion;
  env: Env;
  scrubber: SecretScrubber;
  defaultLogger: JsonLogger;
  loaded: LoadedConnectionConfig;
  config: LambdaWorkerConfig;
}

/** Step 1, synchronous: the connection config and the config object handed to configure. */
function beginSetup(version: WorkerDeploymentVersion, env: Env, cwd: string, scrubber: SecretScrubber, defaultLogger: JsonLogger): SetupState {
  const loaded = loadConnectionConfig(env, cwd);
  loaded.secrets.forEach((secret) => scrubber.add(secret));
  const config = new LambdaWorkerConfig({ connectionOptions: loaded.connectionOptions, namespace: loaded.namespace, logger: defaultLogger });
  // Visible to configure, as in the official package; the env var still wins afterwards (compileWorkerSettings).
  const envTaskQueue = readEnv(env, TEMPORAL_TASK_QUEUE);
  if (envTaskQueue !== undefined) config.workerOptions.taskQueue = envTaskQueue;
  return { version, env, scrubber, defaultLogger, loaded, config };
}

/**
 * The logger of the library's own lines: `config.logger`, unless configure left it at the
 * default and set `runtimeOptions.logger` (as the official package's README does): then that one,
 * so that a user who set only the Runtime's logger sees every line.
 */
function libraryLogger(config: LambdaWorkerConfig, defaultLogger: Logger): Logger {
  return config.logger === defaultLogger && config.runtimeOptions.logger !== undefined ? config.runtimeOptions.logger : config.logger;
}

/** Step 2, synchronous, after configure returned: validate, install the Runtime, log the setup. */
function finishSetup({ version, env, scrubber, defaultLogger, loaded, config }: SetupState): PreparedSetup {
  scrubber.add(config.connectionOptions.apiKey);
  const logger = libraryLogger(config, defaultLogger);
  for (const candidate of new Set([logger, config.runtimeOptions.logger ?? logger])) {
    const userScrubber = (candidate as { scrubber?: unknown }).scrubber;
    if (userScrubber instanceof SecretScrubber && userScrubber !== scrubber) [...loaded.secrets, config.connectionOptions.apiKey].forEach((s) => userScrubber.add(s));
  }
  const settings = compileWorkerSettings(config, version, env);
  const { installedNow } = ensureRuntime(config.runtimeOptions, logger);
  logger.info('Lambda worker configured', {
    deploymentName: version.deploymentName,
    buildId: version.buildId,
    taskQueue: settings.workerOptions.taskQueue,
    namespace: config.namespace,
    address: config.connectionOptions.address ?? 'localhost:7233',
    configFile: loaded.configFile?.path,
    profile: loaded.profile,
    shutdownDeadlineBufferMs: settings.shutdownDeadlineBufferMs,
    shutdownGraceTimeMs: settings.shutdownGraceTimeMs,
    idleExitMs: settings.idleExitMs,
    reuseConnection: settings.reuseConnection,
    workflowThread: settings.workerOptions.debugMode !== true,
    runtimeInstalled: installedNow ? 'now' : 'reused',
  });
  return {
    settings,
    connectionOptions: config.connectionOptions,
    connections: new ConnectionCache(config.connectionOptions, settings.reuseConnection, logger),
    namespace: config.namespace,
    hooks: [...config.shutdownHooks],
    summaryHooks: [...config.summaryHooks],
    logger,
    runtimeLogger: config.runtimeOptions.logger,
  };
}

/**
 * Setup, once per process. Everything up to a synchronous configure's return runs now, so that
 * its errors are thrown by `runWorker` (the Lambda init phase fails with the fix in its message).
 * When configure returns a promise, the rest waits for it and its errors fail every invocation.
 */
function prepare(version: WorkerDeploymentVersion, configure: ConfigureWorker, env: Env, cwd: string): PreparedSetup | Promise<PreparedSetup> {
  const scrubber = new SecretScrubber();
  const defaultLogger = new JsonLogger({ env, scrubber });
  const failed = (error: unknown, phase: string): never => {
    defaultLogger.error(`Lambda worker setup failed ${phase}`, { error });
    throw error;
  };
  let state: SetupState;
  let configured: void | Promise<void>;
  try {
    state = beginSetup(version, env, cwd, scrubber, defaultLogger);
    configured = configure(state.config);
  } catch (error) {
    return failed(error, 'at init');
  }
  if (!isPromiseLike(configured)) {
    try {
      return finishSetup(state);
    } catch (error) {
      return failed(error, 'at init');
    }
  }
  return Promise.resolve(configured)
    .then(() => finishSetup(state))
    .catch((error: unknown) => failed(error, 'after the async configure; every invocation will fail with this error until it is fixed'));
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/** Hands the invocation's Lambda context to Powertools adapters, as the official package does. */
function addLambdaContext(prepared: PreparedSetup, context: LambdaContext): void {
  for (const logger of new Set([prepared.logger, prepared.runtimeLogger])) {
    if (logger instanceof PowertoolsLoggerAdapter) logger.addContext(context);
  }
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
 *   fails with the fix in its message. With an async configure, errors found after it resolves
 *   fail every invocation instead.
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
export function runWorker(version: WorkerDeploymentVersion, configure: ConfigureWorker, options: RunWorkerOptions = {}): LambdaWorkerHandler {
  checkNodeVersion();
  const checked = validateVersion(version);
  const env = options.env ?? process.env;
  // Throws now when setup fails before or in a synchronous configure.
  const prepared = prepare(checked, configure, env, options.cwd ?? process.cwd());
  if (prepared instanceof Promise) prepared.catch(() => undefined); // surfaced by every invocation; never an unhandled rejection
  let adviceGiven = false; // per process: the first invocation's remaining time is about the function timeout
  let coldStartPending = readEnv(env, AWS_LAMBDA_INITIALIZATION_TYPE) !== 'provisioned-concurrency';
  return async (_event, context) => {
    const remainingMs = context.getRemainingTimeInMillis();
    const worker = await prepared;
    const coldStart = coldStartPending;
    coldStartPending = false;
    const fields = { requestId: context.awsRequestId, functionName: context.functionName, functionVersion: context.functionVersion };
    addLambdaContext(worker, context);
    await withInvocationLogFields(fields, () => {
      if (!adviceGiven) {
        adviceGiven = true;
        for (const advice of timingAdvice({ remainingMs, ...worker.settings })) worker.logger.warn(advice);
      }
      return runInvocation(worker, context, realDeps as InvocationDeps, coldStart);
    });
  };
}
