/**
 * Where the packager puts each traced file in the zip, on a tree laid out as npm lays out a
 * workspace: project files at the root, hoisted and nested packages at their real places under
 * node_modules, a workspace package (reached at its real path) under node_modules/<its name>.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zipLayoutOf, zipPathOf } from '../../tools/zip-paths';

// Real path: the tracer reports real paths (a temporary folder may be reached through a link).
const work = realpathSync(mkdtempSync(path.join(tmpdir(), 'tlw-zip-paths-')));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const repo = path.join(work, 'repo');
const project = path.join(repo, 'apps', 'fn');

function write(file: string, text = "'use strict';\n"): string {
  const absolute = path.join(work, file);
  mkdirSync(path.dirname(absolute), { recursive: true });
  writeFileSync(absolute, text);
  return absolute;
}

function manifest(dir: string, name: string, version = '1.0.0'): void {
  write(path.join(dir, 'package.json'), JSON.stringify({ name, version }));
}

function link(from: string, to: string): void {
  mkdirSync(path.dirname(path.join(work, from)), { recursive: true });
  symlinkSync(path.join(work, to), path.join(work, from), 'dir');
}

manifest('repo', 'repo-root');
manifest('repo/apps/fn', 'fn');
manifest('repo/node_modules/dual', 'dual', '2.0.0');
manifest('repo/node_modules/uses-old', 'uses-old');
manifest('repo/node_modules/uses-old/node_modules/dual', 'dual', '1.0.0');
manifest('repo/node_modules/@scope/pkg', '@scope/pkg');
manifest('repo/node_modules/@scope/pkg/node_modules/@scope/inner', '@scope/inner');
manifest('repo/apps/fn/node_modules/local-only', 'local-only');
manifest('repo/apps/fn/node_modules/local-only/node_modules/deep', 'deep');
manifest('repo/packages/shared', '@repo/shared');
manifest('repo/packages/shared/node_modules/dual', 'dual', '3.0.0');
link('repo/node_modules/@repo/shared', 'repo/packages/shared');
// A second project whose node_modules is a link to the first one's (as a git worktree's may be).
manifest('linked-modules/fn', 'fn-linked');
link('linked-modules/fn/node_modules', 'repo/node_modules');
// pnpm: each package's real files sit in its store, linked into node_modules by name.
manifest('pnpm/fn', 'fn-pnpm');
manifest('pnpm/fn/node_modules/.pnpm/left-pad@1.3.0/node_modules/left-pad', 'left-pad', '1.3.0');

const files = {
  handler: write('repo/apps/fn/lib/index.js'),
  hoisted: write('repo/node_modules/dual/index.js'),
  nested: write('repo/node_modules/uses-old/node_modules/dual/index.js'),
  scoped: write('repo/node_modules/@scope/pkg/lib/index.js'),
  scopedNested: write('repo/node_modules/@scope/pkg/node_modules/@scope/inner/index.js'),
  projectNested: write('repo/apps/fn/node_modules/local-only/node_modules/deep/index.js'),
  workspace: write('repo/packages/shared/dist/index.js'),
  workspaceNested: write('repo/packages/shared/node_modules/dual/index.js'),
  pnpm: write('pnpm/fn/node_modules/.pnpm/left-pad@1.3.0/node_modules/left-pad/index.js'),
  outside: write('elsewhere/data.txt'),
};

describe('zipPathOf', () => {
  const layout = zipLayoutOf(project);
  const inProject = (file: string) => zipPathOf(file, layout);

  it('puts project files at the root of the zip', () => {
    expect(inProject(files.handler)).toBe('lib/index.js');
  });

  it('puts a hoisted package under node_modules/<name>/, and a scoped one under its scope', () => {
    expect(inProject(files.hoisted)).toBe('node_modules/dual/index.js');
    expect(inProject(files.scoped)).toBe('node_modules/@scope/pkg/lib/index.js');
  });

  it('keeps a nested package at its place, apart from the hoisted version of the same name', () => {
    expect(inProject(files.nested)).toBe('node_modules/uses-old/node_modules/dual/index.js');
    expect(inProject(files.scopedNested)).toBe('node_modules/@scope/pkg/node_modules/@scope/inner/index.js');
    expect(inProject(files.projectNested)).toBe('node_modules/local-only/node_modules/deep/index.js');
  });

  it('puts a workspace package linked into node_modules under its name, with its own nested packages', () => {
    expect(inProject(files.workspace)).toBe('node_modules/@repo/shared/dist/index.js');
    expect(inProject(files.workspaceNested)).toBe('node_modules/@repo/shared/node_modules/dual/index.js');
  });

  it('follows a node_modules folder that is itself a link', () => {
    const linkedProject = zipLayoutOf(path.join(work, 'linked-modules', 'fn'));
    expect(zipPathOf(files.nested, linkedProject)).toBe('node_modules/uses-old/node_modules/dual/index.js');
    expect(zipPathOf(files.workspace, linkedProject)).toBe('node_modules/@repo/shared/dist/index.js');
  });

  it('places a package from pnpm’s store under node_modules/<name>/, where the project finds it by name', () => {
    expect(zipPathOf(files.pnpm, zipLayoutOf(path.join(work, 'pnpm', 'fn')))).toBe('node_modules/left-pad/index.js');
  });

  it('leaves out a file outside the project that belongs to no package', () => {
    expect(inProject(files.outside)).toBeUndefined();
  });
});
