/**
 * `runWorker`: the Lambda handler factory. Cold-start work (config loading, configure,
 * validation, the Runtime) happens once per process and starts when `runWorker` is called;
 * everything that belongs to one invocation lives inside the handler call.
 */
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { ConnectionCache } from './connection-cache';
import { loadConnectionConfig } from './connection-config';
import { AWS_LAMBDA_INITIALIZATION_TYPE, readEnv, type Env } from './env';
import { runInvocation, type InvocationDeps, type LambdaContext, type PreparedWorker } from './invocation';
import { compileWorkerSettings, LambdaWorkerConfig, validateVersion } from './lambda-config';
import { JsonLogger, withInvocationLogFields } from './logger';
import { SecretScrubber } from './redact';
import { ensureRuntime } from './runtime';
import { timingAdvice } from './timeline';

/** The configure callback: set task queue, workflows, activities and any option; may be async. */
export type ConfigureWorker = (config: LambdaWorkerConfig) => void | Promise<void>;

/** The Lambda handler returned by {@link runWorker}. */
export type LambdaWorkerHandler = (event: unknown, context: LambdaContext) => Promise<void>;

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

async function prepare(version: WorkerDeploymentVersion, configure: ConfigureWorker, env: Env, cwd: string): Promise<PreparedWorker> {
  const scrubber = new SecretScrubber();
  const defaultLogger = new JsonLogger({ env, scrubber });
  try {
    const loaded = loadConnectionConfig(env, cwd);
    loaded.secrets.forEach((secret) => scrubber.add(secret));
    const config = new LambdaWorkerConfig({ version, connectionOptions: loaded.connectionOptions, namespace: loaded.namespace, logger: defaultLogger });
    await configure(config);
    scrubber.add(config.connectionOptions.apiKey);
    const userScrubber = (config.logger as { scrubber?: unknown }).scrubber;
    if (userScrubber instanceof SecretScrubber && userScrubber !== scrubber) [...loaded.secrets, config.connectionOptions.apiKey].forEach((s) => userScrubber.add(s));
    const settings = compileWorkerSettings(config, version, env);
    const { installedNow } = ensureRuntime(config.runtimeOptions, config.logger);
    config.logger.info('Lambda worker configured', {
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
      connections: new ConnectionCache(config.connectionOptions, settings.reuseConnection, config.logger),
      namespace: config.namespace,
      hooks: [...config.shutdownHooks],
      summaryHooks: [...config.summaryHooks],
      logger: config.logger,
    };
  } catch (error) {
    defaultLogger.error('Lambda worker setup failed; every invocation will fail with this error until it is fixed', { error });
    throw error;
  }
}

/**
 * Creates a Lambda handler that runs a Temporal Worker for each invocation until the deadline
 * minus `shutdownDeadlineBufferMs`, then shuts it down gracefully.
 *
 * @param version - the Worker Deployment Version this function serves; both fields non-empty.
 * @param configure - sets task queue, workflows and activities on the config; sync or async.
 * @throws {@link InvalidDeploymentVersionError} at once when the version is incomplete.
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
  const checked = validateVersion(version);
  const env = options.env ?? process.env;
  const prepared = prepare(checked, configure, env, options.cwd ?? process.cwd());
  prepared.catch(() => undefined); // surfaced by every invocation; never an unhandled rejection
  let adviceGiven = false; // per process: the first invocation's remaining time is about the function timeout
  let coldStartPending = readEnv(env, AWS_LAMBDA_INITIALIZATION_TYPE) !== 'provisioned-concurrency';
  return async (_event, context) => {
    const remainingMs = context.getRemainingTimeInMillis();
    const worker = await prepared;
    const coldStart = coldStartPending;
    coldStartPending = false;
    const fields = { requestId: context.awsRequestId, functionName: context.functionName, functionVersion: context.functionVersion };
    await withInvocationLogFields(fields, () => {
      if (!adviceGiven) {
        adviceGiven = true;
        for (const advice of timingAdvice({ remainingMs, ...worker.settings })) worker.logger.warn(advice);
      }
      return runInvocation(worker, context, realDeps as InvocationDeps, coldStart);
    });
  };
}
