import { describe, expect, it } from 'vitest';
import { normalizeEndpoint, resolveOtelOptions } from '../../otel/options';

describe('resolveOtelOptions', () => {
  it('defaults to the ADOT collector layer on localhost:4317 and reads OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(resolveOtelOptions({ env: {} }).endpointUrl).toBe('http://localhost:4317');
    expect(resolveOtelOptions({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4317/' } }).endpointUrl).toBe(
      'https://collector:4317',
    );
    expect(
      resolveOtelOptions({ endpoint: '127.0.0.1:9999', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'x:1' } }).endpointUrl,
    ).toBe('http://127.0.0.1:9999');
  });

  it('names the service from the option, OTEL_SERVICE_NAME, the function name, then a fixed default', () => {
    expect(
      resolveOtelOptions({ serviceName: 'opt', env: { OTEL_SERVICE_NAME: 'env', AWS_LAMBDA_FUNCTION_NAME: 'fn' } })
        .serviceName,
    ).toBe('opt');
    expect(resolveOtelOptions({ env: { OTEL_SERVICE_NAME: 'env', AWS_LAMBDA_FUNCTION_NAME: 'fn' } }).serviceName).toBe(
      'env',
    );
    expect(resolveOtelOptions({ env: { AWS_LAMBDA_FUNCTION_NAME: 'fn' } }).serviceName).toBe('fn');
    expect(resolveOtelOptions({ env: {} }).serviceName).toBe('temporal-lambda-worker');
  });

  it('sets the resource attributes from the Lambda environment, with one instance id per process', () => {
    const env = {
      AWS_LAMBDA_FUNCTION_NAME: 'fn',
      AWS_LAMBDA_FUNCTION_VERSION: '7',
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/02/[$LATEST]abc123',
    };
    const { resourceAttributes } = resolveOtelOptions({ env });
    expect(resourceAttributes).toEqual({
      'service.name': 'fn',
      'service.instance.id': expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      'faas.instance': '2026/12/02/[$LATEST]abc123',
      'faas.name': 'fn',
      'faas.version': '7',
      'cloud.provider': 'aws',
      'cloud.region': 'eu-west-1',
    });
    // The same process exports under one identity, whatever the call.
    expect(resolveOtelOptions({ env: {} }).resourceAttributes['service.instance.id']).toBe(
      resourceAttributes['service.instance.id'],
    );
    expect(resolveOtelOptions({ env: {} }).resourceAttributes).not.toHaveProperty('faas.instance');
  });

  it('exports delta unless the option or OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE says cumulative', () => {
    expect(resolveOtelOptions({ env: {} }).metricTemporality).toBe('delta');
    const fromEnv = { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Cumulative' };
    expect(resolveOtelOptions({ env: fromEnv }).metricTemporality).toBe('cumulative');
    expect(resolveOtelOptions({ env: fromEnv, metricTemporality: 'delta' }).metricTemporality).toBe('delta');
    expect(() =>
      resolveOtelOptions({ env: { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'lowmemory' } }),
    ).toThrow(
      "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE must be 'delta' or 'cumulative'; received 'lowmemory'.",
    );
    expect(() => resolveOtelOptions({ env: {}, metricTemporality: 'sometimes' as never })).toThrow(
      "metricTemporality must be 'delta' or 'cumulative'; received 'sometimes'.",
    );
  });

  it("reads the official package's grpc:// default as plaintext and grpcs:// as TLS", () => {
    expect(normalizeEndpoint('grpc://localhost:4317')).toBe('http://localhost:4317');
    expect(normalizeEndpoint('grpcs://collector.example:443/')).toBe('https://collector.example:443');
    expect(resolveOtelOptions({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://localhost:4317' } }).endpointUrl).toBe(
      'http://localhost:4317',
    );
  });

  it('rejects endpoints that are neither host:port nor http(s) URLs, and bad intervals', () => {
    expect(() => normalizeEndpoint('ftp://x:1')).toThrow(/http:\/\/, https:\/\/, grpc:\/\/ or grpcs:\/\//);
    expect(() => normalizeEndpoint('not a host')).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => resolveOtelOptions({ metricExportIntervalMs: 0, env: {} })).toThrow(/metricExportIntervalMs/);
  });
});
