/**
 * The invocation summary: what one invocation did, logged as its last line and handed to the
 * summary hooks (the EMF writer is one), which run synchronously before the handler returns.
 */
import type { Logger } from '@temporalio/common';
import type { TaskCounts } from './task-monitor';

/** Why the work of an invocation ended. */
export type EndReason = 'deadline' | 'idle' | 'error' | 'worker-stopped';

/** The figures of one invocation, as logged in its `Invocation summary` line. */
export interface InvocationSummary {
  endReason: EndReason;
  /** Time from invocation start to work end; undefined when there was too little time to plan. */
  workTimeMs?: number;
  /** Invocation start to polling. */
  startupMs?: number;
  connectionReused?: boolean;
  /**
   * Set when invocations share a worker (`config.shareWorker`): this invocation started the
   * worker, or joined one another invocation had started. Its `tasks` are those the worker
   * started since the member before it left: each task is counted by one member, so that the
   * members' counts add up to the worker's.
   */
  sharedWorker?: 'started' | 'joined';
  /** Invocation start to the first task. */
  timeToFirstTaskMs?: number;
  tasks: TaskCounts;
  /** Invocation start to the start of shutdown (or to the worker's stop). */
  activeMs?: number;
  /** Start of shutdown to the worker's stop. */
  shutdownMs?: number;
  hooksMs: number;
  hooksFailed: number;
  /** Time left before the Lambda deadline when the summary was taken. */
  marginBeforeDeadlineMs: number;
  /** Set when the invocation failed (also when it had too little time). */
  error?: unknown;
}

/** Who the summary is about: the dimensions of any metric derived from it. */
export interface SummaryHookContext {
  requestId: string;
  functionName: string;
  functionVersion?: string;
  taskQueue: string;
  deploymentName: string;
  buildId: string;
  /** True for the first invocation of the process on an on-demand initialisation. */
  coldStart: boolean;
}

/**
 * Who an invocation's summary is about: its Lambda context, the task queue, and the Worker
 * Deployment Version (empty names when there is none).
 */
export function summaryContext(
  context: { awsRequestId: string; functionName: string; functionVersion?: string },
  taskQueue: string,
  version: { deploymentName: string; buildId: string } | undefined,
  coldStart: boolean,
): SummaryHookContext {
  return {
    requestId: context.awsRequestId,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    taskQueue,
    deploymentName: version?.deploymentName ?? '',
    buildId: version?.buildId ?? '',
    coldStart,
  };
}

/**
 * Called with every invocation's summary, after its last log line and before the handler
 * returns. Synchronous so that it cannot push the handler past the deadline: write, do not wait.
 */
export type SummaryHook = (summary: InvocationSummary, context: SummaryHookContext) => void;

/** Runs each hook, isolated: a hook that throws is logged and the others still run. */
export function runSummaryHooks(
  hooks: readonly SummaryHook[],
  summary: InvocationSummary,
  context: SummaryHookContext,
  logger: Logger,
): void {
  for (const [index, hook] of hooks.entries()) {
    try {
      const result: unknown = hook(summary, context);
      if (result instanceof Promise)
        result.catch((error: unknown) => logger.warn('Summary hook failed', { hookIndex: index, error }));
    } catch (error) {
      logger.warn('Summary hook failed; the invocation goes on', { hookIndex: index, error });
    }
  }
}
