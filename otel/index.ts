/**
 * temporal-lambda-worker/otel: Temporal's metrics and traces over OTLP for the AWS Distro for
 * OpenTelemetry. Importing it loads no OpenTelemetry package: each function loads what it needs
 * and names what is missing (./peers, ./tracing-peers).
 */
export { applyDefaults } from './defaults';
export { applyMetrics } from './metrics';
export { applyTracing, makeOtelPlugin } from './tracing';
export type { OtelPluginSetup } from './tracing';
export type { OtelOptions } from './options';
