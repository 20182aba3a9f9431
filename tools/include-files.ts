/**
 * What `--include` adds: a file as it is, and a folder with every file under it, followed through
 * links. Nothing is skipped silently: what cannot be packed (a link to nothing, a pipe or socket,
 * a link back to a folder already included) is reported with the reason.
 */
import { readdirSync, readlinkSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import * as path from 'node:path';
import { PackageError } from './package-error';

/** A file under an included folder that was not packed, relative to the project, and why. */
export interface SkippedFile {
  file: string;
  reason: string;
}

export interface IncludedFiles {
  /** Absolute paths of the regular files to pack (through links, as found). */
  files: string[];
  skipped: SkippedFile[];
}

/** Expands the `--include` paths (relative to `projectDir`) into files; throws when one does not exist. */
export function includedFiles(projectDir: string, includes: string[]): IncludedFiles {
  const found: IncludedFiles = { files: [], skipped: [] };
  const visited = new Set<string>();
  for (const include of includes) {
    const absolute = path.resolve(projectDir, include);
    const stats = statOrUndefined(absolute);
    if (stats === undefined) throw new PackageError(`--include ${absolute}: no such file or folder.`);
    if (stats.isFile()) found.files.push(absolute);
    else if (stats.isDirectory()) addFolder(absolute, projectDir, visited, found);
    else throw new PackageError(`--include ${absolute}: not a regular file or folder; name a file or a folder.`);
  }
  found.skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return found;
}

function addFolder(folder: string, projectDir: string, visited: Set<string>, found: IncludedFiles): void {
  visited.add(realpathSync(folder));
  const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const absolute = path.join(folder, entry.name);
    const link = entry.isSymbolicLink() ? readlinkSync(absolute) : undefined;
    const stats = link === undefined ? entry : statOrUndefined(absolute);
    const reason = whyNotPacked(absolute, stats, link, visited);
    if (reason !== undefined) found.skipped.push({ file: relativePath(projectDir, absolute), reason });
    else if (stats!.isFile()) found.files.push(absolute);
    else addFolder(absolute, projectDir, visited, found);
  }
}

/** Why an entry of an included folder cannot be packed, or `undefined` when it can (a file or a folder). */
function whyNotPacked(
  absolute: string,
  stats: Stats | Dirent | undefined,
  link: string | undefined,
  visited: Set<string>,
): string | undefined {
  if (stats === undefined) return `a link to nothing (${link})`;
  if (stats.isFile()) return undefined;
  if (!stats.isDirectory()) return 'not a regular file (a pipe, socket or device): a zip holds files only';
  // Only a link can lead back into a folder already walked (a loop), or across to one.
  if (link !== undefined && visited.has(realpathSync(absolute))) return `a link to a folder already included (${link})`;
  return undefined;
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function relativePath(projectDir: string, file: string): string {
  return path.relative(projectDir, file).split(path.sep).join('/');
}
