/**
 * The timeline of one invocation, planned from an absolute deadline: when work ends, when the
 * worker is forced to stop, how long the shutdown hooks may run, and when the handler settles
 * at the latest. Pure: the caller passes the clock reading.
 */
import { InsufficientTimeError } from './errors';

/** The handler settles at the latest this long before the Lambda deadline. */
export const SETTLE_MARGIN_MS = 250;
/** Time kept for closing the connection after the hooks. */
export const CLOSE_RESERVE_MS = 250;
/** At most this much of the shutdown window is kept for the shutdown hooks. */
export const HOOKS_RESERVE_MAX_MS = 1_000;
/** Time between the worker's forced shutdown and giving up waiting for it. */
export const FORCE_SLACK_MS = 250;
/** Bounds of the run time of one in-process workflow activation (deadlock detection). */
export const MIN_ACTIVATION_LIMIT_MS = 1_000;
/** The SDK's own deadlock detection limit for threaded workflows. */
export const MAX_ACTIVATION_LIMIT_MS = 5_000;
/** An invocation with this much work time or less fails at once. */
export const MIN_WORK_TIME_MS = 1_000;
/** An invocation with less work time than this logs a warning. */
export const LOW_WORK_TIME_MS = 5_000;

/** Input of {@link planInvocation}. */
export interface InvocationTiming {
  /** Clock reading when the handler was entered (ms since epoch). */
  startMs: number;
  /** `context.getRemainingTimeInMillis()` read at `startMs`. */
  remainingMs: number;
  shutdownDeadlineBufferMs: number;
  shutdownGraceTimeMs: number;
  userShutdownForceTimeMs?: number | undefined;
}

/** Absolute times (ms since epoch) and durations of one invocation. */
export interface InvocationPlan {
  startMs: number;
  deadlineMs: number;
  /** Work (polling) ends here; the graceful shutdown starts. */
  workEndMs: number;
  /** Time from invocation start to work end: connecting and creating the worker count against it. */
  workTimeMs: number;
  /** `shutdownForceTime` given to the worker, counted from work end. */
  shutdownForceTimeMs: number;
  /** Stop waiting for the worker here, even if it has not stopped. */
  workerStopByMs: number;
  /** The shutdown hooks must be done here. */
  hooksEndByMs: number;
  /** The handler settles here at the latest. */
  settleByMs: number;
  /**
   * Longest run of one in-process workflow activation before it fails as a potential deadlock:
   * an activation that starts before the worker's forced stop still ends before the deadline.
   */
  activationLimitMs: number;
  /** True when the work time is under {@link LOW_WORK_TIME_MS}. */
  lowWorkTime: boolean;
}

/**
 * Plans the invocation.
 * @throws {@link InsufficientTimeError} when the work time is {@link MIN_WORK_TIME_MS} or less.
 */
export function planInvocation(timing: InvocationTiming): InvocationPlan {
  const { startMs, remainingMs, shutdownDeadlineBufferMs: bufferMs, shutdownGraceTimeMs: graceMs } = timing;
  const deadlineMs = startMs + Math.max(0, remainingMs);
  const workEndMs = deadlineMs - bufferMs;
  const workTimeMs = workEndMs - startMs;
  if (workTimeMs <= MIN_WORK_TIME_MS) {
    throw new InsufficientTimeError(
      `Only ${remainingMs} ms remain in this invocation and shutdownDeadlineBufferMs is ${bufferMs} ms, ` +
        `leaving ${workTimeMs} ms of work time (more than ${MIN_WORK_TIME_MS} ms is needed). ` +
        `Raise the function timeout (--timeout) well above ${Math.ceil((bufferMs + LOW_WORK_TIME_MS) / 1000)} s, ` +
        `or lower config.shutdownDeadlineBufferMs together with config.workerOptions.shutdownGraceTime.`,
    );
  }
  const settleByMs = deadlineMs - SETTLE_MARGIN_MS;
  const hooksEndByMs = settleByMs - CLOSE_RESERVE_MS;
  const shutdownWindowMs = Math.max(0, hooksEndByMs - workEndMs);
  const hooksReserveMs = Math.min(HOOKS_RESERVE_MAX_MS, shutdownWindowMs / 4);
  const latestForceMs = Math.max(0, shutdownWindowMs - hooksReserveMs - FORCE_SLACK_MS);
  const shutdownForceTimeMs = Math.floor(Math.min(latestForceMs, timing.userShutdownForceTimeMs ?? Infinity));
  const workerStopByMs = Math.min(hooksEndByMs, workEndMs + shutdownForceTimeMs + FORCE_SLACK_MS);
  return {
    startMs,
    deadlineMs,
    workEndMs,
    workTimeMs,
    shutdownForceTimeMs,
    workerStopByMs,
    hooksEndByMs,
    settleByMs,
    activationLimitMs: Math.floor(Math.min(MAX_ACTIVATION_LIMIT_MS, Math.max(MIN_ACTIVATION_LIMIT_MS, settleByMs - workerStopByMs))),
    lowWorkTime: workTimeMs < LOW_WORK_TIME_MS || graceMs > shutdownForceTimeMs,
  };
}

/**
 * Settings that cannot work well, named with the setting to change (the spec's tuning rules);
 * logged once per process at the first invocation, whose remaining time is about the function
 * timeout.
 */
export function timingAdvice(timing: Pick<InvocationTiming, 'remainingMs' | 'shutdownDeadlineBufferMs' | 'shutdownGraceTimeMs'>): string[] {
  const advice: string[] = [];
  const { remainingMs, shutdownDeadlineBufferMs: bufferMs, shutdownGraceTimeMs: graceMs } = timing;
  if (graceMs >= bufferMs) {
    advice.push(
      `shutdownGraceTime (${graceMs} ms) is not below shutdownDeadlineBufferMs (${bufferMs} ms): in-flight tasks cannot get their grace time before the deadline. ` +
        `Raise config.shutdownDeadlineBufferMs to at least ${graceMs + 2_000} or lower config.workerOptions.shutdownGraceTime.`,
    );
  }
  const workMs = remainingMs - bufferMs;
  if (workMs < Math.max(LOW_WORK_TIME_MS, remainingMs / 4)) {
    advice.push(
      `The function timeout (about ${Math.round(remainingMs / 1000)} s) leaves ${Math.max(0, Math.round(workMs / 1000))} s of work after the ${bufferMs} ms shutdown buffer. ` +
        `Raise the function timeout (--timeout; the guide uses 600 s) so that most of each invocation polls for work.`,
    );
  }
  return advice;
}
