/**
 * Where each file the packager packs goes in the zip. Lambda unzips into one folder whose one
 * node_modules must resolve as the project's does: project files keep their paths, and a package
 * keeps its place relative to the node_modules folder it is installed in, nested ones included
 * (`node_modules/a/node_modules/b` when another version of `b` is hoisted). A workspace package
 * linked into node_modules, which the tracer reports at its real path, goes where its link is.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';

export interface Manifest {
  name?: string;
  type?: string;
}

/** What the mapping knows of the project, found once per packaging run. */
export interface ZipLayout {
  /** The project folder (real path): the zip's root. */
  projectDir: string;
  /** The node_modules folders the project finds packages in (real paths), nearest first. */
  nodeModulesDirs: string[];
  /** The project's own package name: its files outside the project folder have no place. */
  projectName?: string;
}

export function readManifest(dir: string): Manifest | undefined {
  const file = path.join(dir, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Manifest) : undefined;
}

/** The package.json files of the folders above `file`, nearest first. */
export function* manifestsAbove(file: string): Generator<{ dir: string; manifest: Manifest }> {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = readManifest(dir);
    if (manifest !== undefined) yield { dir, manifest };
  }
}

/** The project's real folder and the node_modules folders Node looks in from it. */
export function zipLayoutOf(projectDir: string): ZipLayout {
  const realProjectDir = realpathSync(path.resolve(projectDir));
  const nodeModulesDirs: string[] = [];
  for (let dir = realProjectDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules');
    if (existsSync(candidate)) nodeModulesDirs.push(realpathSync(candidate));
    if (dir === path.dirname(dir)) break;
  }
  return { projectDir: realProjectDir, nodeModulesDirs, projectName: readManifest(realProjectDir)?.name };
}

/**
 * The path of `file` in the zip, or `undefined` when it has no place there (outside the project
 * and its packages): project files at the root; packages under node_modules as installed.
 */
export function zipPathOf(file: string, layout: ZipLayout): string | undefined {
  const inProject = relativeInside(layout.projectDir, file);
  if (inProject !== undefined) return outOfPnpmStore(inProject);
  for (const dir of layout.nodeModulesDirs) {
    const inNodeModules = relativeInside(dir, file);
    if (inNodeModules !== undefined) return outOfPnpmStore(`node_modules/${inNodeModules}`);
  }
  return linkedPackagePath(file, layout);
}

/** `file` relative to `dir` with `/` separators, or `undefined` when it is not inside `dir`. */
function relativeInside(dir: string, file: string): string | undefined {
  const relative = path.relative(dir, file);
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    return undefined;
  }
  return relative.split(path.sep).join('/');
}

/**
 * pnpm keeps each package in its store (`node_modules/.pnpm/<id>/node_modules/<name>`) and links
 * it into node_modules by name. A zip holds no links: such a package goes where the project finds
 * it by name, `node_modules/<name>/`, as before.
 */
function outOfPnpmStore(zipPath: string): string {
  if (!zipPath.includes('node_modules/.pnpm/')) return zipPath;
  return `node_modules/${zipPath.slice(zipPath.lastIndexOf('node_modules/') + 'node_modules/'.length)}`;
}

/**
 * A file of a package linked into node_modules (a workspace, a `file:` dependency), which the
 * tracer reports at its real path: it goes where the link is, `node_modules/<name>/...`, with the
 * packages nested in it. Failing a link, under the name of the nearest named package, as before.
 */
function linkedPackagePath(file: string, layout: ZipLayout): string | undefined {
  let nearestNamed: { dir: string; name: string } | undefined;
  for (const { dir, manifest } of manifestsAbove(file)) {
    if (manifest.name === undefined) continue;
    nearestNamed ??= { dir, name: manifest.name };
    const linked = layout.nodeModulesDirs.some((nodeModules) => isLinkTo(path.join(nodeModules, manifest.name!), dir));
    if (linked) return `node_modules/${manifest.name}/${relativeInside(dir, file)}`;
  }
  if (nearestNamed === undefined || nearestNamed.name === layout.projectName) return undefined;
  return `node_modules/${nearestNamed.name}/${relativeInside(nearestNamed.dir, file)}`;
}

function isLinkTo(link: string, realDir: string): boolean {
  return existsSync(link) && realpathSync(link) === realDir;
}
