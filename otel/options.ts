/**
 * Options of the OpenTelemetry entry point, resolved from arguments, then the standard OTel and
 * Lambda env vars, then the ADOT collector layer's defaults.
 */
import { randomUUID } from 'node:crypto';
import { readEnv } from '../src/config/env';
import { InvalidOptionError } from '../src/errors';
import { DEFAULT_METRIC_EXPORT_INTERVAL_MS, DEFAULT_OTLP_ENDPOINT } from '../src/defaults';

/** Options of {@link applyDefaults}, {@link applyMetrics}, {@link applyTracing} and {@link makeOtelPlugin}. */
export interface OtelOptions {
  /**
   * OTLP/gRPC endpoint, as `host:port` or a URL: `http://host:port` or `grpc://host:port`
   * (plaintext; the official package's form), `https://` or `grpcs://` (TLS).
   * @default `OTEL_EXPORTER_OTLP_ENDPOINT`, else `localhost:4317` (the ADOT collector layer)
   */
  endpoint?: string;
  /**
   * `service.name` of the resource.
   * @default `OTEL_SERVICE_NAME`, then `AWS_LAMBDA_FUNCTION_NAME`, then `'temporal-lambda-worker'`
   */
  serviceName?: string;
  /**
   * How often metrics are exported while the worker runs; every invocation also flushes at its end.
   * @default 60_000
   */
  metricExportIntervalMs?: number;
  /**
   * Aggregation temporality of the exported sums and histograms. `'delta'` (the default) sends
   * what changed since the last export: the ADOT collector's CloudWatch EMF exporter publishes it
   * as it comes, while it keeps the first point of every cumulative series as a baseline and
   * publishes nothing for it, which loses the first export of every execution environment.
   * `'cumulative'` suits backends that compute rates themselves (Prometheus).
   * @default `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` (`delta` or `cumulative`), else `'delta'`
   */
  metricTemporality?: 'delta' | 'cumulative';
  /** Environment to read from. @default `process.env` */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * This execution environment's identity, the same for every export of the process: without it the
 * series of two environments carry one resource and interleave at the backend.
 */
const SERVICE_INSTANCE_ID = randomUUID();

/** The options with every default applied. */
export interface ResolvedOtelOptions {
  /** Always a URL: `http://host:port` or `https://host:port`. */
  endpointUrl: string;
  serviceName: string;
  metricExportIntervalMs: number;
  metricTemporality: 'delta' | 'cumulative';
  /**
   * Attributes of the OpenTelemetry resource: `service.name`, `service.instance.id` (one per
   * process), `faas.instance` (the log stream of the execution environment), `faas.*`, `cloud.*`.
   */
  resourceAttributes: Record<string, string>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** URL schemes accepted for the endpoint, and the scheme the gRPC exporters are given for each. */
const SCHEMES: Readonly<Record<string, 'http:' | 'https:'>> = {
  'http:': 'http:',
  'https:': 'https:',
  'grpc:': 'http:',
  'grpcs:': 'https:',
};

/**
 * Turns `host:port` or a URL into the URL form the gRPC exporters take (`http://` for plaintext,
 * `https://` for TLS). `grpc://` and `grpcs://` are read as plaintext and TLS.
 *
 * @example normalizeEndpoint('grpc://localhost:4317') // 'http://localhost:4317'
 * @throws {@link InvalidOptionError} naming the endpoint option and `OTEL_EXPORTER_OTLP_ENDPOINT` for any other form.
 */
export function normalizeEndpoint(endpoint: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) {
    const url = new URL(endpoint);
    const scheme = SCHEMES[url.protocol];
    if (scheme === undefined || url.host === '') {
      throw new InvalidOptionError(
        `OTLP endpoint '${endpoint}' must use http://, https://, grpc:// or grpcs:// with a host, or be host:port. ` +
          `Fix the endpoint option or OTEL_EXPORTER_OTLP_ENDPOINT.`,
      );
    }
    return `${scheme}//${url.host}`;
  }
  if (!/^[^\s/:]+(:\d+)?$|^\[[0-9a-f:]+\](:\d+)?$/i.test(endpoint)) {
    throw new InvalidOptionError(
      `OTLP endpoint '${endpoint}' is neither host:port nor a URL. Fix the endpoint option or ` +
        `OTEL_EXPORTER_OTLP_ENDPOINT.`,
    );
  }
  return `http://${endpoint}`;
}

/** Applies the defaults; reads the environment once. */
export function resolveOtelOptions(options: OtelOptions = {}): ResolvedOtelOptions {
  const env = options.env ?? process.env;
  const serviceName =
    nonEmpty(options.serviceName) ??
    readEnv(env, 'OTEL_SERVICE_NAME') ??
    readEnv(env, 'AWS_LAMBDA_FUNCTION_NAME') ??
    'temporal-lambda-worker';
  const interval = options.metricExportIntervalMs ?? DEFAULT_METRIC_EXPORT_INTERVAL_MS;
  if (!Number.isFinite(interval) || interval <= 0) {
    throw new InvalidOptionError(
      `metricExportIntervalMs must be a positive number of milliseconds; received ${String(interval)}.`,
    );
  }
  const attributes: Record<string, string> = {
    'service.name': serviceName,
    'service.instance.id': SERVICE_INSTANCE_ID,
    'cloud.provider': 'aws',
  };
  const logStream = readEnv(env, 'AWS_LAMBDA_LOG_STREAM_NAME');
  if (logStream) attributes['faas.instance'] = logStream;
  const functionName = readEnv(env, 'AWS_LAMBDA_FUNCTION_NAME');
  const functionVersion = readEnv(env, 'AWS_LAMBDA_FUNCTION_VERSION');
  const region = readEnv(env, 'AWS_REGION') ?? readEnv(env, 'AWS_DEFAULT_REGION');
  if (functionName) attributes['faas.name'] = functionName;
  if (functionVersion) attributes['faas.version'] = functionVersion;
  if (region) attributes['cloud.region'] = region;
  return {
    endpointUrl: normalizeEndpoint(
      nonEmpty(options.endpoint) ?? readEnv(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_OTLP_ENDPOINT,
    ),
    serviceName,
    metricExportIntervalMs: interval,
    metricTemporality: resolveTemporality(options.metricTemporality, env),
    resourceAttributes: attributes,
  };
}

/**
 * The temporality option, else `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`, else delta.
 * @throws {@link InvalidOptionError} naming the option or the env var for any other value.
 */
function resolveTemporality(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): 'delta' | 'cumulative' {
  const fromEnv = readEnv(env, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE')?.toLowerCase();
  const value = option ?? fromEnv ?? 'delta';
  if (value === 'delta' || value === 'cumulative') return value;
  const where = option === undefined ? 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE' : 'metricTemporality';
  throw new InvalidOptionError(`${where} must be 'delta' or 'cumulative'; received '${value}'.`);
}
