/**
 * Temporal's core and SDK metrics for JavaScript: one `MetricsBuffer` per process, set in the
 * Runtime options before the Runtime is installed, drained on a timer and on demand, and fanned
 * out to every subscriber (the OTLP bridge of `/otel`, the EMF writer). One buffer serves them
 * all because the Runtime takes exactly one and is installed once per process.
 */
import type { Logger } from '@temporalio/common';
import { MetricsBuffer, type BufferedMetricUpdate, type RuntimeOptions } from '@temporalio/worker';
import { installedRuntime } from '../sdk-internals';

/** How often the buffer is drained while a worker runs. */
export const CORE_METRICS_DRAIN_INTERVAL_MS = 1_000;
/** Room in the buffer between drains. */
const BUFFER_SIZE = 100_000;

/** Receives every drained metric update, in the order the Runtime recorded them. */
export type CoreMetricsSubscriber = (update: BufferedMetricUpdate) => void;

/** The process's buffer of core metric updates and its subscribers. */
export class CoreMetricsHub {
  readonly buffer = new MetricsBuffer({ maxBufferSize: BUFFER_SIZE });
  private readonly subscribers = new Set<CoreMetricsSubscriber>();
  private timer: ReturnType<typeof setInterval> | undefined;

  /** Adds a subscriber (once); starts the drain timer with the first one. */
  subscribe(subscriber: CoreMetricsSubscriber): void {
    this.subscribers.add(subscriber);
    this.timer ??= setInterval(() => this.drain(), CORE_METRICS_DRAIN_INTERVAL_MS).unref();
  }

  /** Hands every buffered update to every subscriber; returns how many updates there were. */
  drain(): number {
    let updates: Iterable<BufferedMetricUpdate>;
    try {
      updates = this.buffer.retrieveUpdates();
    } catch {
      return 0; // not bound to a Runtime (yet)
    }
    let count = 0;
    for (const update of updates) {
      count++;
      for (const subscriber of this.subscribers) {
        try {
          subscriber(update);
        } catch {
          // A subscriber that fails on one update must not starve the others; each logs its own.
        }
      }
    }
    return count;
  }
}

/**
 * Where the hub lives: a global symbol, so that the main and `/otel` entry points (each bundled
 * with its own copy of this module) and the ESM and CJS builds all share one buffer.
 */
const HUB_KEY = Symbol.for('temporal-lambda-worker.core-metrics-hub');

/** The process's hub, created on first use. */
export function coreMetricsHub(): CoreMetricsHub {
  const holder = globalThis as { [HUB_KEY]?: CoreMetricsHub };
  holder[HUB_KEY] ??= new CoreMetricsHub();
  return holder[HUB_KEY];
}

/**
 * Points the Runtime options at the process's buffer and subscribes `subscriber`. Warns through
 * `logger` when the Runtime is already installed without it: core metrics then stay unbuffered.
 */
export function subscribeToCoreMetrics(
  runtimeOptions: RuntimeOptions,
  logger: Logger,
  subscriber: CoreMetricsSubscriber,
  caller: string,
): CoreMetricsHub {
  const shared = coreMetricsHub();
  const installed = installedRuntime();
  if (installed !== undefined && installed.options.metricsBuffer !== shared.buffer) {
    logger.warn(
      `The Temporal Runtime is already installed in this process without the metrics buffer, so Temporal core ` +
        `metrics cannot reach ${caller}. Call ${caller} in the first runWorker of the process.`,
    );
  }
  runtimeOptions.telemetryOptions = { ...runtimeOptions.telemetryOptions, metrics: { buffer: shared.buffer } };
  shared.subscribe(subscriber);
  return shared;
}
