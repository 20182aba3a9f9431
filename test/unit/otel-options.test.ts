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

  it('sets the resource attributes from the Lambda environment', () => {
    const { resourceAttributes } = resolveOtelOptions({
      env: { AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_LAMBDA_FUNCTION_VERSION: '7', AWS_REGION: 'eu-west-1' },
    });
    expect(resourceAttributes).toEqual({
      'service.name': 'fn',
      'faas.name': 'fn',
      'faas.version': '7',
      'cloud.provider': 'aws',
      'cloud.region': 'eu-west-1',
    });
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
