/**
 * The tracer provider something else registered globally before this library set up tracing: the
 * ADOT JavaScript layer's distro (`@aws/aws-distro-opentelemetry-node-autoinstrumentation`), or
 * an app's own `NodeSDK`. When there is one, its pipeline is used instead of a second one beside it:
 * the layer's Lambda instrumentation flushes the providers it registered when the invocation ends,
 * and a second pipeline would export apart from it.
 *
 * The workflow spans reach the provider through its span processor, which the trace SDK keeps in a
 * field of its own (no public accessor): `activeSpanProcessor` on 1.x, `_activeSpanProcessor` on 2.x
 * and 3.x; likewise its resource. Each read is pinned by a unit test on every line installed here.
 */
import type { ProxyTracerProvider, Tracer, TracerProvider } from '@opentelemetry/api';
import type * as Api from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A registered SDK provider, and what this library needs of it. */
export interface RegisteredProvider {
  getTracer(name: string): Tracer;
  forceFlush(): Promise<void>;
  /** Where its finished spans go (its batch processor and any others). */
  processor: SpanProcessor;
  /** Its resource, given to the workflow spans so that they group with its own spans. */
  resource: unknown;
}

interface SdkProviderFields {
  forceFlush?: () => Promise<void>;
  activeSpanProcessor?: SpanProcessor;
  _activeSpanProcessor?: SpanProcessor;
  resource?: unknown;
  _resource?: unknown;
}

/**
 * The SDK tracer provider registered with `api.trace`, or undefined when none is (the API's no-op
 * provider, or a provider that is not the OpenTelemetry SDK's and has no span processor to join).
 */
export function registeredProvider(api: typeof Api): RegisteredProvider | undefined {
  // The API hands out its proxy; the registered provider is behind it (a no-op one when none is).
  const provider = (api.trace.getTracerProvider() as ProxyTracerProvider).getDelegate();
  const fields = provider as TracerProvider & SdkProviderFields;
  const processor = fields._activeSpanProcessor ?? fields.activeSpanProcessor;
  if (typeof fields.forceFlush !== 'function' || processor === undefined || typeof processor.onEnd !== 'function') {
    return undefined;
  }
  const forceFlush = fields.forceFlush.bind(provider);
  return {
    getTracer: (name) => provider.getTracer(name),
    forceFlush,
    processor,
    resource: fields._resource ?? fields.resource,
  };
}
