export { runWorker } from './run-worker';
export type { ConfigureWorker, LambdaHandler, LambdaWorkerHandler, RunWorkerOptions } from './run-worker';
export { LambdaWorkerConfig, LAMBDA_WORKER_DEFAULTS, SHUTDOWN_BUFFER_OVER_GRACE_MS, DEFAULT_IDLE_EXIT_MS } from './lambda-config';
export type { LambdaWorkerOptions } from './lambda-config';
export type { LambdaContext } from './invocation';
export type { ShutdownHook, ShutdownHookContext } from './hooks';
export type { EndReason, InvocationSummary, SummaryHook, SummaryHookContext, TaskCounts } from './summary';
export { applyEmfMetrics, EmfMetricsWriter, DEFAULT_EMF_NAMESPACE, EMF_BASE_DIMENSIONS, summaryMetrics } from './emf';
export type { EmfOptions } from './emf';
export type { EmfDocument, EmfDirective, EmfUnit } from './emf-format';
export { loadPowertoolsMetrics } from './powertools-metrics';
export type { PowertoolsMetricsLike } from './powertools-metrics';
export { JsonLogger } from './logger';
export type { JsonLoggerOptions } from './logger';
export { fromPowertoolsLogger, loadPowertoolsLogger, PowertoolsLoggerAdapter } from './powertools';
export type { PowertoolsLoggerLike } from './powertools';
export { SecretScrubber } from './redact';
export { CONFIG_FILE_NAME } from './connection-config';
export { invokeLocally, makeLocalContext } from './local-invoke';
export type { LocalInvokeOptions, LocalInvokeResult } from './local-invoke';
export {
  LambdaWorkerError,
  InvalidDeploymentVersionError,
  ConfigFileNotFoundError,
  MalformedConfigFileError,
  UnknownProfileError,
  TlsFileNotFoundError,
  MissingTaskQueueError,
  InvalidOptionError,
  UnsupportedNodeVersionError,
  InsufficientTimeError,
  StartupTimeoutError,
  ConnectionFailedError,
} from './errors';
