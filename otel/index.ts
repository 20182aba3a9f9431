import type { LambdaWorkerConfig } from '../src/lambda-config';
import { applyMetrics } from './metrics';
import type { OtelOptions } from './options';
import { loadMetricsPeers } from './peers';

// Fail at import, with the packages to install, rather than with ERR_MODULE_NOT_FOUND or at the
// first invocation: the metrics packages are what every use of this entry point needs.
loadMetricsPeers();
import { applyTracing } from './tracing';

/**
 * Metrics and tracing for the AWS Distro for OpenTelemetry: Temporal's core and SDK metrics and
 * workflow/activity/Nexus spans, exported over OTLP/gRPC to `localhost:4317` (the ADOT collector
 * layer) unless told otherwise, and flushed before every invocation ends.
 *
 * @example
 * ```ts
 * import { runWorker } from 'temporal-lambda-worker';
 * import { applyDefaults } from 'temporal-lambda-worker/otel';
 *
 * export const handler = runWorker({ deploymentName: 'sdk-demo', buildId: 'v1' }, (config) => {
 *   config.workerOptions.taskQueue = 'orders';
 *   config.workerOptions.workflowBundle = { codePath: require.resolve('./workflow-bundle.js') };
 *   applyDefaults(config);
 * });
 * ```
 */
export function applyDefaults(config: LambdaWorkerConfig, options?: OtelOptions): void {
  applyMetrics(config, options);
  applyTracing(config, options);
}

export { applyMetrics, CoreMetricsBridge } from './metrics';
export { applyTracing, makeOtelPlugin } from './tracing';
export type { TracingSetup } from './tracing';
export { DEFAULT_METRIC_EXPORT_INTERVAL_MS, DEFAULT_OTLP_ENDPOINT, normalizeEndpoint } from './options';
export type { OtelOptions } from './options';
export { OTEL_METRICS_INSTALL, OTEL_TRACING_INSTALL } from './peers';
