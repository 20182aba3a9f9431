/**
 * The `temporal-lambda-worker` command.
 *
 *   temporal-lambda-worker invoke <handler-module>[#export] [--timeout SECONDS] [--event JSON] [--function-name NAME]
 *
 * Loads the module (CJS or ESM), calls its handler once with a Lambda-like context and a real
 * deadline, prints a JSON result line, and exits 0 on success, 1 on error, timeout, or an error
 * thrown while the module loads (`outcome: 'init-error'`, as Lambda's init phase fails).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LambdaContext } from '../src/lifecycle/invocation';
import { invokeLocally } from '../src/local/invoke';
import { CORE_BRIDGE_TARGETS, type LambdaArchitecture } from './packager';

const USAGE = `Usage:
  temporal-lambda-worker invoke <handler-module>[#export] [--timeout SECONDS] [--event JSON]
                                [--function-name NAME]
  temporal-lambda-worker package [--project DIR] [--handler lib/index.handler] [--arch x86_64|arm64]
                                 [--out function.zip] [--include FILE|FOLDER]... [--keep-bundler] [--no-bundle]
                                 [--source-map] [--allow-private-keys]

  invoke:
  Runs the handler once, locally, with a Lambda-like context whose deadline is --timeout seconds
  (default 60) away. Connection settings come from TEMPORAL_* env vars or temporal.toml as on Lambda.
  Example: TEMPORAL_ADDRESS=localhost:7233 npx temporal-lambda-worker invoke lib/index.js#handler --timeout 30

  package: builds a Lambda zip of what the handler loads (traced with @vercel/nft): production files,
  one architecture's Temporal core-bridge binary, temporal.toml and otel-collector-config.yaml when
  present, and each --include as it is (a folder with every file under it); the workflow bundler
  is left out (a pre-built workflowBundle does not need it) unless --keep-bundler. A CommonJS
  handler and what it loads are bundled with esbuild into one file (minified, names kept) in the
  handler's place, for a faster cold start; --source-map adds its map, --no-bundle packs the
  traced files as they are. Fails over Lambda's 50 MB zipped / 250 MB unzipped limits, and on
  TLS private keys unless --allow-private-keys.`;

const BOOLEAN_FLAGS = new Set(['keep-bundler', 'no-bundle', 'source-map', 'allow-private-keys', 'help']);

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parseFlags(args: string[]): {
  positional: string[];
  flags: Record<string, string>;
  repeated: Record<string, string[]>;
} {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  const repeated: Record<string, string[]> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h') flags.help = 'true';
    else if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
      const value = BOOLEAN_FLAGS.has(name) ? (inline ?? 'true') : (inline ?? args[++i]);
      if (value === undefined) fail(`Missing a value for --${name}.`);
      flags[name] = value;
      (repeated[name] ??= []).push(value);
    } else positional.push(arg);
  }
  return { positional, flags, repeated };
}

type LoadedHandler = ((event: unknown, context: LambdaContext) => unknown) | { initError: unknown };

/** Loads the handler module; an error its own code throws while loading is an init error, as on Lambda. */
async function loadHandler(spec: string): Promise<LoadedHandler> {
  const [file, exportName = 'handler'] = spec.split('#') as [string, string?];
  const resolved = path.resolve(file);
  if (!existsSync(resolved)) fail(`Cannot load ${resolved}: no such file.`);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  } catch (error) {
    return { initError: error };
  }
  const handler = loaded[exportName] ?? (loaded.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof handler !== 'function')
    fail(`${resolved} has no exported function '${exportName}'. Name it after '#', e.g. ${file}#handler.`);
  return handler as (event: unknown, context: LambdaContext) => unknown;
}

function describeError(error: unknown): unknown {
  return error instanceof Error ? { name: error.name, message: error.message } : error;
}

async function invokeCommand(args: string[]): Promise<number> {
  const { positional, flags } = parseFlags(args);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positional.length !== 1) fail('Name one handler module.');
  const timeoutSeconds = Number(flags.timeout ?? 60);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    fail(`--timeout must be a positive number of seconds; received '${flags.timeout}'.`);
  let event: unknown = {};
  if (flags.event !== undefined) {
    try {
      event = JSON.parse(flags.event);
    } catch {
      fail(`--event must be JSON; received '${flags.event}'.`);
    }
  }
  const handler = await loadHandler(positional[0]!);
  if (typeof handler !== 'function') {
    const initError = {
      outcome: 'init-error',
      error: describeError(handler.initError),
      timeoutMs: timeoutSeconds * 1000,
    };
    process.stdout.write(`${JSON.stringify({ localInvoke: initError })}\n`);
    return 1;
  }
  const result = await invokeLocally(handler, {
    timeoutMs: timeoutSeconds * 1000,
    event,
    functionName: flags['function-name'],
  });
  const report = { ...result, error: describeError(result.error), timeoutMs: timeoutSeconds * 1000 };
  process.stdout.write(`${JSON.stringify({ localInvoke: report })}\n`);
  if (result.outcome === 'timeout') process.stderr.write(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds\n`);
  return result.outcome === 'ok' ? 0 : 1;
}

async function packageCommand(args: string[]): Promise<number> {
  const { positional, flags, repeated } = parseFlags(args);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positional.length > 0) fail(`Unexpected argument '${positional[0]}'.`);
  const arch = flags.arch ?? 'x86_64';
  if (!(arch in CORE_BRIDGE_TARGETS)) fail(`--arch must be x86_64 or arm64; received '${arch}'.`);
  const { packageFunction, mb } = await import('./packager');
  try {
    const report = await packageFunction({
      projectDir: flags.project ?? '.',
      handler: flags.handler ?? 'lib/index.handler',
      arch: arch as LambdaArchitecture,
      outFile: flags.out ?? 'function.zip',
      include: repeated.include,
      keepBundler: flags['keep-bundler'] === 'true',
      allowPrivateKeys: flags['allow-private-keys'] === 'true',
      bundle: flags['no-bundle'] !== 'true',
      sourceMap: flags['source-map'] === 'true',
    });
    process.stdout.write(
      [
        `Wrote ${report.outFile} (${arch}, ${report.files} files)`,
        `  handler:  ${report.handler}`,
        `  zipped:   ${mb(report.zippedBytes)} of Lambda's 50 MB direct-upload limit`,
        `  unzipped: ${mb(report.unzippedBytes)} of Lambda's 250 MB limit`,
        report.stubbed.length > 0
          ? `  left out (workflow bundler, unused with a pre-built bundle): ${report.stubbed.join(', ')}`
          : '',
        report.singleFile.length > 0
          ? `  loaded from its single-file build (faster cold start): ${report.singleFile.join(', ')}`
          : '',
        report.bundle
          ? `  bundled:  ${report.handler.slice(0, report.handler.lastIndexOf('.'))} holds ${report.bundle.modules} ` +
            `modules in one file (${mb(report.bundle.bytes)}), for a faster cold start`
          : '',
        report.notBundled ? `  not bundled: ${report.notBundled}` : '',
        ...report.skipped.map(({ file, reason }) => `  skipped (--include): ${file}: ${reason}`),
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'invoke':
      return invokeCommand(rest);
    case 'package':
      return packageCommand(rest);
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      fail(`Unknown command '${command}'.`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
