/**
 * temporal-lambda-worker: a Temporal Worker as an AWS Lambda handler. The entry point of the
 * runtime; every name is exported from the module that declares it.
 */
export { runWorker } from './lifecycle/run-worker';
export type { ConfigureWorker, LambdaHandler } from './lifecycle/run-worker';
export { LambdaWorkerConfig } from './config/lambda-config';
export type { LambdaWorkerOptions } from './config/lambda-config';
export type { LambdaContext } from './lifecycle/invocation';
export type { ShutdownHook, ShutdownHookContext } from './lifecycle/hooks';
export type { ApiKeySource } from './lifecycle/api-key';
export type { EndReason, InvocationSummary, SummaryHook, SummaryHookContext } from './lifecycle/summary';
export type { TaskCounts } from './lifecycle/task-monitor';
export { applyEmfMetrics } from './metrics/emf';
export type { EmfOptions } from './metrics/emf';
export type { PowertoolsMetricsLike } from './metrics/powertools-metrics';
export { JsonLogger } from './logging/logger';
export type { JsonLoggerOptions } from './logging/logger';
export { PowertoolsLoggerAdapter } from './logging/powertools';
export type { PowertoolsLoggerLike } from './logging/powertools';
export { SecretScrubber } from './logging/redact';
export { invokeLocally } from './local/invoke';
export type { LocalInvokeOptions, LocalInvokeResult } from './local/invoke';
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
  ConfigureFailedError,
  MissingPeerError,
} from './errors';
