/**
 * One invocation: plan the timeline from the absolute deadline, connect, create the worker,
 * poll until work end, shut down gracefully (forced before the deadline), run the shutdown
 * hooks, close the connection, log a summary. The handler settles before the deadline in every
 * case; an error in cleanup is logged and never replaces the original error.
 */
import type { Logger } from '@temporalio/common';
import type { NativeConnectionOptions, WorkerOptions } from '@temporalio/worker';
import { settleBefore } from './bounded';
import { ConnectionFailedError, LambdaWorkerError, StartupTimeoutError } from './errors';
import { runShutdownHooks, type ShutdownHook } from './hooks';
import type { CompiledWorkerSettings } from './lambda-config';
import { planInvocation, type InvocationPlan } from './timeline';

/** The part of the Lambda `Context` the handler reads. Structurally compatible with `aws-lambda`'s. */
export interface LambdaContext {
  awsRequestId: string;
  invokedFunctionArn: string;
  functionName: string;
  functionVersion?: string;
  getRemainingTimeInMillis(): number;
}

/** The part of a `NativeConnection` an invocation uses. */
export interface ConnectionLike {
  close(): Promise<void>;
}

/** The part of a `Worker` an invocation uses. */
export interface WorkerLike {
  run(): Promise<void>;
  shutdown(): void;
  getState(): string;
}

/** How an invocation connects and creates its worker; injectable for unit tests. */
export interface InvocationDeps<C extends ConnectionLike = ConnectionLike, W extends WorkerLike = WorkerLike> {
  connect(options: NativeConnectionOptions): Promise<C>;
  createWorker(options: WorkerOptions & { connection: C }): Promise<W>;
  now(): number;
}

/** Everything an invocation needs that was prepared once per process. */
export interface PreparedWorker {
  settings: CompiledWorkerSettings;
  connectionOptions: NativeConnectionOptions;
  namespace: string;
  hooks: readonly ShutdownHook[];
  logger: Logger;
}

/** Why the work of an invocation ended. */
export type EndReason = 'deadline' | 'error' | 'worker-stopped';

function describeAddress(options: NativeConnectionOptions): string {
  return options.address ?? 'localhost:7233';
}

/** Waits for a startup step until work end; closes its late result if it arrives after. */
async function startupStep<T>(name: string, promise: Promise<T>, plan: InvocationPlan, now: () => number, onLate: (value: T) => unknown, fix: string): Promise<T> {
  const bounded = await settleBefore(promise, plan.workEndMs, now);
  if (bounded.timedOut) {
    promise.then(onLate, () => undefined);
    throw new StartupTimeoutError(
      `${name} did not finish within the work window (${plan.workTimeMs} ms from invocation start). ${fix}`,
    );
  }
  return bounded.value;
}

/**
 * Whether a worker error is the expected result of the forced shutdown: the SDK fails the
 * worker with GracefulShutdownPeriodExpiredError (or, as of 1.24, an IllegalStateError while
 * finalizing it) once `shutdownForceTime` has passed.
 */
function isForcedShutdown(error: unknown, plan: InvocationPlan, nowMs: number): boolean {
  return (error as Error)?.name === 'GracefulShutdownPeriodExpiredError' || nowMs >= plan.workEndMs + plan.shutdownForceTimeMs;
}

/** Polls until work end, then shuts the worker down; resolves with why work ended. */
async function runUntilWorkEnd(worker: WorkerLike, plan: InvocationPlan, deps: InvocationDeps, logger: Logger): Promise<EndReason> {
  let shutdownRequested = false;
  const stop = setTimeout(() => {
    shutdownRequested = true;
    logger.info('Work window ended: shutting the worker down', { shutdownForceTimeMs: plan.shutdownForceTimeMs });
    try {
      worker.shutdown();
    } catch (error) {
      logger.debug('Worker was not running when shutdown was requested', { error });
    }
  }, Math.max(0, plan.workEndMs - deps.now()));
  const run = worker.run();
  try {
    const bounded = await settleBefore(run, plan.workerStopByMs, deps.now);
    if (bounded.timedOut) {
      run.catch(() => undefined);
      logger.error('Worker did not stop by its forced shutdown time; abandoning it so the handler settles before the deadline', {
        workerState: worker.getState(),
      });
    }
  } catch (error) {
    if (!shutdownRequested || !isForcedShutdown(error, plan, deps.now())) throw error;
    logger.warn('Worker shutdown was forced: an activity did not finish within shutdownForceTime after cancellation', {
      shutdownForceTimeMs: plan.shutdownForceTimeMs,
      error,
    });
  } finally {
    clearTimeout(stop);
  }
  return shutdownRequested ? 'deadline' : 'worker-stopped';
}

/**
 * Runs one invocation of the worker described by `prepared`.
 * @throws the first error of connect, worker creation or the worker's run, after cleanup.
 */
export async function runInvocation(prepared: PreparedWorker, context: LambdaContext, deps: InvocationDeps): Promise<void> {
  const { settings, logger } = prepared;
  const startMs = deps.now();
  const plan = planInvocation({
    startMs,
    remainingMs: context.getRemainingTimeInMillis(),
    shutdownDeadlineBufferMs: settings.shutdownDeadlineBufferMs,
    shutdownGraceTimeMs: settings.shutdownGraceTimeMs,
    userShutdownForceTimeMs: settings.userShutdownForceTimeMs,
  });
  if (plan.lowWorkTime) {
    logger.warn('Little work time in this invocation: raise the function timeout or lower the shutdown buffer', {
      workTimeMs: plan.workTimeMs,
      shutdownDeadlineBufferMs: settings.shutdownDeadlineBufferMs,
      shutdownGraceTimeMs: settings.shutdownGraceTimeMs,
    });
  }
  let connection: ConnectionLike | undefined;
  let failure: unknown;
  let endReason: EndReason = 'error';
  let firstPollMs: number | undefined;
  let workEndedMs: number | undefined;
  try {
    const address = describeAddress(prepared.connectionOptions);
    const connecting = deps.connect(prepared.connectionOptions).catch((error: unknown) => {
      throw new ConnectionFailedError(
        `Cannot connect to Temporal at ${address}: ${(error as Error)?.message ?? String(error)}. ` +
          `Check TEMPORAL_ADDRESS (or address in temporal.toml), TLS and the API key, and that the function can reach the server.`,
        { cause: error },
      );
    });
    connection = await startupStep('Connecting to Temporal at ' + address, connecting, plan, deps.now, (late) => late.close(),
      'The server accepted the connection but did not answer; check TEMPORAL_ADDRESS, TLS settings, and the network path.');
    const worker = await startupStep(
      'Creating the worker',
      deps.createWorker({
        ...settings.workerOptions,
        connection,
        namespace: prepared.namespace,
        identity: settings.workerOptions.identity ?? `${context.awsRequestId}@${context.invokedFunctionArn}`,
        shutdownForceTime: plan.shutdownForceTimeMs,
      } as WorkerOptions & { connection: ConnectionLike }),
      plan,
      deps.now,
      (late) => late.shutdown(),
      'Check the namespace and the worker options (workflow bundle, task queue).',
    );
    firstPollMs = deps.now();
    logger.info('Worker polling', { taskQueue: settings.workerOptions.taskQueue, startupMs: firstPollMs - startMs, workEndInMs: plan.workEndMs - firstPollMs });
    endReason = await runUntilWorkEnd(worker, plan, deps, logger);
    workEndedMs = deps.now();
  } catch (error) {
    failure = error;
    endReason = 'error';
    if (firstPollMs !== undefined) workEndedMs = deps.now();
  } finally {
    const hooksStartMs = deps.now();
    const hooks = await runShutdownHooks(prepared.hooks, plan.hooksEndByMs, logger, deps.now);
    const hooksMs = deps.now() - hooksStartMs;
    if (connection !== undefined) {
      try {
        const closed = await settleBefore(connection.close(), plan.settleByMs, deps.now);
        if (closed.timedOut) logger.warn('Closing the Temporal connection did not finish before the deadline; leaving it');
      } catch (error) {
        logger.warn('Closing the Temporal connection failed', { error });
      }
    }
    const settleMs = deps.now();
    const summary = {
      endReason,
      workTimeMs: plan.workTimeMs,
      startupMs: firstPollMs === undefined ? undefined : firstPollMs - startMs,
      shutdownMs: workEndedMs === undefined ? undefined : workEndedMs - Math.min(workEndedMs, plan.workEndMs),
      hooksMs,
      hooksFailed: hooks.filter((hook) => hook.outcome !== 'ok').length,
      marginBeforeDeadlineMs: plan.deadlineMs - settleMs,
      error: failure === undefined ? undefined : failure instanceof LambdaWorkerError ? { name: failure.name, message: failure.message } : failure,
    };
    logger.log(failure === undefined ? 'INFO' : 'ERROR', 'Invocation summary', summary);
  }
  if (failure !== undefined) throw failure;
}
