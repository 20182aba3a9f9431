/**
 * One invocation: plan the timeline from the absolute deadline, get a connection (the kept one
 * when it still answers), create the worker, poll until work end or until idle, shut down
 * gracefully (forced before the deadline), run the shutdown hooks, release the connection, log
 * a summary. The handler settles before the deadline in every case; an error in cleanup is
 * logged and never replaces the original error.
 */
import type { Logger } from '@temporalio/common';
import type { NativeConnectionOptions, WorkerOptions } from '@temporalio/worker';
import { settleBefore } from './bounded';
import type { ConnectionCache, ConnectionFactory, ConnectionLike } from './connection-cache';
import { ConnectionFailedError, LambdaWorkerError, StartupTimeoutError } from './errors';
import { runShutdownHooks, type ShutdownHook } from './hooks';
import type { CompiledWorkerSettings } from './lambda-config';
import { runSummaryHooks, type EndReason, type InvocationSummary, type SummaryHook } from './summary';
import { TaskMonitor, type ObservableWorker } from './task-monitor';
import { CLOSE_RESERVE_MS, planInvocation, SETTLE_MARGIN_MS, type InvocationPlan } from './timeline';

export type { ConnectionLike } from './connection-cache';
export type { EndReason } from './summary';

/** The part of the Lambda `Context` the handler reads. Structurally compatible with `aws-lambda`'s. */
export interface LambdaContext {
  awsRequestId: string;
  invokedFunctionArn: string;
  functionName: string;
  functionVersion?: string;
  getRemainingTimeInMillis(): number;
}

/** The part of a `Worker` an invocation uses. */
export interface WorkerLike extends ObservableWorker {
  run(): Promise<void>;
  shutdown(): void;
  getState(): string;
}

/** How an invocation connects and creates its worker; injectable for unit tests. */
export interface InvocationDeps<C extends ConnectionLike = ConnectionLike, W extends WorkerLike = WorkerLike> extends ConnectionFactory<C> {
  createWorker(options: WorkerOptions & { connection: C }): Promise<W>;
}

/** Everything an invocation needs that was prepared once per process. */
export interface PreparedWorker {
  settings: CompiledWorkerSettings;
  connectionOptions: NativeConnectionOptions;
  connections: ConnectionCache;
  namespace: string;
  hooks: readonly ShutdownHook[];
  /** Run with the summary before the handler returns. @default none */
  summaryHooks?: readonly SummaryHook[];
  logger: Logger;
}

/** Hands the summary to the summary hooks, with who it is about. */
function reportSummary(prepared: PreparedWorker, context: LambdaContext, summary: InvocationSummary, coldStart: boolean): void {
  if (!prepared.summaryHooks?.length) return;
  const version = prepared.settings.workerOptions.workerDeploymentOptions?.version;
  runSummaryHooks(prepared.summaryHooks, summary, {
    requestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    taskQueue: prepared.settings.workerOptions.taskQueue,
    deploymentName: version?.deploymentName ?? '',
    buildId: version?.buildId ?? '',
    coldStart,
  }, prepared.logger);
}

/** Waits for a startup step until work end; cleans up its late result if it arrives after. */
async function startupStep<T>(name: string, promise: Promise<T>, plan: InvocationPlan, now: () => number, onLate: (value: T) => unknown, fix: string): Promise<T> {
  const bounded = await settleBefore(promise, plan.workEndMs, now);
  if (bounded.timedOut) {
    promise.then(onLate, () => undefined);
    throw new StartupTimeoutError(`${name} did not finish within the work window (${plan.workTimeMs} ms from invocation start). ${fix}`);
  }
  return bounded.value;
}

/**
 * Whether the SDK could not finalize the native worker because a poll or completion call still
 * held it: `finalizeShutdown` fails with IllegalStateError "Worker still in use: Expected 1
 * reference, but got 2". The worker then stays registered with its connection.
 */
function isStillInUse(error: unknown): boolean {
  return (error as Error)?.name === 'IllegalStateError' && /still in use/i.test(String((error as Error)?.message));
}

/**
 * Whether a worker error is the expected result of the forced shutdown: the SDK fails the
 * worker with GracefulShutdownPeriodExpiredError once `shutdownForceTime` has passed since the
 * shutdown began (at work end or, with idle exit, earlier), or with the finalize error above
 * when a poll was still outstanding then.
 */
function isForcedShutdown(error: unknown, shutdownStartMs: number, plan: InvocationPlan, nowMs: number): boolean {
  return (error as Error)?.name === 'GracefulShutdownPeriodExpiredError' || (isStillInUse(error) && nowMs >= shutdownStartMs + plan.shutdownForceTimeMs);
}

/** Why work ended; `unfinalized` when the SDK could not finalize the worker (see isStillInUse). */
interface WorkEnd {
  reason: EndReason;
  shutdownStartMs?: number;
  unfinalized?: boolean;
}

/** Polls until work end (or idle), then shuts the worker down; resolves with why work ended. */
async function runUntilWorkEnd(worker: WorkerLike, plan: InvocationPlan, monitor: TaskMonitor, idleExitMs: number | undefined, deps: InvocationDeps, logger: Logger): Promise<WorkEnd> {
  let ended: WorkEnd | undefined;
  // A worker plugin's runWorker (the SDK's SimplePlugin `runContext`, for one) may do async work
  // before the worker starts polling; until then the worker is INITIALIZED and refuses shutdown.
  let pendingShutdown: ReturnType<typeof setInterval> | undefined;
  const stop = (reason: EndReason) => {
    if (ended !== undefined) return;
    ended = { reason, shutdownStartMs: deps.now() };
    logger.info(reason === 'idle' ? `No task for ${idleExitMs} ms: shutting the worker down early` : 'Work window ended: shutting the worker down', {
      shutdownForceTimeMs: plan.shutdownForceTimeMs,
    });
    const shutDown = (): boolean => {
      if (worker.getState() === 'INITIALIZED') return false;
      try {
        worker.shutdown();
      } catch (error) {
        logger.debug('Worker was not running when shutdown was requested', { error });
      }
      return true;
    };
    if (!shutDown()) {
      logger.info('The worker has not started polling yet (a plugin\'s runWorker is still running); it is shut down as soon as it starts');
      pendingShutdown = setInterval(() => shutDown() && clearInterval(pendingShutdown), 10);
    }
  };
  const deadlineTimer = setTimeout(() => stop('deadline'), Math.max(0, plan.workEndMs - deps.now()));
  // Idle time counts only while the worker polls; a worker that is not RUNNING right after
  // run() started (an async plugin) is idle from the first check that finds it RUNNING.
  let polling = false;
  const checkIdle = (limitMs: number) => {
    if (!polling) {
      if (worker.getState() !== 'RUNNING') return;
      polling = true;
      monitor.restartIdleClock();
    }
    if (monitor.idleForMs() >= limitMs) stop('idle');
  };
  const idleTimer = idleExitMs === undefined ? undefined : setInterval(() => checkIdle(idleExitMs), Math.max(50, Math.min(1_000, idleExitMs / 4)));
  const run = worker.run();
  polling = worker.getState() === 'RUNNING';
  try {
    const bounded = await settleBefore(run, plan.workerStopByMs, deps.now);
    if (bounded.timedOut) {
      run.catch(() => undefined);
      logger.error('Worker did not stop by its forced shutdown time; abandoning it so the handler settles before the deadline', { workerState: worker.getState() });
    }
  } catch (error) {
    const unfinalized = isStillInUse(error);
    // The worker finished all its work (STOPPED: every poller returned, every task completed) and
    // only the native finalization lost the race: the SDK can resolve a call's promise while its
    // native side still holds the worker, which a busy or small CPU makes likely.
    if (unfinalized && worker.getState() === 'STOPPED') {
      logger.warn('The worker finished its tasks, but the SDK could not finalize it (a native call still held it); the invocation succeeds and the kept connection is replaced', {
        error: { name: (error as Error).name, message: (error as Error).message },
      });
      return { ...(ended ?? { reason: 'worker-stopped' }), unfinalized };
    }
    if (ended?.shutdownStartMs === undefined || !isForcedShutdown(error, ended.shutdownStartMs, plan, deps.now())) throw error;
    logger.warn('Worker shutdown was forced: the worker did not drain within shutdownForceTime (an activity ignoring cancellation, or polls slow to stop on a busy CPU)', {
      shutdownForceTimeMs: plan.shutdownForceTimeMs,
      error,
    });
    ended.unfinalized = unfinalized;
  } finally {
    clearTimeout(deadlineTimer);
    clearInterval(idleTimer);
    clearInterval(pendingShutdown);
  }
  return ended ?? { reason: 'worker-stopped' };
}

function describeError(failure: unknown): unknown {
  return failure instanceof LambdaWorkerError ? { name: failure.name, message: failure.message } : failure;
}

/**
 * Runs one invocation of the worker described by `prepared`.
 * @throws the first error of connect, worker creation or the worker's run, after cleanup.
 */
export async function runInvocation(prepared: PreparedWorker, context: LambdaContext, deps: InvocationDeps, coldStart = false): Promise<void> {
  const { settings, logger } = prepared;
  const startMs = deps.now();
  const remainingMs = context.getRemainingTimeInMillis();
  let plan: InvocationPlan;
  try {
    plan = planInvocation({
      startMs,
      remainingMs,
      shutdownDeadlineBufferMs: settings.shutdownDeadlineBufferMs,
      shutdownGraceTimeMs: settings.shutdownGraceTimeMs,
      userShutdownForceTimeMs: settings.userShutdownForceTimeMs,
    });
  } catch (error) {
    // Too little time to work: the hooks still run, in what is left before the deadline.
    const hooksStartMs = deps.now();
    const hooks = await runShutdownHooks(prepared.hooks, startMs + remainingMs - SETTLE_MARGIN_MS - CLOSE_RESERVE_MS, logger, deps.now);
    const summary: InvocationSummary = {
      endReason: 'error',
      tasks: { workflowActivations: 0, activities: 0, nexusOperations: 0 },
      hooksMs: deps.now() - hooksStartMs,
      hooksFailed: hooks.filter((hook) => hook.outcome !== 'ok').length,
      marginBeforeDeadlineMs: startMs + remainingMs - deps.now(),
      error: describeError(error),
    };
    logger.error('Invocation summary', { ...summary, remainingMs });
    reportSummary(prepared, context, summary, coldStart);
    throw error;
  }
  if (plan.lowWorkTime) {
    logger.warn('Little work time in this invocation: raise the function timeout or lower the shutdown buffer', {
      workTimeMs: plan.workTimeMs,
      shutdownDeadlineBufferMs: settings.shutdownDeadlineBufferMs,
      shutdownGraceTimeMs: settings.shutdownGraceTimeMs,
    });
  }
  const monitor = new TaskMonitor(deps.now);
  const address = prepared.connectionOptions.address ?? 'localhost:7233';
  let connection: ConnectionLike | undefined;
  let reused = false;
  let failure: unknown;
  let ended: WorkEnd = { reason: 'error' };
  let firstPollMs: number | undefined;
  let workEndedMs: number | undefined;
  try {
    const acquiring = prepared.connections.acquire(deps, plan.workEndMs).catch((error: unknown) => {
      throw new ConnectionFailedError(
        `Cannot connect to Temporal at ${address}: ${(error as Error)?.message ?? String(error)}. ` +
          `Check TEMPORAL_ADDRESS (or address in temporal.toml), TLS and the API key, and that the function can reach the server.`,
        { cause: error },
      );
    });
    ({ connection, reused } = await startupStep(`Connecting to Temporal at ${address}`, acquiring, plan, deps.now, ({ connection: late }) => late.close(),
      'The server accepted the connection but did not answer; check TEMPORAL_ADDRESS, TLS settings, and the network path.'));
    const worker = await startupStep(
      'Creating the worker',
      deps.createWorker({
        ...settings.workerOptions,
        connection,
        namespace: prepared.namespace,
        identity: settings.workerOptions.identity ?? `${context.awsRequestId}@${context.invokedFunctionArn}`,
        shutdownForceTime: plan.shutdownForceTimeMs,
        // Read by Worker.create though WorkerOptions does not list it.
        ...(settings.inProcessWorkflows ? { isolateExecutionTimeout: plan.activationLimitMs } : {}),
      } as WorkerOptions & { connection: ConnectionLike }),
      plan,
      deps.now,
      (late) => late.shutdown(),
      'Check the namespace and the worker options (workflow bundle, task queue).',
    );
    const servesNexus = (settings.workerOptions.nexusServices?.length ?? 0) > 0;
    const watched = monitor.attach(worker, servesNexus);
    if (!watched && settings.idleExitMs !== undefined) {
      logger.warn('Idle exit is off for this invocation: this @temporalio/worker version does not expose its in-flight task counts; the worker runs until the deadline');
    }
    const idleExitMs = watched ? settings.idleExitMs : undefined;
    firstPollMs = deps.now();
    logger.info('Worker polling', {
      taskQueue: settings.workerOptions.taskQueue,
      startupMs: firstPollMs - startMs,
      connectionReused: reused,
      workEndInMs: plan.workEndMs - firstPollMs,
      activationLimitMs: settings.inProcessWorkflows ? plan.activationLimitMs : undefined,
    });
    ended = await runUntilWorkEnd(worker, plan, monitor, idleExitMs, deps, logger);
    workEndedMs = deps.now();
  } catch (error) {
    failure = error;
    ended = { reason: 'error' };
    if (firstPollMs !== undefined) workEndedMs = deps.now();
  } finally {
    monitor.detach();
    const hooksStartMs = deps.now();
    const hooks = await runShutdownHooks(prepared.hooks, plan.hooksEndByMs, logger, deps.now);
    const hooksMs = deps.now() - hooksStartMs;
    if (connection !== undefined) {
      // A worker the SDK could not finalize stays registered with the connection's client (its
      // final unregister never ran), so that connection is closed rather than kept.
      const broken = ended.unfinalized === true || failure instanceof ConnectionFailedError || failure instanceof StartupTimeoutError || (failure !== undefined && /transport|unavailable|connect/i.test(String((failure as Error)?.message)));
      try {
        await prepared.connections.release(connection, broken, plan.settleByMs, deps.now);
      } catch (error) {
        logger.warn('Closing the Temporal connection failed', { error });
      }
    }
    const settleMs = deps.now();
    const summary: InvocationSummary = {
      endReason: ended.reason,
      workTimeMs: plan.workTimeMs,
      startupMs: firstPollMs === undefined ? undefined : firstPollMs - startMs,
      connectionReused: connection === undefined ? undefined : reused,
      timeToFirstTaskMs: monitor.firstTaskMs === undefined ? undefined : monitor.firstTaskMs - startMs,
      tasks: monitor.counts,
      activeMs: workEndedMs === undefined ? undefined : (ended.shutdownStartMs ?? workEndedMs) - startMs,
      shutdownMs: workEndedMs === undefined || ended.shutdownStartMs === undefined ? undefined : workEndedMs - ended.shutdownStartMs,
      hooksMs,
      hooksFailed: hooks.filter((hook) => hook.outcome !== 'ok').length,
      marginBeforeDeadlineMs: plan.deadlineMs - settleMs,
      error: failure === undefined ? undefined : describeError(failure),
    };
    logger.log(failure === undefined ? 'INFO' : 'ERROR', 'Invocation summary', { ...summary });
    reportSummary(prepared, context, summary, coldStart);
  }
  if (failure !== undefined) throw failure;
}
