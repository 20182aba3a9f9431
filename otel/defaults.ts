/** `applyDefaults`: metrics and tracing together, as the official package's entry point offers. */
import type { LambdaWorkerConfig } from '../src/config/lambda-config';
import { MissingPeerError } from '../src/errors';
import { applyMetrics } from './metrics';
import type { OtelOptions } from './options';
import { applyTracing } from './tracing';

let leftOutLogged = false;

/**
 * Metrics and tracing for the AWS Distro for OpenTelemetry: Temporal's core and SDK metrics and
 * workflow/activity/Nexus spans, exported over OTLP/gRPC to `localhost:4317` (the ADOT collector
 * layer) unless told otherwise, and flushed before every invocation ends. Under the ADOT JavaScript
 * layer the spans go to the layer's own tracer provider, under each invocation's span.
 *
 * Each half is set up if its packages are installed: an app with only the tracing packages (the
 * official package's documented set) gets tracing, and one log line naming what metrics need and
 * the install line; likewise the other way round.
 *
 * @throws `MissingPeerError` when neither half's packages are installed, with both install lines;
 * `InvalidOptionError` when installed packages mix OpenTelemetry majors.
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
  const missing: MissingPeerError[] = [];
  const attempt = (apply: () => void) => {
    try {
      apply();
    } catch (error) {
      if (!(error instanceof MissingPeerError)) throw error;
      missing.push(error);
    }
  };
  attempt(() => applyMetrics(config, options));
  attempt(() => applyTracing(config, options));
  if (missing.length === 2) {
    throw new MissingPeerError(
      `applyDefaults found neither the metrics nor the tracing packages of OpenTelemetry. ` +
        `${missing[0]!.message} ${missing[1]!.message}`,
      { cause: missing[0] },
    );
  }
  if (missing.length === 1 && !leftOutLogged) {
    leftOutLogged = true;
    config.logger.warn(`applyDefaults set up only part of the telemetry: ${missing[0]!.message}`);
  }
}
