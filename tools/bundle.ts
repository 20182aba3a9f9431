/**
 * The packager's bundling step: the handler and every module it requires at load time, built by
 * esbuild into one CommonJS file (minified, names kept) that takes the handler's place in the zip. Node then
 * reads, resolves and compiles one file instead of hundreds.
 *
 * Code that finds files next to itself keeps working: in every bundled CommonJS module but the
 * handler (which keeps its own folder), `__dirname` and `__filename` are the module's original
 * place in the zip, and `require.resolve('./relative')` resolves the same file from the bundle.
 * The packager keeps the files behind them (the core-bridge binary, the workflow worker thread).
 */
import { readFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import * as path from 'node:path';
import type { Plugin } from 'esbuild';
import { loadBuildTool } from './build-tools';

export interface BundleOptions {
  /** The handler module (CommonJS). The bundle replaces it at the same path. */
  entry: string;
  /** A file's path in the zip (`node_modules/...` for packages, wherever they are installed). */
  zipPathOf: (file: string) => string | undefined;
  /** Bare specifiers served from source text instead: stubs for the workflow bundler, shims. */
  virtualModules: Map<string, string>;
  /** A bare specifier to load from another file instead (rxjs from its single-file build). */
  redirects: Map<string, string>;
  /** Also write a source map (`<handler>.js.map`, without the sources' text). */
  sourceMap: boolean;
}

export interface BundleResult {
  code: string;
  /** The source map, when asked for; the code names it on its last line. */
  map?: string;
  /** Absolute paths of the files inside the bundle. */
  inputs: Set<string>;
  /** Absolute paths of the files the bundle finds with `require.resolve`: they must stay in the zip. */
  resolvedAtRunTime: Set<string>;
}

/** ES module syntax: such a file cannot be wrapped in a function, and has no `__dirname` anyway. */
const ES_MODULE_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s)/m;

/**
 * Runs a module with its original `__dirname` and `__filename` (its place in the zip): its source
 * is wrapped in a function that takes them as parameters, computed from the bundle's own
 * `__dirname` (esbuild's module wrappers leave that name alone).
 */
function withOwnLocation(source: string, zipPath: string, bundleDir: string): string {
  if (ES_MODULE_SYNTAX.test(source)) return source;
  const fromBundle = (target: string) =>
    `require("path").join(__dirname, ${JSON.stringify(path.posix.relative(bundleDir, target))})`;
  const body = source.startsWith('#!') ? source.slice(source.indexOf('\n') + 1) : source;
  return (
    `(function (__dirname, __filename) {${body}\n}).call(this, ${fromBundle(path.posix.dirname(zipPath))}, ` +
    `${fromBundle(zipPath)});\n`
  );
}

/**
 * `require.resolve('./x')` (or `'package/x'`) with a literal name becomes the same call with the
 * resolved file's path relative to the bundle: esbuild leaves `require.resolve` to run time,
 * where it resolves from the bundle's folder.
 */
function withResolvedPaths(
  source: string,
  file: string,
  bundleDir: string,
  zipPathOf: BundleOptions['zipPathOf'],
  resolved: Set<string>,
): string {
  return source.replace(/require\.resolve\((['"])([^'"\n]+)\1\)/g, (call, _quote: string, specifier: string) => {
    if (isBuiltin(specifier)) return call;
    let absolute: string;
    try {
      absolute = createRequire(file).resolve(specifier);
    } catch {
      return call; // not there at package time: left to fail, or not, at run time as before
    }
    const target = zipPathOf(absolute);
    if (target === undefined) return call;
    resolved.add(absolute);
    const relative = path.posix.relative(bundleDir, target);
    return `require.resolve(${JSON.stringify(relative.startsWith('../') ? relative : `./${relative}`)})`;
  });
}

/** The index just past the object literal that starts at `start` (strings may hold braces). */
function endOfObject(source: string, start: number): number | undefined {
  let depth = 0;
  for (let i = start, inString = false; i < source.length; i++) {
    const char = source[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return i + 1;
  }
  return undefined;
}

/**
 * protobufjs's JSON modules (`@temporalio/proto` holds 1.4 MB of one) pass their schema to
 * `addJSON` as an object literal. When that literal is plain JSON, it is handed over as a
 * `JSON.parse` string instead: V8 parses JSON much faster than the same object as JavaScript.
 */
function withJsonSchema(source: string): string {
  const call = '.addJSON(';
  const start = source.indexOf(call);
  if (start < 0 || source[start + call.length] !== '{') return source;
  const end = endOfObject(source, start + call.length);
  if (end === undefined) return source;
  let schema: unknown;
  try {
    schema = JSON.parse(source.slice(start + call.length, end));
  } catch {
    return source; // not plain JSON: left as it is
  }
  const inlined = `JSON.parse(${JSON.stringify(JSON.stringify(schema))})`;
  return `${source.slice(0, start + call.length)}${inlined}${source.slice(end)}`;
}

/** `bundleDir` is the bundle's folder in the zip. */
function locationPlugin(
  entry: string,
  bundleDir: string,
  zipPathOf: BundleOptions['zipPathOf'],
  resolved: Set<string>,
): Plugin {
  return {
    name: 'temporal-lambda-worker-locations',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?js$/ }, async (args) => {
        let source = await readFile(args.path, 'utf8');
        if (source.includes('.addJSON({')) source = withJsonSchema(source);
        if (source.includes('require.resolve('))
          source = withResolvedPaths(source, args.path, bundleDir, zipPathOf, resolved);
        const zipPath = zipPathOf(args.path);
        if (args.path !== entry && zipPath !== undefined && /\b__(dirname|filename)\b/.test(source))
          source = withOwnLocation(source, zipPath, bundleDir);
        return { contents: source, loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

function substitutePlugin(virtualModules: Map<string, string>, redirects: Map<string, string>): Plugin {
  // esbuild filters are Go regular expressions: no lookahead, so an empty map registers nothing.
  const names = (map: Map<string, string>) =>
    new RegExp(`^(${[...map.keys()].map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
  return {
    name: 'temporal-lambda-worker-substitutes',
    setup(build) {
      if (virtualModules.size > 0) {
        build.onResolve({ filter: names(virtualModules) }, (args) => ({ path: args.path, namespace: 'virtual' }));
        build.onLoad({ filter: /.*/, namespace: 'virtual' }, (args) => ({
          contents: virtualModules.get(args.path)!,
          loader: 'js',
        }));
      }
      if (redirects.size > 0)
        build.onResolve({ filter: names(redirects) }, (args) => ({ path: redirects.get(args.path)! }));
    },
  };
}

/** Bundles the handler; when esbuild cannot, throws an error listing each file and line it stopped at. */
export async function bundleHandler(options: BundleOptions): Promise<BundleResult> {
  const { build } = await loadBuildTool('esbuild', () => import('esbuild'));
  const entryDir = path.dirname(options.entry);
  const resolvedAtRunTime = new Set<string>();
  let result;
  try {
    result = await build({
      entryPoints: [options.entry],
      outfile: options.entry,
      absWorkingDir: entryDir,
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      // The core-bridge binary is found and loaded at run time; native addons cannot be bundled.
      external: ['*.node'],
      // Whitespace and syntax minified, identifiers kept: V8 reads and parses half the bytes, and
      // every function and class keeps its own name (stack traces, `constructor.name`) without
      // keepNames, whose run-time renaming cost ~4 MB of peak RSS under load. Line numbers need
      // the source map.
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: options.sourceMap ? 'linked' : false,
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [
        substitutePlugin(options.virtualModules, options.redirects),
        locationPlugin(
          options.entry,
          path.posix.dirname(options.zipPathOf(options.entry)!),
          options.zipPathOf,
          resolvedAtRunTime,
        ),
      ],
    });
  } catch (error) {
    const messages =
      (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    const detail = messages
      .map((message) =>
        message.location ? `${message.location.file}:${message.location.line}: ${message.text}` : message.text,
      )
      .join('\n  ');
    throw new Error(detail || (error as Error).message, { cause: error });
  }
  const inputs = new Set(
    Object.keys(result.metafile.inputs)
      .filter((input) => !input.includes(':'))
      .map((input) => path.resolve(entryDir, input)),
  );
  const output = (extension: string) => result.outputFiles.find((file) => file.path.endsWith(extension))?.text;
  return { code: output(path.extname(options.entry))!, map: output('.map'), inputs, resolvedAtRunTime };
}
