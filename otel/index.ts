/**
 * temporal-lambda-worker/otel: Temporal's metrics and traces over OTLP for the AWS Distro for
 * OpenTelemetry. Importing it checks that the metrics packages are installed (see ./metrics).
 */
export { applyDefaults } from './defaults';
export { applyMetrics } from './metrics';
export { applyTracing, makeOtelPlugin } from './tracing';
export type { OtelPluginSetup } from './tracing';
export type { OtelOptions } from './options';
