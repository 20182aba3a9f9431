/** The suites' check that dist/ is a build of the current sources (test/support/fresh-build.ts). */
import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertFreshBuild, assertLoadsThisCheckout, staleBuildReason, StaleBuildError } from '../support/fresh-build';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A checkout with `files` (path to modification time in seconds after T0). */
function checkout(files: Record<string, number>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tlw-fresh-'));
  for (const [file, seconds] of Object.entries(files)) {
    const full = path.join(root, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, '');
    const time = new Date(T0 + seconds * 1000);
    utimesSync(full, time, time);
  }
  return root;
}

describe('staleBuildReason and assertFreshBuild', () => {
  it('accept a dist/ no older than every source, package.json and the build config', () => {
    const root = checkout({
      'src/index.ts': 1,
      'otel/deep/metrics.ts': 2,
      'tools/cli.ts': 3,
      'package.json': 4,
      'tsup.config.ts': 10, // the same moment as the build: not a later change
      'dist/index.js': 10,
      'dist/otel/index.js': 11,
    });
    expect(staleBuildReason(root)).toBeUndefined();
    expect(() => assertFreshBuild(root)).not.toThrow();
  });

  it('name the newest changed input of each kind, and the command to run', () => {
    const cases: Array<[string, string]> = [
      ['src/nested/emf.ts', 'src/nested/emf.ts'],
      ['otel/metrics.ts', 'otel/metrics.ts'],
      ['tools/packager.ts', 'tools/packager.ts'],
      ['package.json', 'package.json'],
      ['tsup.config.ts', 'tsup.config.ts'],
    ];
    for (const [file, named] of cases) {
      const root = checkout({ 'src/index.ts': 1, 'dist/index.js': 10, [file]: 20 });
      expect(staleBuildReason(root)).toBe(
        `dist/ was built at 2026-01-01T00:00:10.000Z, before ${named} changed (2026-01-01T00:00:20.000Z)`,
      );
      expect(() => assertFreshBuild(root)).toThrow(StaleBuildError);
      expect(() => assertFreshBuild(root)).toThrow(/changed .*\. Run `npm run build` first \(npm test does\)/);
    }
  });

  it('date the build by its oldest file, and count the other changed files', () => {
    const root = checkout({ 'dist/index.js': 10, 'dist/late.js': 30, 'src/a.ts': 20, 'src/b.ts': 25, 'src/c.ts': 5 });
    expect(staleBuildReason(root)).toBe(
      'dist/ was built at 2026-01-01T00:00:10.000Z, before src/b.ts changed (2026-01-01T00:00:25.000Z) ' +
        'and 1 other file(s)',
    );
  });

  it('ignore files under node_modules and files that are not build inputs', () => {
    const root = checkout({
      'dist/index.js': 10,
      'src/node_modules/x/index.js': 20,
      'README.md': 20,
      'test/a.test.ts': 20,
    });
    expect(staleBuildReason(root)).toBeUndefined();
  });

  it('report a missing or empty dist/', () => {
    const missing = checkout({ 'src/index.ts': 1 });
    expect(staleBuildReason(missing)).toBe(`${path.join(missing, 'dist')} is missing or empty`);
    expect(() => assertFreshBuild(missing)).toThrow(/dist is missing or empty\. Run `npm run build` first/);
    const empty = checkout({ 'src/index.ts': 1 });
    mkdirSync(path.join(empty, 'dist'));
    expect(staleBuildReason(empty)).toBe(`${path.join(empty, 'dist')} is missing or empty`);
  });
});

describe('assertLoadsThisCheckout', () => {
  /** A package named `pkg` at `root` and a consumer folder whose node_modules links `pkg` to `target`. */
  function linked(target: 'itself' | 'elsewhere') {
    const root = checkout({ 'package.json': 0 });
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'pkg', version: '1.0.0' }));
    const other = checkout({ 'package.json': 0 });
    writeFileSync(path.join(other, 'package.json'), JSON.stringify({ name: 'pkg', version: '0.9.0' }));
    mkdirSync(path.join(root, 'node_modules'));
    symlinkSync(target === 'itself' ? '..' : other, path.join(root, 'node_modules', 'pkg'));
    const consumer = path.join(root, 'test', 'fixtures');
    mkdirSync(consumer, { recursive: true });
    return { root, other, consumer };
  }

  it('accepts a package that resolves to this checkout', () => {
    const { root, consumer } = linked('itself');
    expect(() => assertLoadsThisCheckout(consumer, root, 'pkg')).not.toThrow();
  });

  it('names both checkouts when the package resolves to another one', () => {
    const { root, other, consumer } = linked('elsewhere');
    expect(() => assertLoadsThisCheckout(consumer, root, 'pkg')).toThrow(StaleBuildError);
    expect(() => assertLoadsThisCheckout(consumer, root, 'pkg')).toThrow(
      `require('pkg') from ${consumer} loads ${other}, not this checkout (${root})`,
    );
  });

  it('says to install when the package cannot be loaded at all', () => {
    const root = checkout({ 'package.json': 0 });
    expect(() => assertLoadsThisCheckout(root, root, 'no-such-package')).toThrow(
      /no-such-package cannot be loaded from .*: run `npm install`/,
    );
  });
});
