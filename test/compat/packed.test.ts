/**
 * Drop-in, checked on what users install: `npm pack` of the built package, unpacked into a
 * temporary app whose other dependencies are this repo's (symlinked), then
 * - the official README's code blocks (test/compat/readme) type-check with `tsc --noEmit`;
 * - every name the official package exports exists in ours: values at run time from both the
 *   CommonJS and the ES module build, types through `tsc` on an import of each.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFreshBuild } from '../support/fresh-build';
import { OFFICIAL_EXPORTS } from './official-exports';

const ROOT = path.join(import.meta.dirname, '..', '..');
const PACKAGE = 'temporal-lambda-worker';
let app: string;

/** Packs the built package and lays out an app that depends on it. */
function makeApp(): string {
  assertFreshBuild(ROOT);
  const dir = mkdtempSync(path.join(tmpdir(), 'tlw-compat-app-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }),
  ) as { filename: string }[];
  execFileSync('tar', ['-xzf', path.join(dir, packed[0]!.filename), '-C', dir]);
  const modules = path.join(dir, 'node_modules');
  mkdirSync(modules);
  renameSync(path.join(dir, 'package'), path.join(modules, PACKAGE));
  for (const entry of readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry === PACKAGE || entry.startsWith('.')) continue;
    symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(modules, entry));
  }
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'compat-app', private: true, type: 'commonjs' }),
  );
  return dir;
}

/** Runs `tsc --noEmit` over `files` of the app; returns its output ('' when clean). */
function typeCheck(files: string[]): string {
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'Node16',
      moduleResolution: 'Node16',
      strict: true,
      types: ['node'],
      skipLibCheck: true,
      noEmit: true,
      esModuleInterop: true,
    },
    files,
  };
  writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
  try {
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      { cwd: app, encoding: 'utf8' },
    );
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

beforeAll(() => {
  app = makeApp();
});
afterAll(() => {
  rmSync(app, { recursive: true, force: true });
});

describe('the official README, with only the import path changed', () => {
  it('type-checks against the packed package (quick start, AUTO_UPGRADE, logging, applyDefaults, makeOtelPlugin)', () => {
    const readme = path.join(import.meta.dirname, 'readme');
    const files = readdirSync(readme).filter((file) => /\.m?ts$/.test(file));
    for (const file of files) cpSync(path.join(readme, file), path.join(app, file));
    expect(files).toEqual(
      expect.arrayContaining([
        'quick-start.ts',
        'auto-upgrade.ts',
        'logging.ts',
        'otel-apply-defaults.ts',
        'otel-bundle.mts',
      ]),
    );
    expect(typeCheck(files)).toBe('');
  });
});

describe('every name the official package exports', () => {
  it('exists as a value in the CommonJS and the ES module build', () => {
    for (const [entry, { values }] of Object.entries(OFFICIAL_EXPORTS)) {
      const specifier = entry === '.' ? PACKAGE : `${PACKAGE}/${entry.slice(2)}`;
      const probe = `const names = ${JSON.stringify(values)}; const missing = names.filter((n) => typeof m[n] !== 'function'); if (missing.length) { console.log(missing.join(',')); process.exit(1); }`;
      const cjs = `const m = require(${JSON.stringify(specifier)}); ${probe}`;
      const esm = `const m = await import(${JSON.stringify(specifier)}); ${probe}`;
      expect(
        () => execFileSync(process.execPath, ['-e', cjs], { cwd: app, encoding: 'utf8' }),
        `${specifier} (require)`,
      ).not.toThrow();
      expect(
        () => execFileSync(process.execPath, ['--input-type=module', '-e', esm], { cwd: app, encoding: 'utf8' }),
        `${specifier} (import)`,
      ).not.toThrow();
    }
  });

  it('exists as a type (and each value) for TypeScript, from require and import alike', () => {
    const lines = Object.entries(OFFICIAL_EXPORTS).map(([entry, { values, types }]) => {
      const specifier = entry === '.' ? PACKAGE : `${PACKAGE}/${entry.slice(2)}`;
      return `import { ${[...values, ...types.map((name) => `type ${name}`)].join(', ')} } from '${specifier}';\nexport type Check${entry.length} = [${[...values.map((v) => `typeof ${v}`), ...types].join(', ')}];`;
    });
    writeFileSync(path.join(app, 'official-exports-cjs.ts'), lines.join('\n'));
    writeFileSync(path.join(app, 'official-exports-esm.mts'), lines.join('\n'));
    expect(typeCheck(['official-exports-cjs.ts', 'official-exports-esm.mts'])).toBe('');
  });
});
