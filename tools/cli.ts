/**
 * The `temporal-lambda-worker` command.
 *
 *   temporal-lambda-worker invoke <handler-module>[#export] [--timeout SECONDS] [--event JSON] [--function-name NAME]
 *
 * Loads the module (CJS or ESM), calls its handler once with a Lambda-like context and a real
 * deadline, prints a JSON result line, and exits 0 on success, 1 on error, timeout, or an error
 * thrown while the module loads (`outcome: 'init-error'`, as Lambda's init phase fails).
 * Each subcommand's options are parsed strictly by `./cli-args` (exit 2 on a usage error).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LambdaContext } from '../src/lifecycle/invocation';
import { invokeLocally } from '../src/local/invoke';
import { parseInvokeArgs, parsePackageArgs, UsageError } from './cli-args';
import { CORE_BRIDGE_TARGETS, mb, type LambdaArchitecture, type PackageReport } from './packager';

const USAGE = `Usage:
  temporal-lambda-worker invoke <handler-module>[#export] [--timeout SECONDS] [--event JSON]
                                [--function-name NAME]
  temporal-lambda-worker package [--project DIR] [--handler lib/index.handler] [--arch x86_64|arm64]
                                 [--out function.zip] [--include FILE|FOLDER]... [--keep-bundler] [--no-bundle]
                                 [--source-map] [--code-cache --memory MB [--node PATH]] [--allow-private-keys]

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
  traced files as they are. --code-cache runs the handler's init once with --node (the target
  runtime's exact Node; default: this one) and the V8 flags Lambda uses for --memory MB, and ships
  V8's code cache beside the bundle: used where V8 and flags match, ignored elsewhere. Fails over
  Lambda's 50 MB zipped / 250 MB unzipped limits, and on TLS private keys unless --allow-private-keys.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

/** Parses a subcommand's arguments; a usage error is printed with the usage, and the process exits 2. */
function parseOrFail<T>(parse: (args: string[]) => T, args: string[]): T {
  try {
    return parse(args);
  } catch (error) {
    if (error instanceof UsageError) fail(error.message);
    throw error;
  }
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
  if (typeof handler !== 'function') {
    fail(`${resolved} has no exported function '${exportName}'. Name it after '#', e.g. ${file}#handler.`);
  }
  return handler as (event: unknown, context: LambdaContext) => unknown;
}

function describeError(error: unknown): unknown {
  return error instanceof Error ? { name: error.name, message: error.message } : error;
}

async function invokeCommand(args: string[]): Promise<number> {
  const flags = parseOrFail(parseInvokeArgs, args);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const timeoutSeconds = readTimeoutSeconds(flags.timeout);
  const timeoutMs = timeoutSeconds * 1000;
  const event = readEvent(flags.event);
  const handler = await loadHandler(flags.handlerModule!);
  const printResult = (fields: Record<string, unknown>) =>
    process.stdout.write(`${JSON.stringify({ localInvoke: { ...fields, timeoutMs } })}\n`);
  if (typeof handler !== 'function') {
    printResult({ outcome: 'init-error', error: describeError(handler.initError) });
    return 1;
  }
  const result = await invokeLocally(handler, { timeoutMs, event, functionName: flags.functionName });
  printResult({ ...result, error: describeError(result.error) });
  if (result.outcome === 'timeout') process.stderr.write(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds\n`);
  return result.outcome === 'ok' ? 0 : 1;
}

function readTimeoutSeconds(timeout: string | undefined): number {
  const timeoutSeconds = Number(timeout ?? 60);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    fail(`--timeout must be a positive number of seconds; received '${timeout}'.`);
  }
  return timeoutSeconds;
}

function readEvent(event: string | undefined): unknown {
  if (event === undefined) return {};
  try {
    return JSON.parse(event) as unknown;
  } catch {
    fail(`--event must be JSON; received '${event}'.`);
  }
}

async function packageCommand(args: string[]): Promise<number> {
  const flags = parseOrFail(parsePackageArgs, args);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const arch = flags.arch ?? 'x86_64';
  if (!(arch in CORE_BRIDGE_TARGETS)) fail(`--arch must be x86_64 or arm64; received '${arch}'.`);
  const { packageFunction } = await import('./packager');
  try {
    const report = await packageFunction({
      projectDir: flags.project ?? '.',
      handler: flags.handler ?? 'lib/index.handler',
      arch: arch as LambdaArchitecture,
      outFile: flags.out ?? 'function.zip',
      include: flags.include,
      keepBundler: flags.keepBundler,
      allowPrivateKeys: flags.allowPrivateKeys,
      bundle: !flags.noBundle,
      sourceMap: flags.sourceMap,
      codeCache: flags.memoryMb === undefined ? undefined : { memoryMb: flags.memoryMb, node: flags.node },
    });
    process.stdout.write(`${reportLines(report, arch).join('\n')}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}

function reportLines(report: PackageReport, arch: string): string[] {
  const lines = [
    `Wrote ${report.outFile} (${arch}, ${report.files} files)`,
    `  handler:  ${report.handler}`,
    `  zipped:   ${mb(report.zippedBytes)} of Lambda's 50 MB direct-upload limit`,
    `  unzipped: ${mb(report.unzippedBytes)} of Lambda's 250 MB limit`,
  ];
  if (report.stubbed.length > 0) {
    lines.push(`  left out (workflow bundler, unused with a pre-built bundle): ${report.stubbed.join(', ')}`);
  }
  if (report.singleFile.length > 0) {
    lines.push(`  loaded from its single-file build (faster cold start): ${report.singleFile.join(', ')}`);
  }
  if (report.bundle) {
    const module = report.handler.slice(0, report.handler.lastIndexOf('.'));
    const size = `${report.bundle.modules} modules in one file (${mb(report.bundle.bytes)})`;
    lines.push(`  bundled:  ${module} holds ${size}, for a faster cold start`);
  }
  if (report.notBundled) lines.push(`  not bundled: ${report.notBundled}`);
  if (report.codeCache) {
    const { bytes, node, memoryMb, initError } = report.codeCache;
    lines.push(
      `  code cache: ${mb(bytes)} for Node ${node} at ${memoryMb} MB (used only under that Node and memory size)`,
    );
    if (initError)
      lines.push(`  code cache: the handler's init threw at package time (${initError}); cached what compiled`);
    const { rehearsal } = report.codeCache;
    if (rehearsal?.outcome === 'ok')
      lines.push(`  code cache: rehearsed one invocation on a stand-in frontend (${rehearsal.called.join(', ')})`);
    else if (rehearsal)
      lines.push(`  code cache: the rehearsal invocation ${rehearsal.outcome}; cached what compiled before`);
    for (const bundle of report.codeCache.workflowBundles)
      lines.push(`  code cache: ${mb(bundle.bytes)} for the workflow bundle ${bundle.zipPath}`);
  }
  for (const { file, reason } of report.skipped) lines.push(`  skipped (--include): ${file}: ${reason}`);
  return lines;
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
