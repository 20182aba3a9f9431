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
  receivedAtMs: number;
}

export interface ReceivedSpan {
  name: string;
  traceIdHex: string;
  spanIdHex: string;
  parentSpanIdHex: string;
  receivedAtMs: number;
  resource: Record<string, unknown>;
}

function attributesOf(
  list: Array<{ key: string; value: Record<string, unknown> }> | undefined,
): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, Object.values(value)[0]]));
}

function hex(base64: string | undefined): string {
  return base64 ? Buffer.from(base64, 'base64').toString('hex') : '';
}

/** Every data point of every metric (sums, gauges: the value; histograms: the count). */
export function metricPoints(lines: ReceivedLine[]): ReceivedPoint[] {
  const points: ReceivedPoint[] = [];
  for (const line of lines.filter((l) => l.signal === 'metrics')) {
    for (const resourceMetrics of line.request.resourceMetrics ?? []) {
      for (const scope of resourceMetrics.scopeMetrics ?? []) {
        for (const metric of scope.metrics ?? []) {
          const data = metric.sum ?? metric.gauge ?? metric.histogram;
          for (const point of data?.dataPoints ?? []) {
            const value = Number(point.asInt ?? point.asDouble ?? point.count ?? 0);
            points.push({
              metric: metric.name,
              value,
              attributes: attributesOf(point.attributes),
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
            traceIdHex: hex(span.traceId),
            spanIdHex: hex(span.spanId),
            parentSpanIdHex: hex(span.parentSpanId),
            receivedAtMs: line.receivedAtMs,
            resource,
          });
        }
      }
    }
  }
  return out;
}

/** The latest cumulative value of a counter, summed over its attribute sets. */
export function latestCounterTotal(points: ReceivedPoint[], metric: string): number | undefined {
  const matching = points.filter((point) => point.metric === metric);
  if (matching.length === 0) return undefined;
  const latestAt = Math.max(...matching.map((point) => point.receivedAtMs));
  return matching.filter((point) => point.receivedAtMs === latestAt).reduce((sum, point) => sum + point.value, 0);
}
