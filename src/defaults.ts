/**
 * Every default and limit a user can see, one constant and one line each. The behaviour behind
 * each lives where it is used; the values live here.
 */

/** The worker options the spec's table gives for Lambda (configure sees them pre-filled). */
export const LAMBDA_WORKER_DEFAULTS = {
  maxConcurrentActivityTaskExecutions: 2,
  maxConcurrentWorkflowTaskExecutions: 10,
  maxConcurrentLocalActivityExecutions: 2,
  maxConcurrentNexusTaskExecutions: 5,
  workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 2 },
  activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 1 },
  nexusTaskPollerBehavior: { type: 'simple-maximum', maximum: 1 },
  shutdownGraceTime: 5_000,
  maxCachedWorkflows: 30,
} as const;

/** The workflows' versioning behaviour unless configure or the workflow chooses. */
export const DEFAULT_VERSIONING_BEHAVIOR = 'PINNED';
/** `shutdownDeadlineBufferMs` defaults to the worker's `shutdownGraceTime` plus this. */
export const SHUTDOWN_BUFFER_OVER_GRACE_MS = 2_000;
/** The smallest `shutdownDeadlineBufferMs` accepted: the settle margin plus 250 ms to stop the worker. */
export const MIN_SHUTDOWN_DEADLINE_BUFFER_MS = 500;
/** The handler settles at the latest this long before the Lambda deadline. */
export const SETTLE_MARGIN_MS = 250;
/** An invocation with this much work time or less fails at once (`InsufficientTimeError`). */
export const MIN_WORK_TIME_MS = 1_000;
/** An invocation with less work time than this logs the low-work-time warning. */
export const LOW_WORK_TIME_MS = 5_000;
/** `idleExitMs`: end the invocation after this long with nothing in flight. */
export const DEFAULT_IDLE_EXIT_MS = 5_000;
/** `reuseConnection`: keep the Temporal connection across warm invocations. */
export const DEFAULT_REUSE_CONNECTION = true;
/** `workflowThread`: run workflows in a worker thread of their own. */
export const DEFAULT_WORKFLOW_THREAD = false;
/** At most this long is spent checking a kept connection after a thaw before replacing it. */
export const CONNECTION_CHECK_TIMEOUT_MS = 1_000;
/** `apiKeySource.maxAgeMs`: a key read this long ago is read again at the next invocation. */
export const DEFAULT_API_KEY_MAX_AGE_MS = 300_000;
/** First wait before a failed async configure runs again; it doubles per failure. */
export const CONFIGURE_RETRY_MIN_MS = 1_000;
/** Longest wait before a failed async configure runs again. */
export const CONFIGURE_RETRY_MAX_MS = 60_000;
/** Namespace of the EMF metrics unless given or set by `POWERTOOLS_METRICS_NAMESPACE`. */
export const DEFAULT_EMF_NAMESPACE = 'TemporalLambdaWorker';
/** OTLP/gRPC endpoint of the ADOT collector layer, unless given or set by `OTEL_EXPORTER_OTLP_ENDPOINT`. */
export const DEFAULT_OTLP_ENDPOINT = 'localhost:4317';
/** How often OTLP metrics are exported besides the flush at the end of each invocation. */
export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
/** Log level of the JSON logger unless `LOG_LEVEL` or `AWS_LAMBDA_LOG_LEVEL` says otherwise. */
export const DEFAULT_LOG_LEVEL = 'INFO';
