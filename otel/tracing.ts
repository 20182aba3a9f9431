/**
 * Traces of workflows, activities and Nexus operations through
 * `@temporalio/interceptors-opentelemetry`, with X-Ray compatible trace ids, exported over
 * OTLP/gRPC by a batch span processor that every invocation flushes (and never shuts down: warm
 * invocations reuse it).
 */
import type { BasicTracerProvider, BatchSpanProcessor, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Tracer } from '@opentelemetry/api';
import type { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { LambdaWorkerConfig } from '../src/config/lambda-config';
import { resolveOtelOptions, type OtelOptions, type ResolvedOtelOptions } from './options';
import { loadTracingPeers, makeResource, type TracingPeers } from './peers';
import { flushHook } from './flush-hook';

/** The tracing parts shared by every worker of the process. */
export interface TracingSetup {
  options: ResolvedOtelOptions;
  provider: BasicTracerProvider;
  spanProcessor: BatchSpanProcessor;
  tracer: Tracer;
  plugin: OpenTelemetryPlugin;
}

const setups = new Map<string, TracingSetup>();

/**
 * The interceptors link an activity's span to its workflow through the global propagator and
 * context manager. Register W3C trace context and AsyncLocalStorage unless something (the ADOT
 * JavaScript layer, the user) already registered its own: registering again is a no-op.
 */
function registerContextPropagation({ api, contextAsyncHooks, core }: TracingPeers): void {
  const manager = new contextAsyncHooks.AsyncLocalStorageContextManager();
  if (api.context.setGlobalContextManager(manager.enable()))
    return void api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  manager.disable();
  api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
}

/** One setup per process and endpoint. */
export function getTracingSetup(options: ResolvedOtelOptions): TracingSetup {
  const key = `${options.endpointUrl}|${options.serviceName}`;
  let setup = setups.get(key);
  if (setup === undefined) {
    const peers = loadTracingPeers();
    registerContextPropagation(peers);
    const resource = makeResource(peers.resources, options.resourceAttributes);
    const spanProcessor = new peers.sdkTraceBase.BatchSpanProcessor(
      new peers.exporter.OTLPTraceExporter({ url: options.endpointUrl }),
    );
    const provider = new peers.sdkTraceBase.BasicTracerProvider({
      resource,
      idGenerator: new peers.xray.AWSXRayIdGenerator(),
      spanProcessors: [spanProcessor],
    });
    const tracer = provider.getTracer('temporal-lambda-worker');
    const plugin = new peers.interceptors.OpenTelemetryPlugin({ resource, spanProcessor, tracer });
    setup = { options, provider, spanProcessor, tracer, plugin };
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
  config.workerOptions.plugins = [...(config.workerOptions.plugins ?? []), setup.plugin];
  config.shutdownHooks.push(
    flushHook('Span', () => setup.spanProcessor.forceFlush(), setup.options.endpointUrl, config.logger),
  );
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
  const setup = getTracingSetup(resolveOtelOptions(options));
  return { plugin: setup.plugin, spanProcessor: setup.spanProcessor };
}
