/** Reading what the OTLP receiver got: metric points and spans, from its protojson lines. */

export interface ReceivedLine {
  signal: 'metrics' | 'traces';
  receivedAtMs: number;
  request: any;
}

export interface ReceivedPoint {
  metric: string;
  value: number;
  attributes: Record<string, unknown>;
  /** The resource's attributes (`service.instance.id`, `faas.instance`, ...). */
  resource: Record<string, unknown>;
  /** Of sums and histograms (gauges have none). */
  temporality?: 'delta' | 'cumulative';
  receivedAtMs: number;
}

export interface ReceivedSpan {
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  traceIdHex: string;
  spanIdHex: string;
  parentSpanIdHex: string;
  /** The span contexts it links to. */
  links: Array<{ traceIdHex: string; spanIdHex: string }>;
  attributes: Record<string, unknown>;
  receivedAtMs: number;
  resource: Record<string, unknown>;
}

function attributesOf(
  list: Array<{ key: string; value: Record<string, unknown> }> | undefined,
): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, Object.values(value)[0]]));
}

/** protojson writes enums by name ('AGGREGATION_TEMPORALITY_DELTA') or by number (1 delta, 2 cumulative). */
function temporalityOf(value: unknown): 'delta' | 'cumulative' | undefined {
  if (value === 1 || value === 'AGGREGATION_TEMPORALITY_DELTA') return 'delta';
  if (value === 2 || value === 'AGGREGATION_TEMPORALITY_CUMULATIVE') return 'cumulative';
  return undefined;
}

const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT'];

function kindOf(value: unknown): number {
  if (typeof value === 'number') return value;
  const index = SPAN_KINDS.indexOf(String(value));
  return index === -1 ? 0 : index;
}

function hex(base64: string | undefined): string {
  return base64 ? Buffer.from(base64, 'base64').toString('hex') : '';
}

/** Every data point of every metric (sums, gauges: the value; histograms: the count). */
export function metricPoints(lines: ReceivedLine[]): ReceivedPoint[] {
  const points: ReceivedPoint[] = [];
  for (const line of lines.filter((l) => l.signal === 'metrics')) {
    for (const resourceMetrics of line.request.resourceMetrics ?? []) {
      const resource = attributesOf(resourceMetrics.resource?.attributes);
      for (const scope of resourceMetrics.scopeMetrics ?? []) {
        for (const metric of scope.metrics ?? []) {
          const data = metric.sum ?? metric.gauge ?? metric.histogram;
          const temporality = temporalityOf(data?.aggregationTemporality);
          for (const point of data?.dataPoints ?? []) {
            const value = Number(point.asInt ?? point.asDouble ?? point.count ?? 0);
            points.push({
              metric: metric.name,
              value,
              attributes: attributesOf(point.attributes),
              resource,
              temporality,
              receivedAtMs: line.receivedAtMs,
            });
          }
        }
      }
    }
  }
  return points;
}

/** Every span with its resource attributes. */
export function spans(lines: ReceivedLine[]): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const line of lines.filter((l) => l.signal === 'traces')) {
    for (const resourceSpans of line.request.resourceSpans ?? []) {
      const resource = attributesOf(resourceSpans.resource?.attributes);
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          out.push({
            name: span.name,
            kind: kindOf(span.kind),
            traceIdHex: hex(span.traceId),
            spanIdHex: hex(span.spanId),
            parentSpanIdHex: hex(span.parentSpanId),
            links: (span.links ?? []).map((link: { traceId?: string; spanId?: string }) => ({
              traceIdHex: hex(link.traceId),
              spanIdHex: hex(link.spanId),
            })),
            attributes: attributesOf(span.attributes),
            receivedAtMs: line.receivedAtMs,
            resource,
          });
        }
      }
    }
  }
  return out;
}

/**
 * The total of a counter over every series: delta points summed; of cumulative points, the latest
 * of each series (one process, identified by `service.instance.id`, and one attribute set) summed.
 */
export function counterTotal(points: ReceivedPoint[], metric: string): number | undefined {
  const matching = points.filter((point) => point.metric === metric);
  if (matching.length === 0) return undefined;
  let total = 0;
  const latest = new Map<string, ReceivedPoint>();
  for (const point of matching) {
    if (point.temporality !== 'cumulative') {
      total += point.value;
      continue;
    }
    const series = JSON.stringify([point.resource['service.instance.id'], point.attributes]);
    const seen = latest.get(series);
    if (seen === undefined || point.receivedAtMs >= seen.receivedAtMs) latest.set(series, point);
  }
  for (const point of latest.values()) total += point.value;
  return total;
}
