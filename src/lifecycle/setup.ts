/**
 * Setup, once per process: load the connection config, call the user's configure, validate, and
 * install the Runtime. A synchronous configure's errors are thrown at once (the Lambda init
 * phase fails with the fix in its message). An async configure's failure is not final: its usual
 * causes (a throttled secrets read, a network blip) pass, so a later invocation runs configure
 * again, no sooner than a backoff after the last failure. Errors a retry cannot fix (the
 * library's own validation errors) are kept and fail every invocation with the same message.
 */
import type { Logger, WorkerDeploymentVersion } from '@temporalio/common';
import { CONFIGURE_RETRY_MAX_MS, CONFIGURE_RETRY_MIN_MS } from '../defaults';
import { ApiKeyKeeper, checkApiKeySource } from './api-key';
import { primeWorkflowBundle } from './bundle-cache';
import { redirectForRehearsal } from './rehearsal';
import type { Clock } from './clock';
import { ConnectionCache } from './connection-cache';
import { loadConnectionConfig, type LoadedConnectionConfig } from '../config/connection-config';
import { readEnv, TEMPORAL_TASK_QUEUE, type Env } from '../config/env';
import { nodeMajor } from '../config/node-version';
import { ConfigureFailedError, LambdaWorkerError } from '../errors';
import type { PreparedWorker } from './invocation';
import { compileWorkerSettings, LambdaWorkerConfig } from '../config/lambda-config';
import { JsonLogger } from '../logging/logger';
import { SecretScrubber } from '../logging/redact';
import { ensureRuntime } from './runtime';
import { SharedWorker } from './shared-worker';
import type { SummaryHook } from './summary';
import { TaskMonitor } from './task-monitor';

/** The configure callback: set task queue, workflows, activities and any option; may be async. */
export type ConfigureWorker = (config: LambdaWorkerConfig) => void | Promise<void>;

/** What setup prepares once per process; the Runtime's logger, when the user set one, beside the library's. */
export interface PreparedSetup extends PreparedWorker {
  runtimeLogger?: Logger;
}

/** What setup holds between loading the connection config and finishing after configure. */
interface SetupState {
  loaded: LoadedConnectionConfig;
  config: LambdaWorkerConfig;
}

/** Inputs of setup that do not change between attempts. */
interface SetupInputs {
  version: WorkerDeploymentVersion;
  configure: ConfigureWorker;
  env: Env;
  cwd: string;
  scrubber: SecretScrubber;
  defaultLogger: JsonLogger;
  clock: Clock;
}

/** Step 1, synchronous: the connection config and the config object handed to configure. */
function beginSetup({ env, cwd, scrubber, defaultLogger }: SetupInputs): SetupState {
  const loaded = loadConnectionConfig(env, cwd);
  loaded.secrets.forEach((secret) => scrubber.add(secret));
  const config = new LambdaWorkerConfig({
    connectionOptions: loaded.connectionOptions,
    namespace: loaded.namespace,
    logger: defaultLogger,
  });
  // Visible to configure, as in the official package; the env var still wins afterwards (compileWorkerSettings).
  const envTaskQueue = readEnv(env, TEMPORAL_TASK_QUEUE);
  if (envTaskQueue !== undefined) config.workerOptions.taskQueue = envTaskQueue;
  return { loaded, config };
}

/**
 * The logger of the library's own lines: `config.logger`, unless configure left it at the
 * default and set `runtimeOptions.logger` (as the official package's README does): then that one,
 * so that a user who set only the Runtime's logger sees every line.
 */
function libraryLogger(config: LambdaWorkerConfig, defaultLogger: Logger): Logger {
  return config.logger === defaultLogger && config.runtimeOptions.logger !== undefined
    ? config.runtimeOptions.logger
    : config.logger;
}

/**
 * Every scrubber that may see this setup's lines: those of the library's default logger, of the
 * logger set in configure, of the Runtime's logger as configured, and of the Runtime's in force
 * (an earlier runWorker's, when reused).
 */
function scrubbersOf(loggers: Array<Logger | undefined>): SecretScrubber[] {
  const found = new Set<SecretScrubber>();
  for (const logger of loggers) {
    const scrubber = (logger as { scrubber?: unknown } | undefined)?.scrubber;
    if (scrubber instanceof SecretScrubber) found.add(scrubber);
  }
  return [...found];
}

/** Step 2, synchronous, after configure returned: validate, install the Runtime, log the setup. */
function finishSetup(inputs: SetupInputs, { loaded, config }: SetupState): PreparedSetup {
  const { version, env, defaultLogger, clock } = inputs;
  const logger = libraryLogger(config, defaultLogger);
  // Before the settings are checked: the package command's init may lack the function's settings.
  primeWorkflowBundle(config.workerOptions.workflowBundle, env, nodeMajor());
  const settings = compileWorkerSettings(config, version, env);
  redirectForRehearsal(config, env);
  const keySource = config.apiKeySource === undefined ? undefined : checkApiKeySource(config.apiKeySource);
  // A key turns TLS on unless the config turned it off, as a key from the config does.
  if (keySource !== undefined && config.connectionOptions.tls === undefined) config.connectionOptions.tls = true;
  const { runtime, installedNow } = ensureRuntime(config.runtimeOptions, logger);
  const scrubbers = scrubbersOf([defaultLogger, logger, config.runtimeOptions.logger, runtime.logger]);
  for (const secret of [...loaded.secrets, config.connectionOptions.apiKey]) scrubbers.forEach((s) => s.add(secret));
  const connections = new ConnectionCache(config.connectionOptions, settings.reuseConnection, logger);
  const apiKeys =
    keySource &&
    new ApiKeyKeeper(keySource, clock, logger, (key) => {
      scrubbers.forEach((s) => s.add(key));
      connections.setApiKey(key);
    });
  apiKeys?.prefetch();
  const shared = settings.shareWorker
    ? new SharedWorker({ idleExitMs: settings.idleExitMs, clock, logger }, () => new TaskMonitor(() => clock.now()))
    : undefined;
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
    shareWorker: settings.shareWorker,
    workflowThread: settings.workerOptions.debugMode !== true,
    runtimeInstalled: installedNow ? 'now' : 'reused',
    keyReadFrom: keySource?.name,
  });
  return {
    settings,
    connectionOptions: config.connectionOptions,
    connections,
    apiKeys,
    shared,
    namespace: config.namespace,
    hooks: [...config.shutdownHooks],
    summaryHooks: [...config.summaryHooks],
    logger,
    runtimeLogger: config.runtimeOptions.logger,
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/**
 * What an invocation that setup failed reports with: the library's logger and the summary hooks
 * of the config as far as configure got (an EMF writer added before a failure still counts it).
 */
export interface SetupFailureReport {
  logger: Logger;
  summaryHooks: readonly SummaryHook[];
  taskQueue: string;
}

/** A failed async setup: whether a later attempt may succeed, and when it may start. */
interface Failure {
  error: unknown;
  retryable: boolean;
  failures: number;
  retryAtMs: number;
}

/**
 * The process's setup. Construct it at init: everything up to a synchronous configure's return
 * runs then, and its errors are thrown. {@link Setup.get} gives each invocation the prepared
 * worker, running an async configure again when the last attempt failed and may pass now.
 */
export class Setup {
  private readonly inputs: SetupInputs;
  private current: PreparedSetup | Promise<PreparedSetup>;
  private failure: Failure | undefined;
  /** The config of the latest attempt. */
  private latest!: LambdaWorkerConfig;

  constructor(
    version: WorkerDeploymentVersion,
    configure: ConfigureWorker,
    env: Env,
    cwd: string,
    private readonly clock: Clock,
  ) {
    const scrubber = new SecretScrubber();
    this.inputs = {
      version,
      configure,
      env,
      cwd,
      scrubber,
      defaultLogger: new JsonLogger({ env, scrubber }),
      clock,
    };
    let state: SetupState;
    let configured: void | Promise<void>;
    try {
      state = beginSetup(this.inputs);
      this.latest = state.config;
      configured = configure(state.config);
    } catch (error) {
      throw this.fatal(error);
    }
    if (!isPromiseLike(configured)) {
      try {
        this.current = finishSetup(this.inputs, state);
      } catch (error) {
        throw this.fatal(error);
      }
      return;
    }
    this.current = this.attempt(state, configured);
  }

  /** The prepared worker, or the error that keeps it from being ready (rejects). */
  get(): PreparedSetup | Promise<PreparedSetup> {
    const failure = this.failure;
    if (failure === undefined) return this.current;
    if (!failure.retryable) return Promise.reject(failure.error);
    const waitMs = failure.retryAtMs - this.clock.now();
    if (waitMs > 0) {
      return Promise.reject(
        new ConfigureFailedError(
          `The async configure callback failed ${failure.failures} time(s) in this execution environment; it runs ` +
            `again in ${Math.ceil(waitMs)} ms, at the first invocation after that. Last failure: ` +
            `${(failure.error as Error)?.message ?? String(failure.error)}`,
          { cause: failure.error },
        ),
      );
    }
    this.failure = undefined;
    try {
      const state = beginSetup(this.inputs);
      this.current = this.attempt(
        state,
        Promise.resolve().then(() => this.inputs.configure(state.config)),
        failure.failures,
      );
    } catch (error) {
      this.current = Promise.reject(this.fatal(error));
      this.current.catch(() => undefined);
    }
    return this.current;
  }

  /** The logger and summary hooks an invocation that setup failed reports with. */
  failureReport(): SetupFailureReport {
    const config = this.latest;
    return {
      logger: libraryLogger(config, this.inputs.defaultLogger),
      summaryHooks: [...config.summaryHooks],
      taskQueue: config.workerOptions.taskQueue ?? '',
    };
  }

  /** One async attempt: configure, then finish; a failure is recorded for the next {@link get}. */
  private attempt(state: SetupState, configured: PromiseLike<void>, failuresBefore = 0): Promise<PreparedSetup> {
    this.latest = state.config;
    const attempt = Promise.resolve(configured).then(
      () => {
        try {
          return finishSetup(this.inputs, state);
        } catch (error) {
          throw this.fatal(
            error,
            'after the async configure; every invocation fails with this error until it is fixed',
          );
        }
      },
      (error: unknown) => {
        // The library's own errors name a setting or a missing package: no retry can fix those.
        if (error instanceof LambdaWorkerError) throw this.fatal(error, 'in the async configure callback');
        const failures = failuresBefore + 1;
        const backoffMs = Math.min(CONFIGURE_RETRY_MAX_MS, CONFIGURE_RETRY_MIN_MS * 2 ** (failures - 1));
        this.failure = { error, retryable: true, failures, retryAtMs: this.clock.now() + backoffMs };
        this.inputs.defaultLogger.error(
          'Lambda worker setup failed in the async configure callback; a later invocation runs it again',
          {
            attempt: failures,
            retryInMs: backoffMs,
            error,
          },
        );
        throw error;
      },
    );
    attempt.catch(() => undefined); // surfaced by the invocations that await it; never unhandled
    return attempt;
  }

  /** Records and logs an error no retry can fix; returns it to throw. */
  private fatal(error: unknown, phase = 'at init'): unknown {
    this.failure = { error, retryable: false, failures: 1, retryAtMs: Infinity };
    this.inputs.defaultLogger.error(`Lambda worker setup failed ${phase}`, { error });
    return error;
  }
}
