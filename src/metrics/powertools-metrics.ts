/**
 * Publishing the EMF path's metrics through `@aws-lambda-powertools/metrics`, for users who
 * already have a Powertools `Metrics` instance: its namespace, default dimensions and output
 * apply. The package is an optional peer: the user creates the `Metrics`; this library never loads it.
 */
import { EMF_MAX_VALUES_PER_METRIC, type EmfMetricGroup, type EmfUnit } from './emf-format';

/** The part of a Powertools `Metrics` instance this library uses. */
export interface PowertoolsMetricsLike {
  /** Sets dimensions of the metrics stored until the next publish. */
  addDimensions(dimensions: Record<string, string>): unknown;
  /** Stores one value of a metric. */
  addMetric(name: string, unit: EmfUnit, value: number, resolution?: 1 | 60): unknown;
  /** Adds a field to the next published document. */
  addMetadata(key: string, value: string): unknown;
  /** Whether metrics wait to be published. */
  hasStoredMetrics(): boolean;
  /** Writes the stored metrics as one EMF document. */
  publishStoredMetrics(): unknown;
}

/**
 * Publishes each group as its own document: the user's stored metrics first (so that ours never
 * take their dimensions), then per group its dimensions, its metrics and one publish. Powertools
 * publishes on its own at its 100th value of a metric, which would drop the group's dimensions
 * for the rest, so a group's metrics carry at most 99 values per publish.
 * @returns the number of publishes.
 */
export function publishThroughPowertools(
  metrics: PowertoolsMetricsLike,
  groups: readonly EmfMetricGroup[],
  metadata: Record<string, string>,
  highResolution: boolean,
): number {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  const perPublish = EMF_MAX_VALUES_PER_METRIC - 1;
  let publishes = 0;
  for (const group of groups) {
    const rounds = Math.max(0, ...group.metrics.map((metric) => Math.ceil(metric.values.length / perPublish)));
    for (let round = 0; round < rounds; round++) {
      metrics.addDimensions(group.dimensions);
      for (const [key, value] of Object.entries(metadata)) metrics.addMetadata(key, value);
      for (const metric of group.metrics) {
        for (const value of metric.values.slice(round * perPublish, (round + 1) * perPublish))
          metrics.addMetric(metric.name, metric.unit, value, highResolution ? 1 : 60);
      }
      metrics.publishStoredMetrics();
      publishes++;
    }
  }
  return publishes;
}
