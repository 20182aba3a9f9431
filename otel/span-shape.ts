/**
 * Finished spans in the shape every OpenTelemetry JS line's exporters read. The workflow spans come
 * from `@temporalio/interceptors-opentelemetry`, built on the 1.x SDK: they name their parent by
 * `parentSpanId` and their scope `instrumentationLibrary`, while 2.x and 3.x exporters read
 * `parentSpanContext` and `instrumentationScope` (and crash without the scope). A span given here is
 * copied with both forms, and may be moved under another parent, with links added.
 */
import type { HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A finished span of any line (the fields both shapes share are not listed). */
export interface AnyLineSpan {
  spanContext(): SpanContext;
  readonly parentSpanId?: string;
  readonly parentSpanContext?: SpanContext;
  readonly instrumentationLibrary?: { name: string; version?: string; schemaUrl?: string };
  readonly instrumentationScope?: { name: string; version?: string; schemaUrl?: string };
  readonly links: Link[];
  readonly startTime: HrTime;
  readonly [field: string]: unknown;
}

/** The parent of a finished span of any line, as a span context (undefined for a root span). */
export function parentOf(span: AnyLineSpan): SpanContext | undefined {
  if (span.parentSpanContext !== undefined) return span.parentSpanContext;
  if (span.parentSpanId === undefined || span.parentSpanId === '') return undefined;
  const { traceId, traceFlags } = span.spanContext();
  return { traceId, spanId: span.parentSpanId, traceFlags };
}

/** What to change in a copied span. */
export interface SpanMove {
  /** The span's own context (its trace id changed, say). */
  context?: SpanContext;
  /** The new parent; `null` for none. */
  parent?: SpanContext | null;
  /** Links to add. */
  links?: Link[];
}

/** A copy of `span` with both the 1.x and the 2.x/3.x fields, moved as `move` says. */
export function toAnyLine(span: AnyLineSpan, move: SpanMove = {}): AnyLineSpan {
  const context = move.context ?? span.spanContext();
  const parent = move.parent === undefined ? parentOf(span) : (move.parent ?? undefined);
  const scope = span.instrumentationScope ?? span.instrumentationLibrary ?? { name: 'unknown' };
  return {
    ...span,
    spanContext: () => context,
    parentSpanId: parent?.spanId,
    parentSpanContext: parent,
    instrumentationLibrary: scope,
    instrumentationScope: scope,
    links: [...span.links, ...(move.links ?? [])],
  };
}

/** A span processor that hands `inner` every finished span in the shape of every line. */
export function anyLineProcessor(inner: SpanProcessor): SpanProcessor {
  return {
    onStart: (span, context) => inner.onStart(span, context),
    onEnd: (span) => inner.onEnd(toAnyLine(span as unknown as AnyLineSpan) as never),
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
}
