/**
 * Traces of workflows, activities and Nexus operations through
 * `@temporalio/interceptors-opentelemetry`, on OpenTelemetry JS 1.x, 2.x or 3.x. Without a tracer
 * provider registered by someone else, spans get X-Ray compatible trace ids and are exported over
 * OTLP/gRPC by a batch span processor that every invocation flushes (and never shuts down: warm
 * invocations reuse it). Under the ADOT layer (a provider already registered), the spans go to the
 * layer's provider instead, under each invocation's span (./invocation-traces).
 */
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Tracer } from '@opentelemetry/api';
import type { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { WorkerPlugin } from '@temporalio/worker';
import type { LambdaWorkerConfig } from '../src/config/lambda-config';
import { resolveOtelOptions, type OtelOptions, type ResolvedOtelOptions } from './options';
import { makeResource } from './peers';
import { loadTracingPeers, spanPipeline, type TracingPeers } from './tracing-peers';
import { flushHook } from './flush-hook';
import { LocalStorageContextManager } from './context-manager';
import { xrayIdGenerator } from './xray-ids';
import { anyLineProcessor } from './span-shape';
import { registeredProvider } from './registered-provider';
import { InvocationTraces } from './invocation-traces';

/** The tracing parts shared by every worker of the process. */
export interface TracingSetup {
  options: ResolvedOtelOptions;
  /** Whether the spans go to a provider registered before (the ADOT layer's) rather than our own. */
  registered: boolean;
  /** The processor of the spans: our batch processor, or the registered provider's. */
  spanProcessor: SpanProcessor;
  tracer: Tracer;
  plugin: OpenTelemetryPlugin;
  /** Plugins of ours that go beside {@link plugin} on the worker. */
  workerPlugins: WorkerPlugin[];
  /** Ends the invocation's spans and exports everything finished. */
  flush(): Promise<void>;
}

const setups = new Map<string, TracingSetup>();

/**
 * The interceptors link an activity's span to its workflow through the global propagator and
 * context manager. Register W3C trace context and a context manager unless something (the user)
 * already registered its own: registering again is a no-op.
 */
function registerContextPropagation({ api, core }: TracingPeers): void {
  const manager = new LocalStorageContextManager(api.ROOT_CONTEXT);
  if (!api.context.setGlobalContextManager(manager)) manager.disable();
  api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
}

/** Spans into the provider something registered before us (the ADOT layer's), under each invocation. */
function joinRegistered(peers: TracingPeers, options: ResolvedOtelOptions): TracingSetup | undefined {
  const registered = registeredProvider(peers.api);
  if (registered === undefined) return undefined;
  const traces = new InvocationTraces(peers.api, registered.processor);
  const tracer = traces.wrap(registered.getTracer('temporal-lambda-worker'));
  const resource = registered.resource ?? makeResource(peers.resources, options.resourceAttributes);
  const plugin = new peers.interceptors.OpenTelemetryPlugin({
    resource: resource as never,
    spanProcessor: traces.workflowSpans as never,
    tracer,
  });
  const flush = async () => {
    traces.end();
    await registered.forceFlush();
  };
  const spanProcessor = registered.processor;
  return {
    options,
    registered: true,
    spanProcessor,
    tracer,
    plugin,
    workerPlugins: [traces.plugin()],
    flush,
  };
}

/** Our own pipeline: a provider with X-Ray ids and a batch processor exporting over OTLP/gRPC. */
function ownPipeline(peers: TracingPeers, options: ResolvedOtelOptions): TracingSetup {
  const resource = makeResource(peers.resources, options.resourceAttributes);
  const exporter = new peers.exporter.OTLPTraceExporter({ url: options.endpointUrl });
  const { provider, spanProcessor } = spanPipeline(
    peers,
    { resource: resource as never, idGenerator: xrayIdGenerator },
    exporter,
  );
  const tracer = provider.getTracer('temporal-lambda-worker');
  // The workflow spans are built by the interceptors' 1.x SDK: 2.x and 3.x exporters need them reshaped.
  const plugin = new peers.interceptors.OpenTelemetryPlugin({
    resource: resource as never,
    spanProcessor: anyLineProcessor(spanProcessor) as never,
    tracer,
  });
  const flush = () => spanProcessor.forceFlush();
  return { options, registered: false, spanProcessor, tracer, plugin, workerPlugins: [], flush };
}

/**
 * One setup per process and endpoint. `joinRegistered` is false for a setup made only to bundle
 * (makeOtelPlugin), which needs no provider of anyone else's.
 */
export function getTracingSetup(options: ResolvedOtelOptions, joinProvider = true): TracingSetup {
  const key = `${options.endpointUrl}|${options.serviceName}|${joinProvider}`;
  let setup = setups.get(key);
  if (setup === undefined) {
    const peers = loadTracingPeers();
    // A provider registered before (the ADOT layer's SDK) came with its context manager and
    // propagator; registering ours beside them would only log duplicate-registration errors.
    setup = joinProvider ? joinRegistered(peers, options) : undefined;
    if (setup === undefined) {
      if (joinProvider) registerContextPropagation(peers);
      setup = ownPipeline(peers, options);
    }
    setups.set(key, setup);
  }
  return setup;
}

/**
 * Traces workflows, activities and Nexus operations, flushed at the end of every invocation.
 * With a pre-built workflow bundle, build it with {@link makeOtelPlugin}'s plugin so that the
 * workflow interceptors are in it.
 */
export function applyTracing(config: LambdaWorkerConfig, options?: OtelOptions): void {
  const setup = getTracingSetup(resolveOtelOptions(options));
  config.workerOptions.plugins = [...(config.workerOptions.plugins ?? []), ...setup.workerPlugins, setup.plugin];
  const where = setup.registered ? 'the registered tracer provider (ADOT layer)' : setup.options.endpointUrl;
  config.shutdownHooks.push(flushHook('Span', setup.flush, where, config.logger));
}

/** What {@link makeOtelPlugin} returns. */
export interface OtelPluginSetup {
  /** For `bundleWorkflowCode({ plugins: [plugin] })` and `config.workerOptions.plugins`. */
  plugin: OpenTelemetryPlugin;
  /**
   * The span processor the plugin exports through (a batch processor shared by the process):
   * flush it with `await spanProcessor.forceFlush()`; never shut it down between invocations.
   */
  spanProcessor: SpanProcessor;
}

/**
 * The OpenTelemetry plugin, for `bundleWorkflowCode({ plugins: [plugin] })`: it puts the
 * workflow tracing interceptors into a pre-built bundle. Takes an options object, or the official
 * package's two positional arguments `(endpoint, serviceName)`.
 *
 * @example
 * ```ts
 * const { plugin } = makeOtelPlugin();
 * const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), plugins: [plugin] });
 * ```
 */
export function makeOtelPlugin(options?: OtelOptions): OtelPluginSetup;
/**
 * @param endpoint - OTLP/gRPC endpoint (see {@link OtelOptions.endpoint}).
 * @param serviceName - `service.name` (see {@link OtelOptions.serviceName}).
 * @example const { plugin, spanProcessor } = makeOtelPlugin('grpc://localhost:4317', 'orders');
 */
export function makeOtelPlugin(endpoint?: string, serviceName?: string): OtelPluginSetup;
export function makeOtelPlugin(first?: OtelOptions | string, serviceName?: string): OtelPluginSetup {
  const options: OtelOptions = typeof first === 'object' && first !== null ? first : { endpoint: first, serviceName };
  const setup = getTracingSetup(resolveOtelOptions(options), false);
  return { plugin: setup.plugin, spanProcessor: setup.spanProcessor };
}
