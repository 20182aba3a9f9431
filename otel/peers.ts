/* eslint-disable @typescript-eslint/no-require-imports -- literal requires, each in a try: bundlers inline
   the peers that are installed and leave the missing ones to fail here, at run time, with the install line. */
/**
 * The OpenTelemetry packages of this entry point are optional peers of the library. They are
 * loaded here, through literal `require` calls (which bundlers and the package command follow),
 * so that a missing package or an unsupported major fails with one error naming the package, the
 * version found and the `npm install` line that fixes it, instead of a bare ERR_MODULE_NOT_FOUND.
 *
 * Metrics work with OpenTelemetry JS 1.x (1.25 and later, exporters 0.52 and later), 2.x
 * (exporters 0.2xx) and 3.x (exporters 0.3xx); tracing (./tracing-peers) with the same three.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as MetricsExporter from '@opentelemetry/exporter-metrics-otlp-grpc';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkMetrics from '@opentelemetry/sdk-metrics';
import { InvalidOptionError } from '../src/errors';
import { peerLoadError } from '../src/optional-peer';

/**
 * The install line of the metrics packages, for each OpenTelemetry JS major. Each set is one
 * release of the line, so npm installs one copy of each package. 3.x needs Node.js 22.15 or later.
 */
export const OTEL_METRICS_INSTALL = {
  '1.x':
    `npm install @opentelemetry/api@1.9.0 @opentelemetry/resources@1.30.1 @opentelemetry/sdk-metrics@1.30.1 ` +
    `@opentelemetry/exporter-metrics-otlp-grpc@0.57.2`,
  '2.x':
    `npm install @opentelemetry/api@1.9.0 @opentelemetry/resources@2.12.1 @opentelemetry/sdk-metrics@2.12.1 ` +
    `@opentelemetry/exporter-metrics-otlp-grpc@0.212.0`,
  '3.x':
    `npm install @opentelemetry/api@1.10.0 @opentelemetry/resources@3.1.0 @opentelemetry/sdk-metrics@3.1.0 ` +
    `@opentelemetry/exporter-metrics-otlp-grpc@0.301.0`,
} as const;

/** Whether this Node.js can run OpenTelemetry JS 3.x (22.15 or later). */
function canRunOtel3(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 15);
}

/**
 * Two of `lines` (install lines per OpenTelemetry JS line) to suggest, newest first where this
 * Node.js can run it: 3.x and 2.x, or 2.x and 1.x (3.x needs Node.js 22.15).
 */
export function installAdvice(lines: Readonly<Record<'1.x' | '2.x' | '3.x', string>>): string {
  return canRunOtel3()
    ? `${lines['3.x']} (OpenTelemetry JS 3.x), or ${lines['2.x']} (2.x)`
    : `${lines['2.x']} (OpenTelemetry JS 2.x; 3.x needs Node.js 22.15 or later), or ${lines['1.x']} (1.x)`;
}

const metricsInstallAdvice = () => installAdvice(OTEL_METRICS_INSTALL);

/** The metrics packages, loaded. */
export interface MetricsPeers {
  resources: typeof Resources;
  sdkMetrics: typeof SdkMetrics;
  exporter: typeof MetricsExporter;
}

/**
 * What to throw when loading the packages `names` failed with `error`: one error naming every
 * missing package and the install line, or `error` itself when it is not a missing module.
 * The `require` calls stay literal and inside a `try` at each call site: bundlers then inline
 * the packages that are installed and leave the others to fail at run time, here, instead of
 * failing the build of an app that uses metrics without the tracing packages.
 */
export function notInstalled(error: unknown, names: readonly string[], install: string, purpose: string): unknown {
  return peerLoadError(
    error,
    { purpose, packages: names, install },
    names.filter((name) => !canLoad(name)),
  );
}

function canLoad(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The version in the package.json of the installed package `name`, found from the file it
 * resolves to: for OpenTelemetry JS 3.x, whose `exports` do not include `./package.json`.
 * Undefined when it cannot be found (in a bundle, say).
 */
export function versionOnDisk(name: string): string | undefined {
  try {
    let dir = path.dirname(require.resolve(name));
    for (;;) {
      const file = path.join(dir, 'package.json');
      if (existsSync(file)) {
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (manifest.name === name) return manifest.version;
      }
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  } catch {
    return undefined;
  }
}

/**
 * The versions of the metrics packages. Each `require` of a package.json is a literal inside its
 * own try, so that bundlers inline it where the package allows and leave it otherwise (3.x).
 */
function metricsVersions(): Record<
  '@opentelemetry/resources' | '@opentelemetry/sdk-metrics' | '@opentelemetry/exporter-metrics-otlp-grpc',
  string | undefined
> {
  let resources: string | undefined;
  let sdkMetrics: string | undefined;
  let exporter: string | undefined;
  try {
    resources = (require('@opentelemetry/resources/package.json') as { version: string }).version;
  } catch {
    resources = versionOnDisk('@opentelemetry/resources');
  }
  try {
    sdkMetrics = (require('@opentelemetry/sdk-metrics/package.json') as { version: string }).version;
  } catch {
    sdkMetrics = versionOnDisk('@opentelemetry/sdk-metrics');
  }
  try {
    exporter = (require('@opentelemetry/exporter-metrics-otlp-grpc/package.json') as { version: string }).version;
  } catch {
    exporter = versionOnDisk('@opentelemetry/exporter-metrics-otlp-grpc');
  }
  return {
    '@opentelemetry/resources': resources,
    '@opentelemetry/sdk-metrics': sdkMetrics,
    '@opentelemetry/exporter-metrics-otlp-grpc': exporter,
  };
}

/** The major of an installed package's version, read from its package.json. */
export function majorOf(version: string): number {
  return Number.parseInt(version, 10);
}

/** Which OpenTelemetry JS line an experimental exporter version (0.x) belongs to. */
export function lineOfExporter(version: string): number {
  const minor = Number.parseInt(version.split('.')[1] ?? '0', 10);
  return minor >= 300 ? 3 : minor >= 200 ? 2 : 1;
}

let metricsPeers: MetricsPeers | undefined;

/**
 * Loads the metrics packages and checks they belong to one supported OpenTelemetry JS major.
 * @throws {@link InvalidOptionError} naming the missing or mismatched package and the install line.
 */
export function loadMetricsPeers(): MetricsPeers {
  if (metricsPeers !== undefined) return metricsPeers;
  const names = [
    '@opentelemetry/api',
    '@opentelemetry/resources',
    '@opentelemetry/sdk-metrics',
    '@opentelemetry/exporter-metrics-otlp-grpc',
  ];
  let loaded: MetricsPeers;
  try {
    require('@opentelemetry/api'); // not used here: sdk-metrics needs it installed
    loaded = {
      resources: require('@opentelemetry/resources') as typeof Resources,
      sdkMetrics: require('@opentelemetry/sdk-metrics') as typeof SdkMetrics,
      exporter: require('@opentelemetry/exporter-metrics-otlp-grpc') as typeof MetricsExporter,
    };
  } catch (error) {
    throw notInstalled(error, names, metricsInstallAdvice(), 'temporal-lambda-worker/otel (metrics)');
  }
  checkMetricsVersions(metricsVersions());
  metricsPeers = loaded;
  return metricsPeers;
}

/**
 * Checks that the metrics packages are all of one supported major (1.x, 2.x or 3.x) and returns
 * it; anything else throws naming the package to change. A package whose version could not be
 * read (inside a bundle) is not checked.
 * @throws {@link InvalidOptionError} naming the packages, their versions and the install line.
 */
export function checkMetricsVersions(versions: Record<string, string | undefined>): 1 | 2 | 3 | undefined {
  const lines: Record<string, number> = {};
  for (const [name, version] of Object.entries(versions)) {
    if (version !== undefined)
      lines[name] = name.startsWith('@opentelemetry/exporter-') ? lineOfExporter(version) : majorOf(version);
  }
  const describe = (name: string) => `${name}@${versions[name]}`;
  for (const [name, line] of Object.entries(lines)) {
    if (line < 1 || line > 3) {
      throw new InvalidOptionError(
        `${describe(name)} belongs to OpenTelemetry JS ${line}.x, which temporal-lambda-worker/otel does not support ` +
          `yet (1.x, 2.x and 3.x are supported). Install a supported set: ${metricsInstallAdvice()}`,
      );
    }
  }
  const sdkLine = lines['@opentelemetry/sdk-metrics'] ?? Object.values(lines)[0];
  const odd = Object.keys(lines).filter((name) => lines[name] !== sdkLine);
  if (odd.length > 0) {
    throw new InvalidOptionError(
      `The OpenTelemetry metrics packages mix majors: ${Object.keys(lines).map(describe).join(', ')}. ` +
        `Install one set: ${OTEL_METRICS_INSTALL[`${sdkLine as 1 | 2 | 3}.x`]}`,
    );
  }
  return sdkLine as 1 | 2 | 3 | undefined;
}

/**
 * A resource with `attributes`, in the form the loaded major takes: `resourceFromAttributes` (2.x, 3.x)
 * or `new Resource` (1.x).
 */
export function makeResource(resources: typeof Resources, attributes: Record<string, string>): Resources.Resource {
  const fromAttributes = (resources as { resourceFromAttributes?: (attributes: Record<string, string>) => unknown })
    .resourceFromAttributes;
  return (
    fromAttributes !== undefined ? fromAttributes(attributes) : new resources.Resource(attributes)
  ) as Resources.Resource;
}
