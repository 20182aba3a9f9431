/**
 * The packager's V8 code cache (`--code-cache`): the bundled handler is run once at package time
 * by the Node of the target runtime, with the V8 flags Lambda's Node.js runtime starts node with
 * for the function's memory size, its init then one rehearsal invocation against a stand-in
 * frontend, and V8's code for every function compiled by then is saved beside the bundle. A small
 * loader takes the handler's place: under the same V8 and flags it compiles the bundle from that
 * cache (no parsing, and the functions of the init and of a first invocation arrive compiled);
 * under any other V8 (another Node version), architecture or flags, or with source maps enabled,
 * it loads the bundle as Node loads any module.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MADE_CACHES_FILE, PACKAGE_CODE_CACHE_DIR, type MadeBundleCache } from '../src/lifecycle/bundle-cache';
import { PACKAGE_REHEARSAL_ADDRESS } from '../src/lifecycle/rehearsal';
import { PackageError } from './package-error';

type Entry = { source: string } | { content: string | Buffer };

export interface CodeCacheOptions {
  /**
   * The function's memory size (MB): Lambda sizes V8's heap from it. V8 keys the cache on its
   * flags; up to V8 12 (Node 22) the heap sizes count, from V8 13 (Node 24) they do not.
   */
  memoryMb: number;
  /** The Node binary of the target runtime (its exact version): the one running the packager by default. */
  node?: string;
}

export interface CodeCacheReport {
  bytes: number;
  node: string;
  memoryMb: number;
  /** The handler's init threw at package time: the cache holds what was compiled before. */
  initError?: string;
  /**
   * How the rehearsal invocation went (`ok`, or why it did not run or failed: the cache then holds
   * what compiled before), and the gRPC methods the worker called on the stand-in.
   */
  rehearsal?: { outcome: string; called: string[] };
  /** The workflow bundles the init configured, each with its own cache beside it (Node 22 and later). */
  workflowBundles: Array<{ zipPath: string; bytes: number }>;
}

/** Longest the handler's init may run at package time. */
const INIT_LIMIT_MS = 60_000;

/**
 * The flags Lambda's Node.js runtime starts node with (its bootstrap script): a tenth of the
 * memory as new space, half of that as semi-space, the rest as old space.
 */
export function lambdaNodeArgs(memoryMb: number): string[] {
  const newSpaceMb = Math.floor(memoryMb / 10);
  return [
    '--expose-gc',
    '--max-http-header-size=81920',
    `--max-semi-space-size=${Math.floor(newSpaceMb / 2)}`,
    `--max-old-space-size=${memoryMb - newSpaceMb}`,
  ];
}

/** The rehearsal's invocation time: the work window ends the default 7 s shutdown buffer before it. */
export const REHEARSAL_REMAINING_MS = 12_000;
/** The longest the producer waits for the rehearsal's handler to settle. */
const REHEARSAL_LIMIT_MS = 20_000;

/**
 * Runs the bundle as a CommonJS module through vm.Script (the loader does the same), rehearses one
 * invocation of its handler against a stand-in frontend (see src/lifecycle/rehearsal.ts), then
 * saves V8's cache. The stand-in is an HTTP/2 server that answers every gRPC call with an empty
 * message and holds long polls open until they are cancelled: the worker connects, polls and shuts
 * down as on Lambda, and no task ever arrives.
 */
const PRODUCER = `
const fs = require('fs'), http2 = require('http2'), path = require('path'), vm = require('vm');
const Module = require('module');
const [file, cacheFile, reportFile, exportName] = process.argv.slice(1);
const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);

function startStandIn() {
  const methods = new Set();
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const method = String(headers[':path']);
    methods.add(method.slice(method.lastIndexOf('/') + 1));
    stream.on('error', () => {});
    stream.resume();
    const answer = () => {
      if (stream.closed || stream.destroyed) return;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(EMPTY_MESSAGE);
    };
    if (!method.includes('/Poll')) return stream.on('end', answer);
    const timer = setTimeout(answer, 60000);
    stream.on('close', () => clearTimeout(timer));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, methods })));
}

async function rehearse(handler) {
  if (typeof handler !== 'function') return 'not run: the handler export is not a function';
  const endsAt = Date.now() + ${REHEARSAL_REMAINING_MS};
  const context = {
    awsRequestId: 'package-rehearsal',
    functionName: 'temporal-lambda-worker-package',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:temporal-lambda-worker-package',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
  };
  try {
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(resolve, ${REHEARSAL_LIMIT_MS}, 'late')));
    const outcome = await Promise.race([Promise.resolve(handler({}, context)).then(() => 'ok'), late]);
    clearTimeout(timer);
    if (outcome === 'ok') return 'ok';
    return 'failed: the handler had not settled ${REHEARSAL_LIMIT_MS / 1000} s after it was invoked';
  } catch (error) {
    return 'failed: ' + String((error && error.message) || error).slice(0, 300);
  }
}

(async () => {
  const standIn = await startStandIn();
  process.env.${PACKAGE_REHEARSAL_ADDRESS} = '127.0.0.1:' + standIn.server.address().port;
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), {
    filename: file,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const bundle = new Module(file, module);
  bundle.filename = file;
  bundle.paths = Module._nodeModulePaths(path.dirname(file));
  Module._cache[file] = bundle;
  let initError, rehearsal;
  try {
    const run = script.runInThisContext();
    run.call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, path.dirname(file));
  } catch (error) {
    initError = String((error && error.message) || error).slice(0, 500);
  }
  if (initError === undefined) rehearsal = await rehearse(bundle.exports[exportName]);
  const called = [...standIn.methods];
  standIn.server.close();
  setTimeout(() => {
    fs.writeFileSync(cacheFile, script.createCachedData());
    const made = { v8: process.versions.v8, arch: process.arch, node: process.version, initError, rehearsal, called };
    fs.writeFileSync(reportFile, JSON.stringify(made));
    process.exit(0);
  }, 100);
})();
`;

/** The loader in the handler's place; `made` is what the cache was made by. */
function loaderSource(bundleName: string, made: { v8: string; arch: string; node: string }, memoryMb: number): string {
  return `'use strict';
// Written by temporal-lambda-worker package --code-cache: loads ./${bundleName} from the V8 code
// cache made for it by Node ${made.node} (${made.arch}) with the flags of a ${memoryMb} MB function.
// Any other V8, architecture or flags, or source maps enabled: the bundle loads as any module.
// NODE_DEBUG=tlw-code-cache says which.
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');
const debug = require('util').debuglog('tlw-code-cache');
const BUNDLE = path.join(__dirname, ${JSON.stringify(bundleName)});

function fromCodeCache() {
  if (process.versions.v8 !== ${JSON.stringify(made.v8)} || process.arch !== ${JSON.stringify(made.arch)})
    return debug(
      'not used: made for V8 ${made.v8} (Node ${made.node}, ${made.arch}), this is V8 %s (Node %s, %s)',
      process.versions.v8,
      process.version,
      process.arch,
    );
  if (process.sourceMapsEnabled) return debug('not used: source maps are enabled');
  if (!vm.constants) return debug('not used: this Node cannot run import() from vm scripts');
  let cachedData;
  try {
    cachedData = fs.readFileSync(BUNDLE + '.code-cache');
  } catch (error) {
    return debug('not used: %s', error.message);
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(BUNDLE, 'utf8')), {
    filename: BUNDLE,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const rejected = 'rejected by V8: flags other than those of the ${memoryMb} MB function it was made for';
  debug(script.cachedDataRejected ? rejected : 'used');
  const bundle = new Module(BUNDLE, module);
  bundle.filename = BUNDLE;
  bundle.paths = Module._nodeModulePaths(__dirname);
  Module._cache[BUNDLE] = bundle;
  try {
    const run = script.runInThisContext();
    run.call(bundle.exports, bundle.exports, Module.createRequire(BUNDLE), bundle, BUNDLE, __dirname);
  } catch (error) {
    delete Module._cache[BUNDLE];
    throw error;
  }
  bundle.loaded = true;
  return bundle;
}

const loaded = fromCodeCache();
module.exports = loaded ? loaded.exports : require(BUNDLE);
`;
}

/** Writes the zip's entries into `dir` as Lambda would unpack them. */
function stage(entries: Map<string, Entry>, dir: string): void {
  for (const [zipPath, entry] of entries) {
    const target = path.join(dir, zipPath);
    mkdirSync(path.dirname(target), { recursive: true });
    if ('source' in entry) cpSync(entry.source, target);
    else writeFileSync(target, entry.content);
  }
}

function runProducer(node: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), INIT_LIMIT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stderr);
      else reject(new Error(`exited with ${signal ?? `code ${code}`}${stderr ? `:\n${stderr}` : ''}`));
    });
  });
}

/**
 * Runs the producer in `dir` (the staged zip) with `node` and the flags of a `memoryMb` function;
 * `args` are the producer's, `extraEnv` the library's package-time settings.
 */
async function produce(node: string, memoryMb: number, dir: string, args: string[], extraEnv: NodeJS.ProcessEnv) {
  // The packager's environment (settings the init may read), as a Lambda environment would see
  // it; NODE_OPTIONS left out: its flags would not be the function's, and V8 keys the cache on them.
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
  const env = {
    ...inherited,
    HOME: dir,
    LAMBDA_TASK_ROOT: dir,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_NAME: 'temporal-lambda-worker-package',
    ...extraEnv,
  };
  try {
    await runProducer(node, [...lambdaNodeArgs(memoryMb), '-e', PRODUCER, ...args], dir, env);
  } catch (error) {
    throw new PackageError(
      `--code-cache: running the handler's init with ${node} failed (${(error as Error).message}). Check --node ` +
        `(the target runtime's Node binary), or package without --code-cache.`,
      { cause: error },
    );
  }
}

/**
 * Makes the cache for the bundle at `handlerZipPath` and puts the loader in its place; the
 * bundle moves to `<name>.bundle<ext>`, its cache beside it.
 */
export async function addCodeCache(
  entries: Map<string, Entry>,
  handlerZipPath: string,
  exportName: string,
  options: CodeCacheOptions,
): Promise<CodeCacheReport> {
  const node = options.node ?? process.execPath;
  const ext = path.posix.extname(handlerZipPath);
  const bundleZipPath = `${handlerZipPath.slice(0, -ext.length)}.bundle${ext}`;
  entries.set(bundleZipPath, entries.get(handlerZipPath)!);
  entries.delete(handlerZipPath);
  const dir = mkdtempSync(path.join(tmpdir(), 'tlw-code-cache-'));
  const bundleCaches = mkdtempSync(path.join(tmpdir(), 'tlw-bundle-caches-'));
  try {
    stage(entries, dir);
    const [cacheFile, reportFile] = [path.join(dir, 'code-cache.bin'), path.join(dir, 'code-cache.json')];
    await produce(node, options.memoryMb, dir, [path.join(dir, bundleZipPath), cacheFile, reportFile, exportName], {
      [PACKAGE_CODE_CACHE_DIR]: bundleCaches,
    });
    const made = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      v8: string;
      arch: string;
      node: string;
      initError?: string;
      rehearsal?: string;
      called: string[];
    };
    const cache = readFileSync(cacheFile);
    entries.set(`${bundleZipPath}.code-cache`, { content: cache });
    entries.set(handlerZipPath, { content: loaderSource(path.posix.basename(bundleZipPath), made, options.memoryMb) });
    const workflowBundles = addBundleCaches(entries, dir, bundleCaches);
    return {
      bytes: cache.length,
      node: made.node,
      memoryMb: options.memoryMb,
      initError: made.initError,
      rehearsal: made.rehearsal === undefined ? undefined : { outcome: made.rehearsal, called: made.called },
      workflowBundles,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundleCaches, { recursive: true, force: true });
  }
}

/**
 * Puts each workflow bundle's cache made during the init beside the bundle in the zip (the
 * library names them; see src/lifecycle/bundle-cache.ts). A bundle outside the zip gets none.
 */
function addBundleCaches(
  entries: Map<string, Entry>,
  stageDir: string,
  cacheDir: string,
): CodeCacheReport['workflowBundles'] {
  const list = path.join(cacheDir, MADE_CACHES_FILE);
  if (!existsSync(list)) return [];
  const added: CodeCacheReport['workflowBundles'] = [];
  for (const line of readFileSync(list, 'utf8').split('\n').filter(Boolean)) {
    const made = JSON.parse(line) as MadeBundleCache;
    const zipPath = path.relative(stageDir, made.bundle).split(path.sep).join('/');
    if (!entries.has(zipPath)) continue;
    const content = readFileSync(path.join(cacheDir, made.cache));
    entries.set(path.posix.join(path.posix.dirname(zipPath), made.name), { content });
    added.push({ zipPath, bytes: content.length });
  }
  return added;
}
