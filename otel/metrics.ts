/**
 * Temporal's core and SDK metrics, drained from the Runtime's `MetricsBuffer` into an
 * OpenTelemetry `MeterProvider` that exports over OTLP/gRPC and can be flushed on demand: every
 * invocation flushes in a shutdown hook, so its metric points reach the collector before the
 * handler returns (core's own OTLP exporter has no flush).
 */
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Attributes, Meter } from '@opentelemetry/api';
import type { BufferedMetricUpdate } from '@temporalio/worker';
import { coreMetricsHub, subscribeToCoreMetrics, type CoreMetricsHub } from '../src/metrics/core-metrics';
import type { LambdaWorkerConfig } from '../src/config/lambda-config';
import { resolveOtelOptions, type OtelOptions, type ResolvedOtelOptions } from './options';
import { loadMetricsPeers, makeResource } from './peers';
import { flushHook } from './flush-hook';

type Recorder = (value: number, attributes: Attributes) => void;

/** Records Temporal metric updates, drained from the process's buffer, in OpenTelemetry instruments. */
export class CoreMetricsBridge {
  /** The process's buffer of core metric updates, shared with any other metrics path. */
  readonly hub: CoreMetricsHub = coreMetricsHub();
  readonly meterProvider: MeterProvider;
  private readonly meter: Meter;
  private readonly recorders = new Map<string, Recorder>();
  private recordedPoints = 0;

  constructor(readonly options: ResolvedOtelOptions) {
    const { exporter: exporters, sdkMetrics, resources } = loadMetricsPeers();
    // AggregationTemporalityPreference: DELTA is 0 and CUMULATIVE 1 on every line (1.x to 3.x).
    const exporter = new exporters.OTLPMetricExporter({
      url: options.endpointUrl,
      temporalityPreference: options.metricTemporality === 'delta' ? 0 : 1,
    });
    this.meterProvider = new sdkMetrics.MeterProvider({
      resource: makeResource(resources, options.resourceAttributes),
      readers: [
        new sdkMetrics.PeriodicExportingMetricReader({
          exporter,
          exportIntervalMillis: options.metricExportIntervalMs,
        }),
      ],
    });
    this.meter = this.meterProvider.getMeter('temporal-lambda-worker');
  }

  /** The buffer the Runtime writes to. */
  get buffer() {
    return this.hub.buffer;
  }

  /** Number of metric updates recorded so far. */
  get recordedUpdates(): number {
    return this.recordedPoints;
  }

  /** Records one update in its instrument. */
  readonly record = (update: BufferedMetricUpdate): void => {
    this.recorderFor(update)(update.value, update.attributes as Attributes);
    this.recordedPoints++;
  };

  /** Drains the process's buffer (into every subscriber); returns how many updates there were. */
  drain(): number {
    return this.hub.drain();
  }

  /** Drains, then exports everything recorded so far. */
  async flush(): Promise<void> {
    this.drain();
    await this.meterProvider.forceFlush();
  }

  private recorderFor({ metric }: BufferedMetricUpdate): Recorder {
    const key = `${metric.kind}\u0000${metric.name}`;
    let recorder = this.recorders.get(key);
    if (recorder === undefined) {
      const options = { unit: metric.unit, description: metric.description };
      switch (metric.kind) {
        case 'counter': {
          const counter = this.meter.createCounter(metric.name, options);
          recorder = (value, attributes) => counter.add(value, attributes);
          break;
        }
        case 'up-down-counter': {
          const counter = this.meter.createUpDownCounter(metric.name, options);
          recorder = (value, attributes) => counter.add(value, attributes);
          break;
        }
        case 'histogram': {
          const histogram = this.meter.createHistogram(metric.name, options);
          recorder = (value, attributes) => histogram.record(value, attributes);
          break;
        }
        case 'gauge': {
          const gauge = this.meter.createGauge(metric.name, options);
          recorder = (value, attributes) => gauge.record(value, attributes);
          break;
        }
      }
      this.recorders.set(key, recorder);
    }
    return recorder;
  }
}

const bridges = new Map<string, CoreMetricsBridge>();

/** One bridge per process and endpoint: warm invocations reuse it, it is never shut down. */
export function getMetricsBridge(options: ResolvedOtelOptions): CoreMetricsBridge {
  const { endpointUrl, serviceName, metricExportIntervalMs, metricTemporality } = options;
  const key = `${endpointUrl}|${serviceName}|${metricExportIntervalMs}|${metricTemporality}`;
  let bridge = bridges.get(key);
  if (bridge === undefined) {
    bridge = new CoreMetricsBridge(options);
    bridges.set(key, bridge);
  }
  return bridge;
}

/**
 * Exports Temporal's SDK and core metrics (task latencies, poll counts, slots, completions, ...)
 * over OTLP/gRPC, flushed at the end of every invocation.
 *
 * @example
 * ```ts
 * export const handler = runWorker(version, (config) => {
 *   config.workerOptions.taskQueue = 'orders';
 *   applyMetrics(config, { endpoint: 'localhost:4317' });
 * });
 * ```
 */
export function applyMetrics(config: LambdaWorkerConfig, options?: OtelOptions): void {
  const bridge = getMetricsBridge(resolveOtelOptions(options));
  subscribeToCoreMetrics(config.runtimeOptions, config.logger, bridge.record, 'applyMetrics');
  config.shutdownHooks.push(flushHook('Metrics', () => bridge.flush(), bridge.options.endpointUrl, config.logger));
}
