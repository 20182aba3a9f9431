/**
 * The timeline of one invocation, planned from an absolute deadline: when work ends, when the
 * worker is forced to stop, how long the shutdown hooks may run, and when the handler settles
 * at the latest. Pure: the caller passes the clock reading.
 */
import { LOW_WORK_TIME_MS, MIN_WORK_TIME_MS, SETTLE_MARGIN_MS } from '../defaults';
import { InsufficientTimeError } from '../errors';

export { SETTLE_MARGIN_MS } from '../defaults';

/** At most this much of the shutdown window is kept for closing the connection after the hooks. */
export const CLOSE_RESERVE_MS = 250;
/** At most this much of the shutdown window is kept for the shutdown hooks. */
export const HOOKS_RESERVE_MAX_MS = 1_000;
/** At most this much time between the worker's forced shutdown and giving up waiting for it. */
export const FORCE_SLACK_MS = 250;
/** Bounds of the run time of one in-process workflow activation (deadlock detection). */
export const MIN_ACTIVATION_LIMIT_MS = 1_000;
/** The SDK's own deadlock detection limit for threaded workflows. */
export const MAX_ACTIVATION_LIMIT_MS = 5_000;

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
  /** `shutdownForceTime` given to the worker, counted from the start of its shutdown. */
  shutdownForceTimeMs: number;
  /** Stop waiting for the worker here, even if it has not stopped. */
  workerStopByMs: number;
  /** The shutdown hooks must be done here. */
  hooksEndByMs: number;
  /**
   * Longest time from the start of a shutdown to the end of the hooks: a shutdown that starts
   * early (idle exit, a failure) bounds its hooks as one at work end would.
   */
  shutdownWindowMs: number;
  /** The handler settles here at the latest. */
  settleByMs: number;
  /**
   * Longest run of one in-process workflow activation before it fails as a potential deadlock:
   * an activation that starts before the worker's forced stop still ends before the deadline.
   */
  activationLimitMs: number;
  /** Set when the work time is short or the grace time cannot fit: the warning to log. */
  lowWorkTimeWarning: string | undefined;
}

/**
 * Plans the invocation.
 * @throws {@link InsufficientTimeError} when the work time is {@link MIN_WORK_TIME_MS} or less.
 */
export function planInvocation(timing: InvocationTiming): InvocationPlan {
  const { startMs, remainingMs, shutdownDeadlineBufferMs: bufferMs } = timing;
  const deadlineMs = startMs + Math.max(0, remainingMs);
  const workEndMs = deadlineMs - bufferMs;
  const workTimeMs = workEndMs - startMs;
  if (workTimeMs <= MIN_WORK_TIME_MS) throw insufficientTime(remainingMs, bufferMs, workTimeMs);
  const settleByMs = deadlineMs - SETTLE_MARGIN_MS;
  const windowMs = Math.max(0, settleByMs - workEndMs);
  const closeReserveMs = closeReserve(windowMs);
  const hooksReserveMs = Math.min(HOOKS_RESERVE_MAX_MS, windowMs / 4);
  const forceSlackMs = Math.min(FORCE_SLACK_MS, windowMs / 4);
  const latestForceMs = windowMs - closeReserveMs - hooksReserveMs - forceSlackMs;
  const shutdownForceTimeMs = Math.floor(Math.min(latestForceMs, timing.userShutdownForceTimeMs ?? Infinity));
  const workerStopByMs = workEndMs + shutdownForceTimeMs + forceSlackMs;
  const hooksEndByMs = settleByMs - closeReserveMs;
  const plan = {
    startMs,
    deadlineMs,
    workEndMs,
    workTimeMs,
    shutdownForceTimeMs,
    workerStopByMs,
    hooksEndByMs,
    shutdownWindowMs: hooksEndByMs - workEndMs,
    settleByMs,
    activationLimitMs: Math.floor(
      Math.min(MAX_ACTIVATION_LIMIT_MS, Math.max(MIN_ACTIVATION_LIMIT_MS, settleByMs - workerStopByMs)),
    ),
  };
  return { ...plan, lowWorkTimeWarning: lowWorkTimeWarning(timing, workTimeMs, shutdownForceTimeMs) };
}

/** The part of the window after work end kept for closing the connection. */
function closeReserve(windowMs: number): number {
  return Math.min(CLOSE_RESERVE_MS, windowMs / 4);
}

/**
 * How long the shutdown hooks may run at most, counted from the start of a shutdown: the
 * shutdown buffer less the settle margin and the close reserve. An invocation that fails or
 * exits early bounds its hooks by this, as one that works to the deadline does.
 */
export function shutdownWindowMs(bufferMs: number): number {
  const windowMs = Math.max(0, bufferMs - SETTLE_MARGIN_MS);
  return windowMs - closeReserve(windowMs);
}

function insufficientTime(remainingMs: number, bufferMs: number, workTimeMs: number): InsufficientTimeError {
  return new InsufficientTimeError(
    `Insufficient time for Lambda worker: ${remainingMs} ms remain in this invocation and shutdownDeadlineBufferMs ` +
      `is ${bufferMs} ms, leaving ${workTimeMs} ms of work time (more than ${MIN_WORK_TIME_MS} ms is needed). ` +
      `Raise the function timeout (--timeout) well above ${Math.ceil((bufferMs + LOW_WORK_TIME_MS) / 1000)} s, ` +
      `or lower config.shutdownDeadlineBufferMs together with config.workerOptions.shutdownGraceTime.`,
  );
}

/**
 * The low-work-time warning, with the official package's opening words (alarms written against
 * it still match), then the actual cause and its fix: a short work time calls for a longer
 * function timeout; a grace time the forced stop cuts short calls for a larger buffer, never a
 * smaller one.
 */
function lowWorkTimeWarning(timing: InvocationTiming, workTimeMs: number, forceMs: number): string | undefined {
  const { shutdownDeadlineBufferMs: bufferMs, shutdownGraceTimeMs: graceMs } = timing;
  const causes: string[] = [];
  if (workTimeMs < LOW_WORK_TIME_MS) {
    causes.push(
      `only ${workTimeMs} ms of work time (under ${LOW_WORK_TIME_MS} ms) after the ${bufferMs} ms shutdown buffer: ` +
        `raise the function timeout (--timeout)` +
        (graceMs < forceMs ? ', or lower config.shutdownDeadlineBufferMs toward shutdownGraceTime + 2000 ms' : ''),
    );
  }
  if (graceMs > forceMs) {
    causes.push(
      `shutdownGraceTime (${graceMs} ms) is longer than the ${forceMs} ms the ${bufferMs} ms shutdown buffer leaves ` +
        `before the forced stop, so in-flight tasks lose the end of their grace time: raise ` +
        `config.shutdownDeadlineBufferMs to at least ${graceMs + 2_000} ms (and the function timeout with it), ` +
        `or lower config.workerOptions.shutdownGraceTime`,
    );
  }
  return causes.length === 0 ? undefined : `Low work time available for Lambda worker: ${causes.join('; and ')}.`;
}

/**
 * Settings that cannot work well, named with the setting to change (the spec's tuning rules);
 * logged once per process at the first invocation, whose remaining time is about the function
 * timeout.
 */
export function timingAdvice(
  timing: Pick<InvocationTiming, 'remainingMs' | 'shutdownDeadlineBufferMs' | 'shutdownGraceTimeMs'>,
): string[] {
  const advice: string[] = [];
  const { remainingMs, shutdownDeadlineBufferMs: bufferMs, shutdownGraceTimeMs: graceMs } = timing;
  if (graceMs >= bufferMs) {
    advice.push(
      `shutdownGraceTime (${graceMs} ms) is not below shutdownDeadlineBufferMs (${bufferMs} ms): in-flight tasks ` +
        `cannot get their grace time before the deadline. Raise config.shutdownDeadlineBufferMs to at least ` +
        `${graceMs + 2_000} or lower config.workerOptions.shutdownGraceTime.`,
    );
  }
  const workMs = remainingMs - bufferMs;
  if (workMs < Math.max(LOW_WORK_TIME_MS, remainingMs / 4)) {
    advice.push(
      `The function timeout (about ${Math.round(remainingMs / 1000)} s) leaves ` +
        `${Math.max(0, Math.round(workMs / 1000))} s of work after the ${bufferMs} ms shutdown buffer. Raise the ` +
        `function timeout (--timeout; the guide uses 600 s) so that most of each invocation polls for work.`,
    );
  }
  return advice;
}
