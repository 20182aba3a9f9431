/**
 * One worker's run inside an invocation: poll until work end or until idle, tell the worker to
 * stop (always, on every path), and wait for it no later than its forced-stop time plus slack.
 * A worker that has not settled by then is abandoned: the invocation moves on, and the worker's
 * run is handed back so that its connection is closed only once the worker let go of it.
 */
import type { Logger } from '@temporalio/common';
import { GracefulShutdownPeriodExpiredError, IllegalStateError } from '@temporalio/worker';
import { settleBefore } from './bounded';
import { every, type Clock } from './clock';
import { isWorkerStillInUse, onWorkerStart } from '../sdk-internals';
import type { EndReason } from './summary';
import type { ObservableWorker, TaskMonitor } from './task-monitor';
import type { InvocationPlan } from './timeline';

/** The part of a `Worker` an invocation uses. */
export interface WorkerLike extends ObservableWorker {
  run(): Promise<void>;
  shutdown(): void;
  getState(): string;
}

/** Why and how the work of an invocation ended. */
export interface WorkEnd {
  reason: EndReason;
  /** When the invocation told the worker to stop. */
  shutdownStartMs?: number;
  /** The SDK could not finalize the worker: it may stay registered on its connection. */
  unfinalized?: boolean;
  /** The worker's run, when it had not settled by its forced-stop time (rejections handled). */
  abandoned?: Promise<void>;
}

/** Shortest period of the idle check, and of the state watch where the start hook is missing. */
const WATCH_PERIOD_MS = 50;

/**
 * Tells a worker to stop, once, whatever its state: at once when it polls, and as soon as it
 * starts when a plugin's `runWorker` is still running (the SDK refuses `shutdown()` before).
 */
export class Stopper {
  requested: { reason: EndReason; atMs: number } | undefined;
  polling = false;
  private watch: { stop(): void } | undefined;

  constructor(
    private readonly worker: WorkerLike,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onPolling: () => void,
  ) {
    const hooked = onWorkerStart(worker, () => this.started());
    // Without the start hook, watch the state while the invocation waits (the fallback).
    if (!hooked) this.watch = every(clock, WATCH_PERIOD_MS, () => worker.getState() === 'RUNNING' && this.started());
  }

  /**
   * Follows `run`, the worker's run just begun: notices a start that `run()` made at once (for a
   * worker without the start hook), and ends the state watch when the run settles, on every path.
   */
  watchUntil(run: Promise<void>): void {
    if (this.worker.getState() === 'RUNNING') this.started();
    const dispose = () => this.watch?.stop();
    void run.then(dispose, dispose);
  }

  private started(): void {
    this.watch?.stop();
    if (this.polling) return;
    this.polling = true;
    this.onPolling();
    if (this.requested !== undefined) this.shutDown();
  }

  request(reason: EndReason, message: string, fields: Record<string, unknown>): void {
    if (this.requested !== undefined) return;
    this.requested = { reason, atMs: this.clock.now() };
    this.logger.info(message, fields);
    if (this.worker.getState() === 'RUNNING') {
      this.shutDown();
    } else if (this.worker.getState() === 'INITIALIZED') {
      this.logger.info(
        "The worker has not started polling yet (a plugin's runWorker is still running); " +
          'it is shut down as soon as it starts',
      );
    }
  }

  private shutDown(): void {
    try {
      this.worker.shutdown();
    } catch (error) {
      if (!(error instanceof IllegalStateError)) throw error;
      this.logger.debug('Worker was not running when shutdown was requested', { error });
    }
  }
}

/** How often the idle exit looks at the worker: a quarter of the idle time, within 50 ms to 1 s. */
export function idleCheckPeriodMs(idleExitMs: number): number {
  return Math.max(WATCH_PERIOD_MS, Math.min(1_000, idleExitMs / 4));
}

/** Options of {@link runUntilWorkEnd}. */
export interface WorkerRunOptions {
  plan: InvocationPlan;
  monitor: TaskMonitor;
  /** Stop once nothing was in flight this long; `undefined`: work until work end. */
  idleExitMs: number | undefined;
  clock: Clock;
  logger: Logger;
}

/** Polls until work end (or idle), then shuts the worker down; resolves with why work ended. */
export async function runUntilWorkEnd(worker: WorkerLike, options: WorkerRunOptions): Promise<WorkEnd> {
  const { plan, monitor, idleExitMs, clock, logger } = options;
  const stopper = new Stopper(worker, clock, logger, () => monitor.restartIdleClock());
  const forceFields = { shutdownForceTimeMs: plan.shutdownForceTimeMs };
  const stopAtWorkEnd = () => stopper.request('deadline', 'Work window ended: shutting the worker down', forceFields);
  const deadlineTimer = clock.setTimeout(stopAtWorkEnd, plan.workEndMs - clock.now());
  const idleTimer =
    idleExitMs === undefined
      ? undefined
      : every(clock, idleCheckPeriodMs(idleExitMs), () => {
          if (stopper.polling && monitor.idleForMs() >= idleExitMs) {
            stopper.request('idle', `No task for ${idleExitMs} ms: shutting the worker down early`, forceFields);
          }
        });
  const run = worker.run();
  stopper.watchUntil(run);
  try {
    return await settleRun(worker, run, { stopper, stopNow: stopAtWorkEnd, plan, clock, logger });
  } finally {
    clock.clearTimeout(deadlineTimer);
    idleTimer?.stop();
  }
}

/** What {@link settleRun} needs besides the worker and its run. */
export interface SettleRunOptions {
  stopper: Stopper;
  /** Tells the worker to stop when it was not told yet (a caller that told it already leaves it out). */
  stopNow?: () => void;
  /** The plan whose `workerStopByMs` and `shutdownForceTimeMs` bound the wait. */
  plan: InvocationPlan;
  clock: Clock;
  logger: Logger;
}

/**
 * Waits for a worker's run no later than the plan's `workerStopByMs`: resolves with why work
 * ended, abandons (and tells to stop) a worker that has not settled by then, and accepts the
 * expected ends of a forced or unfinalized worker; any other failure of the run is thrown.
 */
export async function settleRun(worker: WorkerLike, run: Promise<void>, options: SettleRunOptions): Promise<WorkEnd> {
  const { stopper, plan, clock, logger } = options;
  try {
    const bounded = await settleBefore(run, plan.workerStopByMs, clock);
    if (!bounded.timedOut)
      return { reason: stopper.requested?.reason ?? 'worker-stopped', shutdownStartMs: stopper.requested?.atMs };
    // Never leave a worker that was not told to stop (its timer may have been starved by a stall).
    options.stopNow?.();
    logger.error(
      'Worker did not stop by its forced shutdown time; abandoning it so the handler settles before the deadline',
      {
        workerState: worker.getState(),
      },
    );
    // The stopper lives until the run settles: a worker that starts later is still told to stop.
    return {
      reason: stopper.requested!.reason,
      shutdownStartMs: stopper.requested!.atMs,
      abandoned: run.catch(() => undefined),
    };
  } catch (error) {
    return acceptableFailure(error, worker, stopper.requested, plan, clock, logger);
  }
}

/**
 * A run that rejected, when the rejection is an expected end rather than a failure: the SDK's
 * forced shutdown after `shutdownForceTime`, or a finalize race after the worker had stopped
 * cleanly. Anything else is rethrown.
 */
function acceptableFailure(
  error: unknown,
  worker: WorkerLike,
  requested: Stopper['requested'],
  plan: InvocationPlan,
  clock: Clock,
  logger: Logger,
): WorkEnd {
  const unfinalized = isWorkerStillInUse(error);
  // The worker finished all its work (STOPPED: every poller returned, every task completed) and
  // only the native finalization lost the race: the SDK can resolve a call's promise while its
  // native side still holds the worker, which a busy or small CPU makes likely.
  if (unfinalized && worker.getState() === 'STOPPED') {
    logger.warn(
      `The worker finished its tasks, but the SDK could not finalize it (a native call still held it); the ` +
        `invocation succeeds and the kept connection is replaced`,
      { error: { name: (error as Error).name, message: (error as Error).message } },
    );
    return { reason: requested?.reason ?? 'worker-stopped', shutdownStartMs: requested?.atMs, unfinalized };
  }
  const forced =
    requested !== undefined &&
    (error instanceof GracefulShutdownPeriodExpiredError ||
      (unfinalized && clock.now() >= requested.atMs + plan.shutdownForceTimeMs));
  if (!forced) throw error;
  logger.warn(
    `Worker shutdown was forced: the worker did not drain within shutdownForceTime (an activity ignoring ` +
      `cancellation, or polls slow to stop on a busy CPU)`,
    { shutdownForceTimeMs: plan.shutdownForceTimeMs, error },
  );
  return { reason: requested.reason, shutdownStartMs: requested.atMs, unfinalized };
}

/**
 * Stops a worker that was created after its invocation stopped waiting for it: runs it only to
 * shut it down the moment it starts (through the start hook, or the state watch without it),
 * which unregisters it from its connection. Resolves (never rejects) when it has settled.
 */
export function disposeLateWorker(worker: WorkerLike, clock: Clock, logger: Logger): Promise<void> {
  const stopper = new Stopper(worker, clock, logger, () => undefined);
  const run = worker.run();
  stopper.watchUntil(run);
  stopper.request('deadline', 'A worker was created after its invocation stopped waiting: shutting it down', {});
  return run.catch((error: unknown) => logger.debug('A late worker failed while shutting down', { error }));
}
