/**
 * CloudWatch Embedded Metric Format (EMF) documents: building them within the specification's
 * limits. Pure: no I/O, no clock. The writer in `emf.ts` decides what goes in and where it goes.
 *
 * A document is one JSON object on one log line: the metric values and dimension values as root
 * members, and `_aws.CloudWatchMetrics` telling CloudWatch Logs which members are metrics (with
 * their unit) and which are dimensions.
 */

/** Most metric definitions one directive may hold. */
export const EMF_MAX_METRICS_PER_DIRECTIVE = 100;
/** Most dimension keys one dimension set may hold. */
export const EMF_MAX_DIMENSIONS = 30;
/** Most values one metric may carry in one document. */
export const EMF_MAX_VALUES_PER_METRIC = 100;
/** Longest metric or dimension name written (CloudWatch's metric name limit). */
export const EMF_MAX_NAME_LENGTH = 255;
/** Longest dimension value written. */
export const EMF_MAX_DIMENSION_VALUE_LENGTH = 1024;

/** The units CloudWatch accepts. */
export const EMF_UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;

/** A CloudWatch unit. */
export type EmfUnit = (typeof EMF_UNITS)[number];

/** One metric of a document: a single value, or the values seen (a distribution). */
export interface EmfMetric {
  name: string;
  unit: EmfUnit;
  values: number[];
}

/** A group of metrics that share their dimension values. */
export interface EmfMetricGroup {
  /** Dimension name to value; all of them form the group's one dimension set. */
  dimensions: Record<string, string>;
  metrics: EmfMetric[];
}

/** A metric directive as the specification defines it. */
export interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: Array<{ Name: string; Unit: EmfUnit; StorageResolution?: 1 }>;
}

/** One EMF document (one log line). */
export interface EmfDocument {
  _aws: { Timestamp: number; CloudWatchMetrics: EmfDirective[] };
  [member: string]: unknown;
}

/** How documents are built. */
export interface EmfDocumentOptions {
  namespace: string;
  timestampMs: number;
  /** Root members that are not metrics (for example the request id), on every document. */
  properties?: Record<string, string | number | boolean | undefined>;
  /** One-second storage resolution instead of one minute. */
  highResolution?: boolean;
  /** Values per metric per document. @default {@link EMF_MAX_VALUES_PER_METRIC} */
  maxValuesPerMetric?: number;
}

/**
 * A name CloudWatch accepts: printable ASCII, trimmed, at most {@link EMF_MAX_NAME_LENGTH}
 * characters; other characters become `_`. `undefined` when nothing is left.
 */
export function sanitizeName(name: string): string | undefined {
  const cleaned = name
    .replace(/[^\x20-\x7e]/g, '_')
    .trim()
    .slice(0, EMF_MAX_NAME_LENGTH);
  return cleaned === '' || cleaned.startsWith(':') ? undefined : cleaned;
}

/** A dimension value CloudWatch accepts: non-empty, at most 1024 characters. */
export function sanitizeDimensionValue(value: string): string {
  const cleaned = value
    // eslint-disable-next-line no-control-regex -- control characters are what CloudWatch refuses
    .replace(/[\x00-\x1f\x7f]/g, '_')
    .trim()
    .slice(0, EMF_MAX_DIMENSION_VALUE_LENGTH);
  return cleaned === '' ? 'none' : cleaned;
}

/** Splits `items` into chunks of at most `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The documents of one group: at most 100 metrics each, and a metric with more values than
 * fit one document continues in the next ones. A metric with no values is left out.
 */
export function groupDocuments(group: EmfMetricGroup, options: EmfDocumentOptions): EmfDocument[] {
  const maxValues = options.maxValuesPerMetric ?? EMF_MAX_VALUES_PER_METRIC;
  // Each round takes the next slice of every metric's values; rounds past the first hold only
  // the metrics that still have values left.
  const slices = group.metrics
    .filter((metric) => metric.values.length > 0)
    .map((metric) => ({ metric, parts: chunks(metric.values, maxValues) }));
  const rounds = Math.max(0, ...slices.map(({ parts }) => parts.length));
  const documents: EmfDocument[] = [];
  for (let round = 0; round < rounds; round++) {
    const inRound = slices.filter(({ parts }) => parts.length > round);
    for (const part of chunks(inRound, EMF_MAX_METRICS_PER_DIRECTIVE)) {
      const document: EmfDocument = {
        _aws: {
          Timestamp: options.timestampMs,
          CloudWatchMetrics: [
            {
              Namespace: options.namespace,
              Dimensions: [Object.keys(group.dimensions)],
              Metrics: part.map(({ metric }) => ({
                Name: metric.name,
                Unit: metric.unit,
                ...(options.highResolution ? { StorageResolution: 1 as const } : {}),
              })),
            },
          ],
        },
      };
      for (const [key, value] of Object.entries(options.properties ?? {}))
        if (value !== undefined) document[key] = value;
      Object.assign(document, group.dimensions);
      for (const { metric, parts } of part) {
        const values = parts[round]!;
        document[metric.name] = values.length === 1 ? values[0] : values;
      }
      documents.push(document);
    }
  }
  return documents;
}
