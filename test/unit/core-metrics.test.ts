/** The process's hub of Temporal core metrics: every update reaches every subscriber, whatever one of them does. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Runtime, type BufferedMetricUpdate } from '@temporalio/worker';
import {
  CORE_METRICS_DRAIN_INTERVAL_MS,
  CoreMetricsHub,
  coreMetricsHub,
  subscribeToCoreMetrics,
} from '../../src/metrics/core-metrics';
import { JsonLogger } from '../../src/logging/logger';

function update(name: string, value: number): BufferedMetricUpdate {
  const metric = { name, kind: 'counter', unit: '', description: '', valueType: 'int' };
  return { metric, value, attributes: {} } as unknown as BufferedMetricUpdate;
}

/** A hub whose buffer hands out `batches` one drain at a time, as the Runtime's buffer does. */
function hubWith(batches: BufferedMetricUpdate[][]): CoreMetricsHub {
  const hub = new CoreMetricsHub();
  Object.defineProperty(hub, 'buffer', { value: { retrieveUpdates: () => batches.shift() ?? [] } });
  return hub;
}

describe('CoreMetricsHub', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('hands every update to every subscriber when one throws on each of them', () => {
    const updates = [update('a', 1), update('b', 2), update('c', 3)];
    const hub = hubWith([updates]);
    const before: string[] = [];
    const after: string[] = [];
    hub.subscribe((u) => void before.push(u.metric.name));
    hub.subscribe(() => {
      throw new Error('subscriber broken');
    });
    hub.subscribe((u) => void after.push(u.metric.name));
    expect(hub.drain()).toBe(3);
    expect(before).toEqual(['a', 'b', 'c']);
    expect(after).toEqual(['a', 'b', 'c']);
  });

  it('keeps a subscriber that failed on one update for the next ones', () => {
    const hub = hubWith([[update('a', 1), update('b', 2)], [update('c', 3)]]);
    const seen: string[] = [];
    hub.subscribe((u) => {
      if (u.metric.name === 'a') throw new Error('cannot take a');
      seen.push(u.metric.name);
    });
    hub.drain();
    hub.drain();
    expect(seen).toEqual(['b', 'c']);
  });

  it('drains on its timer once subscribed, and counts a subscriber added twice once', () => {
    const hub = hubWith([[update('a', 1)]]);
    const seen: number[] = [];
    const subscriber = (u: BufferedMetricUpdate) => void seen.push(u.value);
    hub.subscribe(subscriber);
    hub.subscribe(subscriber);
    vi.advanceTimersByTime(CORE_METRICS_DRAIN_INTERVAL_MS - 1);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([1]);
  });

  it('drains nothing while its buffer is bound to no Runtime', () => {
    const hub = new CoreMetricsHub();
    Object.defineProperty(hub, 'buffer', {
      value: {
        retrieveUpdates: () => {
          throw new Error('MetricsBuffer is not bound to a Runtime');
        },
      },
    });
    const seen: unknown[] = [];
    hub.subscribe((u) => void seen.push(u));
    expect(hub.drain()).toBe(0);
    expect(seen).toEqual([]);
  });
});

describe('subscribeToCoreMetrics', () => {
  afterEach(() => {
    Runtime._instance = undefined;
  });

  it('points the Runtime options at the one process-wide buffer, keeping other telemetry options', () => {
    const runtimeOptions = { telemetryOptions: { logging: { filter: 'WARN' } } } as never as Parameters<
      typeof subscribeToCoreMetrics
    >[0];
    const lines: string[] = [];
    const hub = subscribeToCoreMetrics(
      runtimeOptions,
      new JsonLogger({ write: (l) => void lines.push(l) }),
      () => undefined,
      'applyX',
    );
    expect(hub).toBe(coreMetricsHub());
    expect(runtimeOptions.telemetryOptions).toEqual({
      logging: { filter: 'WARN' },
      metrics: { buffer: coreMetricsHub().buffer },
    });
    expect(lines).toEqual([]);
  });

  it('warns, naming the caller, when the Runtime is already installed without that buffer', () => {
    Runtime._instance = { options: { metricsBuffer: undefined } } as unknown as Runtime;
    const lines: string[] = [];
    subscribeToCoreMetrics(
      {},
      new JsonLogger({ write: (l) => void lines.push(l) }),
      () => undefined,
      'applyEmfMetrics',
    );
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'WARN' });
    expect(lines[0]).toMatch(
      /already installed .* cannot reach applyEmfMetrics\. Call applyEmfMetrics in the first runWorker/,
    );
  });
});
