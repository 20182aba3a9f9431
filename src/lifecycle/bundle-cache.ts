/**
 * V8's code cache of the workflow bundle, shipped by `package --code-cache`. A cold invocation's
 * `Worker.create` compiles the bundle (a few MB with its inline source map: about 11 ms of the
 * first poll). At init, when the zip holds a cache made for this V8 beside the bundle, the bundle
 * is compiled from it (about 1.4 ms): V8 keeps that compile in the isolate's compilation cache,
 * and the SDK's own compiles of the same text then take it from there, the functions its first
 * run compiled included. From Node 22 on only: Node 20's V8 does not keep a compile made from a
 * code cache for later compiles. Never throws: without the prime the SDK compiles as it would.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { debuglog } from 'node:util';
import { Script } from 'node:vm';
import { readEnv, type Env } from '../config/env';

const debug = debuglog('tlw-code-cache');

/** Set by the package command while it runs the handler's init: the folder for the bundle's cache. */
export const PACKAGE_CODE_CACHE_DIR = 'TLW_PACKAGE_CODE_CACHE_DIR';
/** The package command's list of the caches made (JSON lines of {@link MadeBundleCache}), in that folder. */
export const MADE_CACHES_FILE = 'workflow-bundles.jsonl';

/** One cache made at package time. */
export interface MadeBundleCache {
  /** The bundle's path where the package command staged the zip. */
  bundle: string;
  /** The cache's file name in the package command's folder. */
  cache: string;
  /** The name the cache goes by beside the bundle (see {@link cacheFileName}). */
  name: string;
}

/** What priming did. */
export type PrimeOutcome = 'used' | 'rejected' | 'no cache' | 'made' | 'skipped' | 'failed';

/** What priming did, and what it said of it under `NODE_DEBUG=tlw-code-cache` (nothing when skipped). */
export interface Prime {
  outcome: PrimeOutcome;
  said?: string;
}

/** Compiled bundles, kept alive (V8 drops a compilation cache entry with its last script), by path. */
const primed = new Map<string, { script: Script; prime: Prime }>();

/** The cache's file name beside the bundle: one per V8 version and architecture. */
export function cacheFileName(bundleFile: string, v8 = process.versions.v8, arch = process.arch): string {
  return `${path.basename(bundleFile)}.v8-${v8}-${arch}.code-cache`;
}

/**
 * The path the SDK compiles the bundle under, when it compiles the file's text as it is: an
 * absolute, normalized `workflowBundle.codePath`. Otherwise the SDK rewrites the text (its
 * source map's file name), which no cache of the file would match.
 */
function bundlePathOf(workflowBundle: unknown): string | undefined {
  const codePath = (workflowBundle as { codePath?: unknown } | undefined)?.codePath;
  if (typeof codePath !== 'string' || !path.isAbsolute(codePath) || path.resolve(codePath) !== codePath) return;
  return codePath;
}

/**
 * Compiles the workflow bundle from its shipped cache (at init, after configure), or, when the
 * package command runs the init, makes that cache. Once per bundle and process: a later call
 * (another setup attempt) gives the first one's outcome.
 */
export function primeWorkflowBundle(workflowBundle: unknown, env: Env, nodeMajor: number): Prime {
  const bundle = bundlePathOf(workflowBundle);
  if (bundle === undefined || nodeMajor < 22) return { outcome: 'skipped' };
  const earlier = primed.get(bundle);
  if (earlier) return earlier.prime;
  try {
    const outDir = readEnv(env, PACKAGE_CODE_CACHE_DIR);
    if (outDir !== undefined) return makeCache(bundle, outDir);
    const cacheFile = path.join(path.dirname(bundle), cacheFileName(bundle));
    if (!existsSync(cacheFile)) return said(bundle, 'no cache', `none for V8 ${process.versions.v8} (${process.arch})`);
    const script = new Script(readFileSync(bundle, 'utf8'), { filename: bundle, cachedData: readFileSync(cacheFile) });
    const prime = script.cachedDataRejected
      ? said(bundle, 'rejected', 'rejected by V8 (made with other V8 flags, or for another build of the bundle)')
      : said(bundle, 'used', 'used');
    primed.set(bundle, { script, prime });
    return prime;
  } catch (error) {
    return said(bundle, 'failed', `failed: ${(error as Error).message}`);
  }
}

function makeCache(bundle: string, outDir: string): Prime {
  // Compiled, not run: a run in an empty context added 0.5 KB to the example's 2.1 MB cache.
  const script = new Script(readFileSync(bundle, 'utf8'), { filename: bundle });
  const name = cacheFileName(bundle);
  const made: MadeBundleCache = { bundle, cache: `${primed.size}-${name}`, name };
  writeFileSync(path.join(outDir, made.cache), script.createCachedData());
  appendFileSync(path.join(outDir, MADE_CACHES_FILE), `${JSON.stringify(made)}\n`);
  const prime = said(bundle, 'made', `made: ${made.cache}`);
  primed.set(bundle, { script, prime });
  return prime;
}

function said(bundle: string, outcome: PrimeOutcome, words: string): Prime {
  debug('workflow bundle %s: %s', bundle, words);
  return { outcome, said: words };
}
