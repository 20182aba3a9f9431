/**
 * Builds a Lambda deployment zip from what the handler actually loads, traced by @vercel/nft:
 * production files only, one architecture's Temporal core-bridge binary, and stubs in place of
 * the workflow bundler (webpack, swc, memfs, unionfs), which a handler with a pre-built
 * `workflowBundle` never runs; rxjs loads from its single-file build. Refuses TLS private keys
 * unless allowed, and fails when the zip is over Lambda's limits.
 */
import { createWriteStream, existsSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { bundleHandler } from './bundle';
import { addCodeCache, type CodeCacheOptions, type CodeCacheReport } from './code-cache';
import { loadBuildTool } from './build-tools';
import { includedFiles, type IncludedFiles, type SkippedFile } from './include-files';
import { PackageError } from './package-error';
import { refuseApiKeys, refusePrivateKeys, type PackedFile } from './secret-checks';
import { manifestsAbove, zipLayoutOf, zipPathOf } from './zip-paths';

export { PackageError };

/** Lambda's limit on a zip uploaded directly. */
export const DIRECT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024;
/** Lambda's limit on the unzipped function. */
export const UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

/** Architectures and their core-bridge targets. */
export const CORE_BRIDGE_TARGETS = { x86_64: 'x86_64-unknown-linux-gnu', arm64: 'aarch64-unknown-linux-gnu' } as const;
export type LambdaArchitecture = keyof typeof CORE_BRIDGE_TARGETS;

/** Packages only the workflow bundler loads; replaced by stubs unless `keepBundler`. */
export const BUNDLER_PACKAGES = [
  'webpack',
  'memfs',
  'unionfs',
  'swc-loader',
  '@swc/core',
  'source-map-loader',
  'terser',
  'esbuild',
];
/** Of those, the ones `@temporalio/worker` requires at import time: a stub takes their place. */
const STUBBED_AT_IMPORT = ['webpack', 'memfs', 'unionfs'];

type Entry = { source: string } | { content: string | Buffer };

export interface PackageOptions {
  /** The function's folder: the zip's root. */
  projectDir: string;
  /** Lambda handler setting, `module.export` relative to the project (`lib/index.handler`). */
  handler: string;
  arch: LambdaArchitecture;
  /** Zip to write. */
  outFile: string;
  /**
   * Files or folders of the project to pack as they are, besides what the handler loads: a folder
   * with every file under it (temporal.toml and otel-collector-config.yaml are added when present).
   */
  include?: string[];
  /** Keep webpack and the other bundler packages (needed only with `workflowsPath`). */
  keepBundler?: boolean;
  /** Pack files that hold a TLS private key. An `api_key` in a packed `.toml` file is refused all the same. */
  allowPrivateKeys?: boolean;
  /**
   * Bundle the handler and what it loads into one file in the handler's place (faster cold
   * start). Skipped for ES module handlers and with `keepBundler`.
   * @default true
   */
  bundle?: boolean;
  /**
   * With the bundle, also pack its source map (`lib/index.js.map`); run with
   * `NODE_OPTIONS=--enable-source-maps` to use it.
   */
  sourceMap?: boolean;
  /**
   * With the bundle, also ship a V8 code cache made by running the handler's init once with the
   * target runtime's Node and the flags of a `memoryMb` function (see `tools/code-cache.ts`).
   * Used only where the V8 version, architecture and flags match; elsewhere the bundle loads as before.
   */
  codeCache?: CodeCacheOptions;
}

export interface PackageReport {
  handler: string;
  outFile: string;
  files: number;
  unzippedBytes: number;
  zippedBytes: number;
  stubbed: string[];
  /** Packages whose CommonJS entry points load the single-file build the package ships. */
  singleFile: string[];
  /** The handler bundled into one file: how many modules it holds and its size. */
  bundle?: { modules: number; bytes: number };
  /** Why the handler was not bundled, when bundling was asked for. */
  notBundled?: string;
  /** The V8 code cache shipped with the bundle. */
  codeCache?: CodeCacheReport;
  /** What was found under an included folder and not packed, with the reason. */
  skipped: SkippedFile[];
}

/** Files no handler runs: type declarations, TypeScript sources, source maps. */
const NOT_RUN = /\.(d\.[cm]?ts|ts|map)$/;
const DEFAULT_EXTRAS = ['temporal.toml', 'otel-collector-config.yaml'];

/** As Node decides: by extension, else by the nearest package.json's `type`. */
function isEsModule(file: string): boolean {
  if (file.endsWith('.mjs') || file.endsWith('.cjs')) return file.endsWith('.mjs');
  return manifestsAbove(file).next().value?.manifest.type === 'module';
}

function stubSource(name: string): string {
  return `'use strict';
// Left out by temporal-lambda-worker package: the handler uses a pre-built workflowBundle, so the
// workflow bundler never runs. Repackage with --keep-bundler to bundle workflows at run time.
const message = ${JSON.stringify(
    `${name} is not in this deployment package (left out by temporal-lambda-worker package). ` +
      'Use a pre-built workflowBundle, or repackage with --keep-bundler.',
  )};
function unavailable() { throw new Error(message); }
module.exports = new Proxy(unavailable, {
  get(target, property) {
    if (property === '__esModule') return false;
    if (typeof property === 'symbol' || ['then', 'prototype', 'default'].includes(property)) return undefined;
    return unavailable;
  },
});
`;
}

/** Traces, filters and zips; throws {@link PackageError} naming the fix. */
export async function packageFunction(options: PackageOptions): Promise<PackageReport> {
  const projectDir = realProjectDir(options.projectDir);
  const [modulePath, exportName] = splitHandler(options.handler);
  const entry = handlerEntry(options.handler, modulePath, projectDir);
  const extras = extraFiles(options.include, projectDir);

  const target = CORE_BRIDGE_TARGETS[options.arch];
  const trace = await makeTrace(projectDir, options.keepBundler === true);
  const traced = await trace([entry, ...extras.files]);
  const layout = zipLayoutOf(projectDir);
  const toZipPath = (file: string) => zipPathOf(file, layout);
  const entries = new Map<string, Entry>();
  const stubbed = new Set<string>();
  const addFile = (absolute: string) => {
    const zipPath = toZipPath(absolute);
    if (zipPath === undefined || NOT_RUN.test(zipPath) || !statSync(absolute).isFile()) return;
    const bundler = options.keepBundler
      ? undefined
      : BUNDLER_PACKAGES.find((name) => zipPath.startsWith(`node_modules/${name}/`));
    if (bundler !== undefined) return void stubbed.add(bundler);
    entries.set(zipPath, { source: absolute });
  };
  for (const file of traced.fileList) addFile(path.join('/', file));
  for (const extra of extras.files) addIncludedFile(entries, extra, toZipPath(extra), projectDir);
  addCoreBridgeBinary(entries, entry, options.arch, target);
  if (!options.keepBundler) stubBundlerImports(entries, stubbed);
  const singleFile = useSingleFileRxjs(entries, traced.reasons, (file) => toZipPath(path.join('/', file)))
    ? ['rxjs']
    : [];
  if (!options.allowPrivateKeys) refusePrivateKeys(projectFiles(entries));
  refuseApiKeys(projectFiles(entries));
  const bundleWanted = options.bundle !== false;
  const notBundled = bundleWanted ? whyNotBundled(options, entry) : undefined;
  const bundle =
    bundleWanted && notBundled === undefined
      ? await bundleInto(entries, {
          entry,
          trace,
          toZipPath,
          sourceMap: options.sourceMap === true,
          addFile,
          included: new Set(extras.files),
        })
      : undefined;
  const codeCache = await codeCacheOf(entries, options, toZipPath(entry)!, exportName, bundle ? undefined : notBundled);
  const report = await writeZip(entries, path.resolve(options.outFile));
  const result = {
    handler: `${modulePath}.${exportName}`,
    outFile: path.resolve(options.outFile),
    files: entries.size,
    ...report,
    stubbed: [...stubbed].sort(),
    singleFile,
    bundle,
    notBundled,
    codeCache,
    skipped: extras.skipped,
  };
  checkLambdaLimits(result);
  return result;
}

/** Adds the V8 code cache when asked for; `notBundled` says why there is no bundle to cache. */
async function codeCacheOf(
  entries: Map<string, Entry>,
  options: PackageOptions,
  handlerZipPath: string,
  exportName: string,
  notBundled: string | undefined,
): Promise<CodeCacheReport | undefined> {
  if (options.codeCache === undefined) return undefined;
  if (notBundled !== undefined || options.bundle === false)
    throw new PackageError(
      `--code-cache needs the bundled handler, and it was not bundled: ${notBundled ?? '--no-bundle'}.`,
    );
  return addCodeCache(entries, handlerZipPath, exportName, options.codeCache);
}

/** The tracer, told to leave out the workflow bundler and the core-bridge's other platforms. */
async function makeTrace(projectDir: string, keepBundler: boolean) {
  const { nodeFileTrace } = await loadBuildTool('@vercel/nft', () => import('@vercel/nft'));
  const ignoreBundler = (file: string) =>
    !keepBundler && BUNDLER_PACKAGES.some((name) => file.includes(`node_modules/${name}/`));
  const otherBridgeFiles = /node_modules\/@temporalio\/core-bridge\/(?!package\.json|index\.js|common\.js|lib\/)/;
  return (files: string[]) =>
    nodeFileTrace(files, {
      base: '/',
      processCwd: projectDir,
      ignore: (file) => ignoreBundler(`/${file}`) || otherBridgeFiles.test(file),
    });
}

/** The project folder's real path: the tracer reports real paths, and the zip paths are relative to it. */
function realProjectDir(projectDir: string): string {
  const resolved = path.resolve(projectDir);
  if (!existsSync(resolved)) throw new PackageError(`--project ${resolved}: no such folder.`);
  return realpathSync(resolved);
}

/** The handler's compiled module in the project. */
function handlerEntry(handler: string, modulePath: string, projectDir: string): string {
  const entry = ['.js', '.cjs', '.mjs'].map((ext) => path.join(projectDir, modulePath + ext)).find(existsSync);
  if (entry !== undefined) return entry;
  throw new PackageError(
    `The handler '${handler}' needs ${modulePath}.js (or .cjs/.mjs) in ${projectDir}. Compile the project ` +
      `first (for example npx tsc), or fix --handler.`,
  );
}

/** temporal.toml and otel-collector-config.yaml when present, and what --include names (a folder's files). */
function extraFiles(include: string[] | undefined, projectDir: string): IncludedFiles {
  const present = DEFAULT_EXTRAS.filter((file) => existsSync(path.join(projectDir, file)));
  return includedFiles(projectDir, [...present, ...(include ?? [])]);
}

/** Packs a file the user included as it is, whatever it is; throws when it has no place in the zip. */
function addIncludedFile(entries: Map<string, Entry>, file: string, zipPath: string | undefined, projectDir: string) {
  if (zipPath === undefined) {
    throw new PackageError(
      `--include ${file}: outside the project folder (${projectDir}) and not in a package, so it has no ` +
        `place in the zip. Copy it into the project folder and include it from there.`,
    );
  }
  entries.set(zipPath, { source: file });
}

/** The core-bridge binary is found at run time from the platform: adds the one for the target. */
function addCoreBridgeBinary(
  entries: Map<string, Entry>,
  entry: string,
  arch: LambdaArchitecture,
  target: string,
): void {
  const bridgeIndex = [...entries.keys()].find((key) => key.endsWith('@temporalio/core-bridge/index.js'));
  if (bridgeIndex === undefined) {
    throw new PackageError(`${entry} does not load @temporalio/core-bridge: is it a temporal-lambda-worker handler?`);
  }
  const bridgeDir = path.dirname((entries.get(bridgeIndex) as { source: string }).source);
  const binary = path.join(bridgeDir, 'releases', target, 'index.node');
  if (!existsSync(binary)) {
    throw new PackageError(
      `No core-bridge binary for ${arch} at ${binary}. Reinstall @temporalio/core-bridge (npm install) on ` +
        `any machine: it ships all targets.`,
    );
  }
  entries.set(`${path.dirname(bridgeIndex)}/releases/${target}/index.node`, { source: binary });
}

/** Stubs what the worker requires at import time but never runs with a pre-built bundle. */
function stubBundlerImports(entries: Map<string, Entry>, stubbed: Set<string>): void {
  for (const name of STUBBED_AT_IMPORT) {
    entries.set(`node_modules/${name}/package.json`, {
      content: JSON.stringify({ name, version: '0.0.0-left-out', main: 'index.js' }),
    });
    entries.set(`node_modules/${name}/index.js`, { content: stubSource(name) });
    stubbed.add(name);
  }
}

/** Why a wanted bundle cannot be made, or undefined when it can. */
function whyNotBundled(options: PackageOptions, entry: string): string | undefined {
  if (options.keepBundler) return '--keep-bundler loads webpack from node_modules';
  return isEsModule(entry) ? 'the handler is an ES module' : undefined;
}

/** Refuses a zip over Lambda's limits. */
function checkLambdaLimits(result: { outFile: string; zippedBytes: number; unzippedBytes: number }): void {
  if (result.zippedBytes <= DIRECT_UPLOAD_LIMIT_BYTES && result.unzippedBytes <= UNZIPPED_LIMIT_BYTES) return;
  throw new PackageError(
    `${result.outFile} is ${mb(result.zippedBytes)} zipped and ${mb(result.unzippedBytes)} unzipped, over Lambda's ` +
      `limits (50 MB zipped for direct upload, 250 MB unzipped). Leave out what the handler does not need, upload ` +
      `through S3 (--s3-bucket) for zips over 50 MB, or use a container image.`,
  );
}

interface BundleContext {
  /** The handler module: the bundle takes its place in the zip. */
  entry: string;
  toZipPath: (file: string) => string | undefined;
  sourceMap: boolean;
  trace: (files: string[]) => Promise<{ fileList: Set<string> }>;
  addFile: (absolute: string) => void;
  /** Files the user included: kept even when the bundle holds their code. */
  included: Set<string>;
}

/**
 * Puts the bundle in the handler's place, in place of the files it holds. Files it leaves to run
 * time (loaded by path, such as the workflow bundle and the workflow worker thread, or through a
 * computed name) stay, and what they require is traced and packed again.
 */
async function bundleInto(entries: Map<string, Entry>, context: BundleContext): Promise<PackageReport['bundle']> {
  const virtualModules = new Map(STUBBED_AT_IMPORT.map((name) => [name, stubSource(name)]));
  const redirects = new Map<string, string>();
  const rxjsBundle = entries.get(RXJS_BUNDLE); // packed when rxjs loads from its single-file build
  if (rxjsBundle !== undefined && 'source' in rxjsBundle) {
    redirects.set('rxjs', rxjsBundle.source);
    virtualModules.set('rxjs/operators', "module.exports = require('rxjs').operators;");
  }
  let bundled;
  try {
    bundled = await bundleHandler({
      entry: context.entry,
      zipPathOf: context.toZipPath,
      virtualModules,
      redirects,
      sourceMap: context.sourceMap,
    });
  } catch (error) {
    throw new PackageError(
      `Could not bundle ${context.entry} into one file:\n  ${(error as Error).message}\nFix the module named above, ` +
        `or package without bundling (--no-bundle).`,
      { cause: error },
    );
  }
  // What the tracer found and esbuild did not inline is loaded at run time: keep it, with what it requires.
  const leftToRunTime: string[] = [];
  for (const [zipPath, entry] of [...entries]) {
    if (!('source' in entry)) continue;
    const inBundleOnly = bundled.inputs.has(entry.source) && !bundled.resolvedAtRunTime.has(entry.source);
    if (inBundleOnly && !context.included.has(entry.source)) entries.delete(zipPath);
    else if (/\.[cm]?js$/.test(entry.source)) leftToRunTime.push(entry.source);
  }
  for (const file of (await context.trace(leftToRunTime)).fileList) context.addFile(path.join('/', file));
  for (const [zipPath, entry] of [...entries])
    if ('content' in entry && !isStillNeeded(zipPath, entries)) entries.delete(zipPath);
  const handlerZipPath = context.toZipPath(context.entry)!;
  entries.set(handlerZipPath, { content: bundled.code });
  if (bundled.map !== undefined) entries.set(`${handlerZipPath}.map`, { content: bundled.map });
  return { modules: bundled.inputs.size, bytes: Buffer.byteLength(bundled.code) };
}

/** Stubs and shims stay only while a packed file may load them. */
function isStillNeeded(zipPath: string, entries: Map<string, Entry>): boolean {
  if (zipPath.startsWith(RXJS_CJS)) return entries.has(RXJS_BUNDLE);
  if (STUBBED_AT_IMPORT.some((name) => zipPath.startsWith(`node_modules/${name}/`)))
    return entries.has('node_modules/@temporalio/worker/lib/workflow/bundler.js');
  return true;
}

const RXJS_CJS = 'node_modules/rxjs/dist/cjs/';
const RXJS_BUNDLE = 'node_modules/rxjs/dist/bundles/rxjs.umd.min.js';

/**
 * `@temporalio/worker` requires `rxjs` and `rxjs/operators` at import: about 300 CommonJS
 * modules, ~75 ms of every cold start. rxjs ships the same library, same version, as one UMD
 * file that loads in ~13 ms; the two entry points are pointed at it and the modules behind them
 * left out. Skipped when any other traced file reaches into rxjs's modules directly (two copies
 * of its classes would then meet).
 */
function useSingleFileRxjs(
  entries: Map<string, Entry>,
  reasons: Map<string, { parents: Set<string> }>,
  zipPathOfTraced: (file: string) => string | undefined,
): boolean {
  const index = entries.get(`${RXJS_CJS}index.js`);
  if (index === undefined || !('source' in index)) return false;
  const bundle = path.resolve(path.dirname(index.source), '..', 'bundles', 'rxjs.umd.min.js');
  if (!existsSync(bundle)) return false;
  const entryPoints = new Set([`${RXJS_CJS}index.js`, `${RXJS_CJS}operators/index.js`]);
  const inRxjs = (file: string) => zipPathOfTraced(file)?.startsWith(RXJS_CJS) === true;
  for (const [file, reason] of reasons) {
    if (!inRxjs(file) || entryPoints.has(zipPathOfTraced(file)!)) continue;
    if ([...reason.parents].some((parent) => !inRxjs(parent))) return false;
  }
  for (const key of [...entries.keys()]) if (key.startsWith(RXJS_CJS)) entries.delete(key);
  entries.set(RXJS_BUNDLE, { source: bundle });
  entries.set(`${RXJS_CJS}index.js`, {
    content: "'use strict';\nmodule.exports = require('../bundles/rxjs.umd.min.js');\n",
  });
  entries.set(`${RXJS_CJS}operators/index.js`, {
    content: "'use strict';\nmodule.exports = require('../../bundles/rxjs.umd.min.js').operators;\n",
  });
  return true;
}

function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1)
    throw new PackageError(`--handler must be module.export, like lib/index.handler; received '${handler}'.`);
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}

/** The project's own files packed from disk (not node_modules): the ones read for secrets. */
function projectFiles(entries: Map<string, Entry>): PackedFile[] {
  return [...entries].flatMap(([zipPath, entry]) =>
    zipPath.startsWith('node_modules/') || !('source' in entry) ? [] : [{ zipPath, source: entry.source }],
  );
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function writeZip(
  entries: Map<string, Entry>,
  outFile: string,
): Promise<{ unzippedBytes: number; zippedBytes: number }> {
  const { ZipFile } = await loadBuildTool('yazl', () => import('yazl'));
  const zip = new ZipFile();
  let unzippedBytes = 0;
  const mtime = new Date('2020-01-01T00:00:00Z'); // reproducible zips
  for (const zipPath of [...entries.keys()].sort()) {
    const entry = entries.get(zipPath)!;
    if ('source' in entry) {
      unzippedBytes += statSync(entry.source).size;
      zip.addFile(entry.source, zipPath, { mtime, mode: 0o100644 });
    } else {
      const buffer = Buffer.from(entry.content);
      unzippedBytes += buffer.length;
      zip.addBuffer(buffer, zipPath, { mtime, mode: 0o100644 });
    }
  }
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(outFile);
    zip.outputStream.pipe(out).on('close', resolve).on('error', reject);
  });
  return { unzippedBytes, zippedBytes: statSync(outFile).size };
}
