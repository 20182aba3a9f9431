/**
 * Suites that load the built package (dist/, the packed tarball) run a build made earlier: by
 * `npm test`, or by hand some commits ago. These checks fail such a suite at its start, with the
 * command to run, when dist/ is missing or older than what it is built from, or when the package
 * the suite loads by name is another checkout's (a worktree whose node_modules is shared).
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** The root of this checkout. */
export const REPO_ROOT = path.join(import.meta.dirname, '..', '..');

/** What `npm run build` builds dist/ from, relative to the root: folders are read recursively. */
export const BUILD_INPUTS = ['src', 'otel', 'tools', 'package.json', 'tsup.config.ts'];

/** Thrown when a suite would test a build that is not this checkout's current one. */
export class StaleBuildError extends Error {
  override readonly name = 'StaleBuildError';
}

interface Stamped {
  file: string;
  mtimeMs: number;
}

/** Every file under `entry` (or `entry` itself), with its modification time. */
function files(entry: string): Stamped[] {
  if (!existsSync(entry)) return [];
  const stat = statSync(entry);
  if (!stat.isDirectory()) return [{ file: entry, mtimeMs: stat.mtimeMs }];
  return readdirSync(entry).flatMap((name) => (name === 'node_modules' ? [] : files(path.join(entry, name))));
}

const at = (ms: number) => new Date(ms).toISOString();

/**
 * Why `root`'s dist/ is not a build of its current sources, or `undefined` when it is: its oldest
 * file (the build starts by deleting dist/) must be newer than every build input.
 */
export function staleBuildReason(root: string = REPO_ROOT): string | undefined {
  const built = files(path.join(root, 'dist'));
  if (built.length === 0) return `${path.join(root, 'dist')} is missing or empty`;
  const builtAt = built.reduce((oldest, file) => (file.mtimeMs < oldest.mtimeMs ? file : oldest));
  const inputs = BUILD_INPUTS.flatMap((input) => files(path.join(root, input)));
  const changed = inputs.filter((input) => input.mtimeMs > builtAt.mtimeMs);
  if (changed.length === 0) return undefined;
  const newest = changed.reduce((latest, file) => (file.mtimeMs > latest.mtimeMs ? file : latest));
  const others = changed.length > 1 ? ` and ${changed.length - 1} other file(s)` : '';
  return (
    `dist/ was built at ${at(builtAt.mtimeMs)}, before ${path.relative(root, newest.file)} changed ` +
    `(${at(newest.mtimeMs)})${others}`
  );
}

/**
 * Fails when dist/ is missing or older than a build input.
 * @throws {@link StaleBuildError} naming the file and the command to run.
 */
export function assertFreshBuild(root: string = REPO_ROOT): void {
  const reason = staleBuildReason(root);
  if (reason !== undefined) {
    throw new StaleBuildError(`${reason}. Run \`npm run build\` first (npm test does), then this suite again.`);
  }
}

/**
 * Fails when `require('temporal-lambda-worker')` from `fromDir` loads another checkout's package
 * than `root`. Under the root's own package.json the name refers to the package itself; below a
 * package.json of its own (examples/basic) it goes through node_modules, and a node_modules shared
 * between git worktrees links it to the checkout that installed it.
 * @throws {@link StaleBuildError} naming both checkouts.
 */
export function assertLoadsThisCheckout(
  fromDir: string,
  root: string = REPO_ROOT,
  name = 'temporal-lambda-worker',
): void {
  let loaded: string;
  try {
    loaded = path.dirname(createRequire(path.join(fromDir, 'index.js')).resolve(`${name}/package.json`));
  } catch (error) {
    throw new StaleBuildError(`${name} cannot be loaded from ${fromDir}: run \`npm install\` in ${root}.`, {
      cause: error,
    });
  }
  if (realpathSync(loaded) !== realpathSync(root)) {
    throw new StaleBuildError(
      `require('${name}') from ${fromDir} loads ${realpathSync(loaded)}, not this checkout (${realpathSync(root)}): ` +
        `the node_modules it goes through belongs to the other checkout. Run this suite in a checkout with its own ` +
        `\`npm install\`, or link the package here: mkdir -p ${path.join(fromDir, 'node_modules')} && ` +
        `ln -s ${realpathSync(root)} ${path.join(fromDir, 'node_modules', name)}`,
    );
  }
}
