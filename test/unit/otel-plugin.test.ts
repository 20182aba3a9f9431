import { describe, expect, it } from 'vitest';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { makeOtelPlugin } from '../../otel/index';

describe('makeOtelPlugin', () => {
  it('takes the official positional (endpoint, serviceName) form and returns the plugin with its span processor', async () => {
    const { plugin, spanProcessor } = makeOtelPlugin('grpc://127.0.0.1:4317', 'positional-service');
    expect(plugin).toBeInstanceOf(OpenTelemetryPlugin);
    await expect(spanProcessor.forceFlush()).resolves.toBeUndefined(); // nothing buffered: no export attempted
  });

  it('shares one setup per endpoint and service, whichever form names them', () => {
    const positional = makeOtelPlugin('grpc://127.0.0.1:4318', 'shared-service');
    const object = makeOtelPlugin({ endpoint: '127.0.0.1:4318', serviceName: 'shared-service' });
    expect(object.plugin).toBe(positional.plugin);
    expect(object.spanProcessor).toBe(positional.spanProcessor);
    expect(makeOtelPlugin({ endpoint: '127.0.0.1:4318', serviceName: 'other' }).plugin).not.toBe(positional.plugin);
  });

  it('rejects an endpoint it cannot read, naming the fix', () => {
    expect(() => makeOtelPlugin('ftp://127.0.0.1:4317')).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
