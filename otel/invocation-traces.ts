/**
 * Under a layer that traces each Lambda invocation (the ADOT JavaScript layer), the worker's spans of
 * an invocation belong under that invocation's span, while each keeps a link to the workflow trace it
 * continues. The rule, for the spans of one invocation:
 * - a span whose parent is in the invocation's trace keeps it;
 * - a span whose parent is a workflow span of this invocation gets that span, moved into the
 *   invocation's trace, as its parent;
 * - any other span (its parent is in the workflow's trace, or it has none) gets the invocation span
 *   as its parent and a link to the parent it had.
 * Spans the worker starts (activity, Nexus, client calls) are placed when they start, by the tracer
 * this class wraps. Workflow spans arrive finished, children before parents, from the workflow
 * sandbox: they are held until the invocation ends ({@link InvocationTraces.end}), then moved by the
 * same rule and handed to the provider's processor. Without an invocation span every span passes as it
 * is, as without the layer.
 */
import type * as Api from '@opentelemetry/api';
import type { Context, Link, Span, SpanContext, SpanOptions, Tracer } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkerPlugin } from '@temporalio/worker';
import { parentOf, toAnyLine, type AnyLineSpan } from './span-shape';

/** The spans of the invocation under way, and where they go. */
export class InvocationTraces {
  private invocation: SpanContext | undefined;
  /** Workflow spans of this invocation, held until its end. */
  private held: AnyLineSpan[] = [];
  /** Span ids of this invocation's workflow spans, known from the moment each finishes. */
  private readonly workflowSpanIds = new Set<string>();

  constructor(
    private readonly api: typeof Api,
    private readonly target: SpanProcessor,
  ) {}

  /** Starts an invocation whose span is the one active in `context` (none: spans pass as they are). */
  begin(context: Context): void {
    const span = this.api.trace.getSpanContext(context);
    this.invocation = span !== undefined && this.api.isSpanContextValid(span) ? span : undefined;
    this.held = [];
    this.workflowSpanIds.clear();
  }

  /** The invocation's span context, while one is under way. */
  get invocationSpan(): SpanContext | undefined {
    return this.invocation;
  }

  /** Where `parent` goes in this invocation: the parent to use and the link to add, if any. */
  private place(parent: SpanContext | undefined): { parent: SpanContext; link?: Link } | undefined {
    const invocation = this.invocation;
    if (invocation === undefined) return undefined;
    if (parent !== undefined && parent.traceId === invocation.traceId) return { parent };
    if (parent !== undefined && this.workflowSpanIds.has(parent.spanId)) {
      return { parent: { ...parent, traceId: invocation.traceId, traceFlags: invocation.traceFlags, isRemote: false } };
    }
    return { parent: invocation, link: parent === undefined ? undefined : { context: parent } };
  }

  /** A tracer that starts every span where {@link place} says. */
  wrap(tracer: Tracer): Tracer {
    const api = this.api;
    const start = (name: string, options: SpanOptions = {}, context: Context = api.context.active()): Span => {
      const placed = this.place(api.trace.getSpanContext(context));
      if (placed === undefined) return tracer.startSpan(name, options, context);
      const links = [...(options.links ?? []), ...(placed.link === undefined ? [] : [placed.link])];
      return tracer.startSpan(name, { ...options, links }, api.trace.setSpanContext(context, placed.parent));
    };
    const startActive = (name: string, ...rest: unknown[]): unknown => {
      const fn = rest.pop() as (span: Span) => unknown;
      const [options, context = api.context.active()] = rest as [SpanOptions | undefined, Context | undefined];
      const span = start(name, options, context);
      return api.context.with(api.trace.setSpan(context, span), fn, undefined, span);
    };
    return { startSpan: start, startActiveSpan: startActive } as Tracer;
  }

  /** The processor of the workflow spans: held for the end of the invocation, or passed on at once. */
  readonly workflowSpans: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (span: ReadableSpan) => {
      const finished = span as unknown as AnyLineSpan;
      if (this.invocation === undefined) return this.target.onEnd(toAnyLine(finished) as never);
      this.workflowSpanIds.add(finished.spanContext().spanId);
      this.held.push(finished);
    },
    forceFlush: () => Promise.resolve(this.end()),
    shutdown: () => Promise.resolve(this.end()),
  };

  /** Moves the held workflow spans into the invocation's trace and hands them on; ends the invocation. */
  end(): void {
    const invocation = this.invocation;
    const held = this.held;
    this.held = [];
    if (invocation !== undefined) {
      for (const span of held) {
        const placed = this.place(parentOf(span))!;
        const context = { ...span.spanContext(), traceId: invocation.traceId, traceFlags: invocation.traceFlags };
        const links = placed.link === undefined ? [] : [placed.link];
        this.target.onEnd(toAnyLine(span, { context, parent: placed.parent, links }) as never);
      }
    }
    this.invocation = undefined;
    this.workflowSpanIds.clear();
  }

  /** A worker plugin that begins an invocation when its worker starts running, in the handler's context. */
  plugin(): WorkerPlugin {
    return {
      name: 'temporal-lambda-worker/invocation-traces',
      runWorker: (worker, next) => {
        this.begin(this.api.context.active());
        return next(worker);
      },
    };
  }
}
