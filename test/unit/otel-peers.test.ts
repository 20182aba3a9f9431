/** The checks that the OpenTelemetry packages are of one supported major, for metrics and for tracing. */
import { describe, expect, it } from 'vitest';
import { checkMetricsVersions, OTEL_METRICS_INSTALL } from '../../otel/peers';
import { InvalidOptionError } from '../../src/errors';
import { checkResourcesLine, pickTraceSdk } from '../../otel/tracing-peers';

const set = (resources: string | undefined, sdkMetrics: string | undefined, exporter: string | undefined) => ({
  '@opentelemetry/resources': resources,
  '@opentelemetry/sdk-metrics': sdkMetrics,
  '@opentelemetry/exporter-metrics-otlp-grpc': exporter,
});

describe('checkMetricsVersions', () => {
  it('accepts each supported line and returns its major', () => {
    expect(checkMetricsVersions(set('1.30.1', '1.30.1', '0.57.2'))).toBe(1);
    expect(checkMetricsVersions(set('2.12.1', '2.12.1', '0.212.0'))).toBe(2);
    expect(checkMetricsVersions(set('3.1.0', '3.1.1', '0.301.0'))).toBe(3);
  });

  it('names every package and version, and the install line of the sdk-metrics major, when majors mix', () => {
    const check = () => checkMetricsVersions(set('2.12.1', '3.1.0', '0.212.0'));
    expect(check).toThrow(InvalidOptionError);
    expect(check).toThrow(
      /mix majors: @opentelemetry\/resources@2\.12\.1, @opentelemetry\/sdk-metrics@3\.1\.0, @opentelemetry\/exporter-metrics-otlp-grpc@0\.212\.0/,
    );
    expect(check).toThrow(OTEL_METRICS_INSTALL['3.x']);
  });

  it('refuses a major it does not know, naming the package, its version and a supported set', () => {
    const check = () => checkMetricsVersions(set('4.0.0', '4.0.0', '0.400.0'));
    expect(check).toThrow(
      /@opentelemetry\/resources@4\.0\.0 belongs to OpenTelemetry JS 4\.x.*does not support yet.*Install a supported set: npm install @opentelemetry\/api@/,
    );
  });

  it('checks only the versions it could read (inside a bundle some cannot be)', () => {
    expect(checkMetricsVersions(set(undefined, undefined, '0.301.0'))).toBe(3);
    expect(checkMetricsVersions(set(undefined, undefined, undefined))).toBeUndefined();
  });
});

describe('the trace SDK of the installed line', () => {
  const base1 = {
    name: '@opentelemetry/sdk-trace-base' as const,
    module: { BasicTracerProvider: 'b1' },
    version: '1.25.1',
  };
  const trace3 = { name: '@opentelemetry/sdk-trace' as const, module: { TracerProvider: 't3' }, version: '3.1.0' };

  it("picks the SDK package at the exporter's major, past the interceptors' hoisted 1.x copy", () => {
    expect(pickTraceSdk(3, [base1, trace3])).toMatchObject({ name: '@opentelemetry/sdk-trace', TracerProvider: 't3' });
    expect(pickTraceSdk(1, [base1, trace3])).toMatchObject({
      name: '@opentelemetry/sdk-trace-base',
      TracerProvider: 'b1',
    });
  });

  it('refuses an SDK of another line than the exporter, naming both and the install line', () => {
    expect(() => pickTraceSdk(2, [base1, trace3])).toThrow(
      /exporter-trace-otlp-grpc of OpenTelemetry JS 2\.x but @opentelemetry\/sdk-trace-base@1\.25\.1 and @opentelemetry\/sdk-trace@3\.1\.0.*Install: npm install @temporalio\/interceptors-opentelemetry@1\.24\.0 .*@opentelemetry\/exporter-trace-otlp-grpc@0\.223\.1/,
    );
  });

  it('refuses resources of another line, and does not check a version it could not read', () => {
    expect(() => checkResourcesLine(3, '1.30.1')).toThrow(
      /@opentelemetry\/resources@1\.30\.1 beside an OpenTelemetry JS 3\.x trace exporter.*@opentelemetry\/resources@3\.1\.0/,
    );
    expect(() => checkResourcesLine(3, '3.1.1')).not.toThrow();
    expect(() => checkResourcesLine(2, undefined)).not.toThrow();
  });
});
