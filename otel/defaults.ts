/** `applyDefaults`: metrics and tracing together, as the official package's entry point offers. */
import type { LambdaWorkerConfig } from '../src/config/lambda-config';
import { applyMetrics } from './metrics';
import type { OtelOptions } from './options';
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
