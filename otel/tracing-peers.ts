/* eslint-disable @typescript-eslint/no-require-imports -- literal requires, each in a try, as in ./peers. */
/**
 * The tracing packages, loaded for the OpenTelemetry JS line the app installed: 1.x (1.25 and
 * later, exporter 0.52 and later: the official package's documented set), 2.x or 3.x.
 *
 * The line is read from the OTLP trace exporter the app installed, because `@temporalio/
 * interceptors-opentelemetry` brings its own 1.x copy of `@opentelemetry/sdk-trace-base`, which npm
 * may hoist into an app on 3.x: the SDK package is then checked against that line. Only what the
 * spans need is loaded: the context manager and the X-Ray trace ids are this library's own
 * (./context-manager, ./xray-ids), so neither `@opentelemetry/context-async-hooks` nor
 * `@opentelemetry/id-generator-aws-xray` is needed.
 */
import type * as Api from '@opentelemetry/api';
import type * as Core from '@opentelemetry/core';
import type * as Resources from '@opentelemetry/resources';
import type { SpanExporter, SpanProcessor, TracerConfig } from '@opentelemetry/sdk-trace-base';
import type * as Interceptors from '@temporalio/interceptors-opentelemetry';
import type { Tracer } from '@opentelemetry/api';
import { InvalidOptionError, MissingPeerError } from '../src/errors';
import { installAdvice, lineOfExporter, majorOf, notInstalled, versionOnDisk } from './peers';

/** An OpenTelemetry JS major line. */
export type OtelLine = 1 | 2 | 3;

/**
 * The install line of the tracing packages for each OpenTelemetry JS line; each set is one release
 * of the line (the exporter's own dependencies), so npm installs one copy of each package.
 */
export const OTEL_TRACING_INSTALL: Readonly<Record<`${OtelLine}.x`, string>> = {
  '1.x':
    'npm install @temporalio/interceptors-opentelemetry@1.24.0 @opentelemetry/api@1.9.0 @opentelemetry/core@1.30.1 ' +
    '@opentelemetry/resources@1.30.1 @opentelemetry/sdk-trace-base@1.30.1 ' +
    '@opentelemetry/exporter-trace-otlp-grpc@0.57.2',
  '2.x':
    'npm install @temporalio/interceptors-opentelemetry@1.24.0 @opentelemetry/api@1.9.0 @opentelemetry/core@2.12.1 ' +
    '@opentelemetry/resources@2.12.1 @opentelemetry/sdk-trace@2.12.1 @opentelemetry/exporter-trace-otlp-grpc@0.223.1',
  '3.x':
    'npm install @temporalio/interceptors-opentelemetry@1.24.0 @opentelemetry/api@1.10.0 @opentelemetry/core@3.1.0 ' +
    '@opentelemetry/resources@3.1.0 @opentelemetry/sdk-trace@3.1.0 @opentelemetry/exporter-trace-otlp-grpc@0.301.0',
};

/** The tracing install line to suggest for `line`, or the newest this Node.js runs. */
export function tracingInstallAdvice(line?: OtelLine): string {
  return line === undefined ? installAdvice(OTEL_TRACING_INSTALL) : OTEL_TRACING_INSTALL[`${line}.x`];
}

/** A tracer provider of any line: what this library calls on it. */
export interface AnyTracerProvider {
  getTracer(name: string): Tracer;
  forceFlush(): Promise<void>;
  /** 1.x only (2.x and 3.x take `spanProcessors` in the constructor). */
  addSpanProcessor?(processor: SpanProcessor): void;
}

/** The trace SDK of the loaded line. */
export interface TraceSdk {
  /** The package it came from. */
  name: '@opentelemetry/sdk-trace-base' | '@opentelemetry/sdk-trace';
  TracerProvider: new (config: TracerConfig) => AnyTracerProvider;
  BatchSpanProcessor: new (exporter: SpanExporter) => SpanProcessor;
}

/** The tracing packages, loaded. */
export interface TracingPeers {
  line: OtelLine;
  api: typeof Api;
  core: typeof Core;
  resources: typeof Resources;
  sdk: TraceSdk;
  exporter: { OTLPTraceExporter: new (options: { url: string }) => SpanExporter };
  interceptors: typeof Interceptors;
}

const PURPOSE = 'Tracing (applyTracing, applyDefaults, makeOtelPlugin)';
/** Loaded by name; the SDK package, whose name depends on the line, is found apart. */
const NAMES = [
  '@temporalio/interceptors-opentelemetry',
  '@opentelemetry/api',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/exporter-trace-otlp-grpc',
];

/** The version of the trace exporter, read from its package.json (literal, for bundlers). */
function exporterVersion(): string | undefined {
  try {
    return (require('@opentelemetry/exporter-trace-otlp-grpc/package.json') as { version: string }).version;
  } catch {
    return versionOnDisk('@opentelemetry/exporter-trace-otlp-grpc');
  }
}

/** A module of the trace SDK and its version, or undefined when it is not installed. */
function tryTraceSdk(name: TraceSdk['name']): { module: Record<string, unknown>; version?: string } | undefined {
  try {
    const module =
      name === '@opentelemetry/sdk-trace-base'
        ? (require('@opentelemetry/sdk-trace-base') as Record<string, unknown>)
        : (require('@opentelemetry/sdk-trace') as Record<string, unknown>);
    return { module, version: versionOnDisk(name) };
  } catch {
    return undefined;
  }
}

/**
 * The trace SDK of `line`: `@opentelemetry/sdk-trace-base` or `@opentelemetry/sdk-trace`, whichever
 * is installed at that major (a version that cannot be read, inside a bundle, is taken as it is).
 * @throws {@link InvalidOptionError} naming the installed SDK, its version, the exporter's line and the install line.
 */
export function pickTraceSdk(
  line: OtelLine,
  candidates: Array<{ name: TraceSdk['name']; module: Record<string, unknown>; version?: string }>,
): TraceSdk {
  const fits = candidates.find(({ version }) => version === undefined || majorOf(version) === line);
  if (fits === undefined) {
    const found = candidates.map(({ name, version }) => `${name}@${version}`).join(' and ');
    throw new InvalidOptionError(
      `${PURPOSE} found @opentelemetry/exporter-trace-otlp-grpc of OpenTelemetry JS ${line}.x but ` +
        `${found || 'no trace SDK'}: the SDK and the exporter must be of one line. ` +
        `Install: ${tracingInstallAdvice(line)}`,
    );
  }
  const TracerProvider = (fits.module.BasicTracerProvider ?? fits.module.TracerProvider) as TraceSdk['TracerProvider'];
  const BatchSpanProcessor = fits.module.BatchSpanProcessor as TraceSdk['BatchSpanProcessor'];
  return { name: fits.name, TracerProvider, BatchSpanProcessor };
}

/**
 * Checks `@opentelemetry/resources` against the exporter's line: a resource of another major is not
 * one the SDK can use. A version that cannot be read is not checked.
 * @throws {@link InvalidOptionError} naming the package, its version and the install line.
 */
export function checkResourcesLine(line: OtelLine, resourcesVersion: string | undefined): void {
  if (resourcesVersion !== undefined && majorOf(resourcesVersion) !== line) {
    throw new InvalidOptionError(
      `${PURPOSE} found @opentelemetry/resources@${resourcesVersion} beside an OpenTelemetry JS ${line}.x trace ` +
        `exporter: they must be of one line. Install: ${tracingInstallAdvice(line)}`,
    );
  }
}

let tracingPeers: TracingPeers | undefined;

/**
 * Loads the tracing packages of the line the app installed (1.x, 2.x or 3.x).
 * @throws {@link MissingPeerError} naming the missing packages and the install line, or
 * {@link InvalidOptionError} when the packages mix lines.
 */
export function loadTracingPeers(): TracingPeers {
  if (tracingPeers !== undefined) return tracingPeers;
  const version = exporterVersion();
  const line = (version === undefined ? 1 : lineOfExporter(version)) as OtelLine;
  let loaded: Omit<TracingPeers, 'sdk' | 'line'>;
  try {
    loaded = {
      interceptors: require('@temporalio/interceptors-opentelemetry') as typeof Interceptors,
      api: require('@opentelemetry/api') as typeof Api,
      core: require('@opentelemetry/core') as typeof Core,
      resources: require('@opentelemetry/resources') as typeof Resources,
      exporter: require('@opentelemetry/exporter-trace-otlp-grpc') as TracingPeers['exporter'],
    };
  } catch (error) {
    throw notInstalled(error, NAMES, tracingInstallAdvice(line), PURPOSE);
  }
  const candidates = (['@opentelemetry/sdk-trace-base', '@opentelemetry/sdk-trace'] as const).flatMap((name) => {
    const found = tryTraceSdk(name);
    return found === undefined ? [] : [{ name, ...found }];
  });
  if (candidates.length === 0) {
    const sdkName = line === 3 ? '@opentelemetry/sdk-trace' : '@opentelemetry/sdk-trace-base';
    throw new MissingPeerError(
      `${PURPOSE} needs ${sdkName}, which is not installed. Install: ${tracingInstallAdvice(line)}`,
    );
  }
  const sdk = pickTraceSdk(line, candidates);
  checkResourcesLine(line, versionOnDisk('@opentelemetry/resources'));
  tracingPeers = { ...loaded, line, sdk };
  return tracingPeers;
}

/**
 * A tracer provider exporting through a batch processor, built the way `peers.line` takes it: 3.x
 * gives the batch processor its exporter in an options object, 1.x and 2.x as the first argument;
 * 1.x adds processors with `addSpanProcessor` (1.25 has no constructor option, 1.30 has both).
 */
export function spanPipeline(
  { line, sdk }: TracingPeers,
  config: Omit<TracerConfig, 'spanProcessors'>,
  exporter: SpanExporter,
): { provider: AnyTracerProvider; spanProcessor: SpanProcessor } {
  const spanProcessor = new sdk.BatchSpanProcessor((line === 3 ? { exporter } : exporter) as never);
  const provider = new sdk.TracerProvider(line === 1 ? config : { ...config, spanProcessors: [spanProcessor] });
  if (line === 1) provider.addSpanProcessor?.(spanProcessor);
  return { provider, spanProcessor };
}
