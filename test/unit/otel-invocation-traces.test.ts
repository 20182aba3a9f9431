/**
 * Joining a tracer provider registered before us (the ADOT layer's): finding it on the trace SDK
 * lines installed here (1.x, and 2.8 as the ADOT JavaScript layer 0.13 ships it), and placing an
 * invocation's spans under the invocation span, on the real SDK with an in-memory exporter.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as api from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import * as sdk2 from 'otel-sdk-trace-base-2x';
import { registeredProvider } from '../../otel/registered-provider';
import { InvocationTraces } from '../../otel/invocation-traces';
import { anyLineProcessor, parentOf, toAnyLine, type AnyLineSpan } from '../../otel/span-shape';
import { xrayIdGenerator } from '../../otel/xray-ids';
import { LocalStorageContextManager } from '../../otel/context-manager';

afterEach(() => {
  api.trace.disable();
  api.context.disable();
});

const TRACE_A = 'a'.repeat(32);
const sampled = (traceId: string, spanId: string): api.SpanContext => ({
  traceId,
  spanId,
  traceFlags: api.TraceFlags.SAMPLED,
});

/** A finished workflow span as the interceptors' sink hands it over: 1.x-shaped, plain. */
function workflowSpan(name: string, spanId: string, parentSpanId?: string, resource?: unknown): AnyLineSpan {
  const context = sampled(TRACE_A, spanId);
  return {
    name,
    kind: 0,
    spanContext: () => context,
    parentSpanId,
    startTime: [1, 0],
    endTime: [2, 0],
    status: { code: 0 },
    attributes: {},
    links: [],
    events: [],
    duration: [1, 0],
    ended: true,
    resource: resource ?? new BasicTracerProvider().resource,
    instrumentationLibrary: { name: '@temporalio/interceptor-workflow' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

describe('registeredProvider', () => {
  it('finds nothing when no SDK provider is registered', () => {
    expect(registeredProvider(api)).toBeUndefined();
  });

  it('finds nothing when the registered provider is not the SDK one (no flush, or no span processor to join)', () => {
    const tracerOnly = { getTracer: () => api.trace.getTracer('x') };
    api.trace.setGlobalTracerProvider(tracerOnly);
    expect(registeredProvider(api)).toBeUndefined();
    api.trace.disable();
    api.trace.setGlobalTracerProvider({ ...tracerOnly, forceFlush: () => Promise.resolve() } as never);
    expect(registeredProvider(api)).toBeUndefined();
    api.trace.disable();
    const noFlush = { ...tracerOnly, _activeSpanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()) };
    api.trace.setGlobalTracerProvider(noFlush as never);
    expect(registeredProvider(api)).toBeUndefined();
    api.trace.disable();
    const notAProcessor = { ...tracerOnly, forceFlush: () => Promise.resolve(), _activeSpanProcessor: {} };
    api.trace.setGlobalTracerProvider(notAProcessor as never);
    expect(registeredProvider(api)).toBeUndefined();
  });

  it("finds a 1.x provider's span processor and resource", () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider();
    provider.addSpanProcessor(new SimpleSpanProcessor(exporter));
    api.trace.setGlobalTracerProvider(provider);
    const found = registeredProvider(api)!;
    expect(found.processor).toBe(provider.activeSpanProcessor);
    expect(found.resource).toBe(provider.resource);
    found.getTracer('t').startSpan('through the registered provider').end();
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['through the registered provider']);
  });

  it('finds a 2.8 provider (ADOT 0.13) and hands its processors a workflow span', async () => {
    const exporter = new sdk2.InMemorySpanExporter();
    const provider = new sdk2.BasicTracerProvider({ spanProcessors: [new sdk2.SimpleSpanProcessor(exporter)] });
    api.trace.setGlobalTracerProvider(provider);
    const found = registeredProvider(api)!;
    expect(found).toBeDefined();
    found.processor.onEnd(
      toAnyLine(workflowSpan('RunWorkflow:w', '1'.repeat(16), '2'.repeat(16), found.resource)) as never,
    );
    await found.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('RunWorkflow:w');
    expect(span?.parentSpanContext?.spanId).toBe('2'.repeat(16));
    expect(span?.instrumentationScope.name).toBe('@temporalio/interceptor-workflow');
  });
});

describe('the shape of every line', () => {
  it("hands a 2.x processor the interceptors' 1.x-shaped workflow span with the fields 2.x exporters read", async () => {
    const exporter = new sdk2.InMemorySpanExporter();
    // A batch processor: nothing reaches the exporter until the flush is passed through.
    const processor = anyLineProcessor(
      new sdk2.BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 }) as never,
    );
    const resource = new sdk2.BasicTracerProvider()['_resource'];
    processor.onEnd(workflowSpan('StartActivity:greet', '1'.repeat(16), '2'.repeat(16), resource) as never);
    await processor.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.parentSpanContext).toEqual({ traceId: TRACE_A, spanId: '2'.repeat(16), traceFlags: 1 });
    expect(span?.instrumentationScope).toEqual({ name: '@temporalio/interceptor-workflow' });
    expect(span?.links).toEqual([]);
    await expect(processor.shutdown()).resolves.toBeUndefined();
  });

  it('reads the parent of either shape, and none from an empty parent id', () => {
    const parent = sampled(TRACE_A, '3'.repeat(16));
    expect(parentOf({ ...workflowSpan('a', '1'.repeat(16)), parentSpanContext: parent })).toBe(parent);
    expect(parentOf(workflowSpan('b', '1'.repeat(16), '3'.repeat(16)))).toEqual(parent);
    expect(parentOf(workflowSpan('c', '1'.repeat(16), ''))).toBeUndefined();
    expect(parentOf(workflowSpan('d', '1'.repeat(16)))).toBeUndefined();
    const moved = toAnyLine(workflowSpan('e', '1'.repeat(16), '3'.repeat(16)), { parent: null });
    expect([moved.parentSpanId, moved.parentSpanContext]).toEqual([undefined, undefined]);
  });
});

describe('LocalStorageContextManager', () => {
  it('keeps the context across awaits inside with(), binds functions, and forgets everything when disabled', async () => {
    const manager = new LocalStorageContextManager(api.ROOT_CONTEXT);
    const key = api.createContextKey('k');
    const inner = api.ROOT_CONTEXT.setValue(key, 'v');
    expect(manager.active()).toBe(api.ROOT_CONTEXT);
    const seen = await manager.with(
      inner,
      async (a: number, b: number) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return [manager.active().getValue(key), a + b];
      },
      undefined,
      1,
      2,
    );
    expect(seen).toEqual(['v', 3]);
    const bound = manager.bind(inner, () => manager.active().getValue(key));
    expect(bound()).toBe('v');
    const emitter = { on() {} };
    expect(manager.bind(inner, emitter)).toBe(emitter);
    expect(manager.enable()).toBe(manager);
    manager.with(inner, () => {
      manager.disable();
      expect(manager.active()).toBe(api.ROOT_CONTEXT);
    });
  });
});

describe('InvocationTraces', () => {
  function setup() {
    api.context.setGlobalContextManager(new LocalStorageContextManager(api.ROOT_CONTEXT));
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ idGenerator: xrayIdGenerator });
    provider.addSpanProcessor(new SimpleSpanProcessor(exporter));
    const traces = new InvocationTraces(api, provider.activeSpanProcessor);
    const tracer = traces.wrap(provider.getTracer('test'));
    const invocationSpan = provider.getTracer('layer').startSpan('my-function', { kind: api.SpanKind.SERVER });
    const invocationContext = api.trace.setSpan(api.ROOT_CONTEXT, invocationSpan);
    const finished = () => exporter.getFinishedSpans() as unknown as AnyLineSpan[];
    const byName = (name: string) => finished().find((span) => span.name === name)!;
    return { traces, tracer, invocation: invocationSpan.spanContext(), invocationContext, finished, byName };
  }

  it('puts a span continuing a workflow trace under the invocation span, with a link to where it came from', () => {
    const { traces, tracer, invocation, invocationContext, byName } = setup();
    traces.begin(invocationContext);
    const fromHeaders = api.trace.setSpanContext(api.ROOT_CONTEXT, sampled(TRACE_A, 'c'.repeat(16)));
    api.context.with(fromHeaders, () => tracer.startActiveSpan('RunActivity:greet', (span) => span.end()));
    const activity = byName('RunActivity:greet') as unknown as ReadableSpan;
    expect(activity.spanContext().traceId).toBe(invocation.traceId);
    expect(activity.parentSpanId).toBe(invocation.spanId);
    expect(activity.links.map((link) => link.context.spanId)).toEqual(['c'.repeat(16)]);
  });

  it("keeps a parent already in the invocation's trace, and starts a root span under the invocation", () => {
    const { traces, tracer, invocation, invocationContext, byName } = setup();
    traces.begin(invocationContext);
    const outer = tracer.startSpan('outer', {}, api.ROOT_CONTEXT);
    tracer.startSpan('inner', {}, api.trace.setSpan(api.ROOT_CONTEXT, outer)).end();
    outer.end();
    expect((byName('outer') as unknown as ReadableSpan).parentSpanId).toBe(invocation.spanId);
    expect((byName('outer') as unknown as ReadableSpan).links).toEqual([]);
    expect((byName('inner') as unknown as ReadableSpan).parentSpanId).toBe(outer.spanContext().spanId);
  });

  it('holds workflow spans until the invocation ends, then moves them into its trace', () => {
    const { traces, tracer, invocation, invocationContext, finished, byName } = setup();
    traces.begin(invocationContext);
    const run = 'b'.repeat(16);
    const schedule = 'd'.repeat(16);
    const client = 'e'.repeat(16);
    traces.workflowSpans.onEnd(workflowSpan('StartActivity:greet', schedule, run) as never);
    // The activity starts from the workflow's header: its parent is a workflow span of this invocation.
    const fromHeaders = api.trace.setSpanContext(api.ROOT_CONTEXT, sampled(TRACE_A, schedule));
    tracer.startSpan('RunActivity:greet', {}, fromHeaders).end();
    traces.workflowSpans.onEnd(workflowSpan('RunWorkflow:greeting', run, client) as never);
    expect(finished().map((span) => span.name)).toEqual(['RunActivity:greet']);

    traces.end();
    const names = finished().map((span) => span.name);
    expect(names).toEqual(['RunActivity:greet', 'StartActivity:greet', 'RunWorkflow:greeting']);
    for (const span of finished()) expect(span.spanContext().traceId).toBe(invocation.traceId);
    const activity = byName('RunActivity:greet');
    expect(activity.parentSpanId).toBe(schedule);
    expect(activity.links).toEqual([]);
    expect(byName('StartActivity:greet').parentSpanId).toBe(run);
    expect(byName('StartActivity:greet').parentSpanContext?.traceId).toBe(invocation.traceId);
    const workflow = byName('RunWorkflow:greeting');
    expect(workflow.parentSpanId).toBe(invocation.spanId);
    expect(workflow.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([[TRACE_A, client]]);
    expect(workflow.instrumentationScope?.name).toBe('@temporalio/interceptor-workflow');
  });

  it('passes every span as it is when no invocation span is active (no layer tracing the invocation)', () => {
    const { traces, tracer, finished } = setup();
    traces.begin(api.ROOT_CONTEXT);
    expect(traces.invocationSpan).toBeUndefined();
    const fromHeaders = api.trace.setSpanContext(api.ROOT_CONTEXT, sampled(TRACE_A, 'c'.repeat(16)));
    tracer.startSpan('RunActivity:greet', {}, fromHeaders).end();
    traces.workflowSpans.onEnd(workflowSpan('RunWorkflow:greeting', 'b'.repeat(16)) as never);
    const [activity, workflow] = finished();
    expect(activity!.spanContext().traceId).toBe(TRACE_A);
    expect(activity!.links).toEqual([]);
    expect(workflow!.spanContext().traceId).toBe(TRACE_A);
  });

  it('takes no invocation from an invalid span context (a layer that did not record the invocation)', () => {
    const { traces } = setup();
    traces.begin(api.trace.setSpanContext(api.ROOT_CONTEXT, api.INVALID_SPAN_CONTEXT));
    expect(traces.invocationSpan).toBeUndefined();
  });

  it('puts a root workflow span under the invocation with no link, and moves held spans on a flush', async () => {
    const { traces, invocation, invocationContext, byName } = setup();
    traces.begin(invocationContext);
    traces.workflowSpans.onEnd(workflowSpan('RunWorkflow:root', 'f'.repeat(16)) as never);
    traces.workflowSpans.onEnd(workflowSpan('StartActivity:x', '9'.repeat(16), 'f'.repeat(16)) as never);
    await traces.workflowSpans.forceFlush();
    const root = byName('RunWorkflow:root');
    expect(root.parentSpanId).toBe(invocation.spanId);
    expect(root.links).toEqual([]);
    const child = byName('StartActivity:x');
    expect(child.parentSpanContext).toEqual({
      traceId: invocation.traceId,
      spanId: 'f'.repeat(16),
      traceFlags: api.TraceFlags.SAMPLED,
      isRemote: false,
    });
    expect(traces.invocationSpan).toBeUndefined(); // the flush ended the invocation
    await expect(traces.workflowSpans.shutdown()).resolves.toBeUndefined();
  });

  it('marks a parent moved into the invocation as local, as the 2.x SDK records it', () => {
    const exporter = new sdk2.InMemorySpanExporter();
    const provider = new sdk2.BasicTracerProvider({ spanProcessors: [new sdk2.SimpleSpanProcessor(exporter)] });
    const traces = new InvocationTraces(api, provider['_activeSpanProcessor']);
    const invocationSpan = provider.getTracer('layer').startSpan('my-function');
    traces.begin(api.trace.setSpan(api.ROOT_CONTEXT, invocationSpan));
    traces.workflowSpans.onEnd(
      workflowSpan('StartActivity:greet', 'd'.repeat(16), undefined, provider['_resource']) as never,
    );
    const fromHeaders = api.trace.setSpanContext(api.ROOT_CONTEXT, sampled(TRACE_A, 'd'.repeat(16)));
    traces.wrap(provider.getTracer('t')).startSpan('RunActivity:greet', {}, fromHeaders).end();
    const [activity] = exporter.getFinishedSpans();
    expect(activity?.parentSpanContext).toMatchObject({
      traceId: invocationSpan.spanContext().traceId,
      spanId: 'd'.repeat(16),
      isRemote: false,
    });
  });

  it('names its plugin', () => {
    expect(setup().traces.plugin().name).toBe('temporal-lambda-worker/invocation-traces');
  });

  it('begins from the context active when the worker starts running, through its plugin', async () => {
    const { traces, invocation, invocationContext } = setup();
    const plugin = traces.plugin();
    let seen: api.SpanContext | undefined;
    await api.context.with(invocationContext, () =>
      plugin.runWorker!({} as never, async () => {
        seen = traces.invocationSpan;
      }),
    );
    expect(seen).toEqual(invocation);
  });
});

describe('xrayIdGenerator', () => {
  it('starts each trace id with the epoch seconds, in hex, and never returns an all-zero id', () => {
    const before = Math.floor(Date.now() / 1000);
    const traceId = xrayIdGenerator.generateTraceId();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parseInt(traceId.slice(0, 8), 16) - before).toBeLessThanOrEqual(1);
    expect(parseInt(traceId.slice(0, 8), 16)).toBeGreaterThanOrEqual(before);
    expect(xrayIdGenerator.generateSpanId()).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
  });
});
