/** The check that the OpenTelemetry metrics packages are of one supported major. */
import { describe, expect, it } from 'vitest';
import { checkMetricsVersions, OTEL_METRICS_INSTALL } from '../../otel/peers';
import { InvalidOptionError } from '../../src/errors';

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
