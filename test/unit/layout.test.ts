/**
 * The layout's rules (docs/CONTRIBUTING.md, "Layout"), read from the imports of every source
 * file: what runs in Lambda never loads the build side, the tests or OpenTelemetry; the
 * entry points hold re-exports only; and inside the runtime, config/ and logging/ are leaves.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '..', '..');

/** Every .ts file under `dir`, relative to the root. */
function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(path.join(root, file)).isDirectory()) return sources(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

interface Import {
  file: string;
  specifier: string;
  /** The imported file relative to the root, for a relative specifier. */
  target?: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const found: Import[] = [];
  for (const match of text.matchAll(
    /^(?:import|export)\s+(type\s+)?[^;]*?\bfrom\s+'([^']+)'|require\('([^']+)'\)|import\('([^']+)'\)/gm,
  )) {
    const specifier = (match[2] ?? match[3] ?? match[4])!;
    const target = specifier.startsWith('.') ? path.normalize(path.join(path.dirname(file), specifier)) : undefined;
    found.push({ file, specifier, target, typeOnly: match[1] !== undefined });
  }
  return found;
}

const runtime = sources('src').flatMap(importsOf);
const otel = sources('otel').flatMap(importsOf);
const tools = sources('tools').flatMap(importsOf);
const describeImport = (i: Import) => `${i.file} imports '${i.specifier}'`;

describe('the layout', () => {
  it('reads a plausible number of imports (the scan works)', () => {
    expect(runtime.length).toBeGreaterThan(80);
    expect(otel.length).toBeGreaterThan(10);
    expect(tools.length).toBeGreaterThan(10);
  });

  it('keeps the runtime (src/) off the build side, the tests, the benches and OpenTelemetry', () => {
    const outside = runtime.filter((i) => i.target !== undefined && !i.target.startsWith(`src${path.sep}`));
    expect(outside.map(describeImport)).toEqual([]);
    const packages = runtime.filter((i) =>
      /^(@opentelemetry\/|@temporalio\/interceptors-opentelemetry|esbuild|@vercel\/nft|yazl)/.test(i.specifier),
    );
    expect(packages.map(describeImport)).toEqual([]);
  });

  it('lets otel/ use the runtime but not the build side or the tests', () => {
    const wrong = otel.filter((i) => i.target !== undefined && /^(tools|test|bench|scripts)\b/.test(i.target));
    expect(wrong.map(describeImport)).toEqual([]);
  });

  it('lets the build side (tools/) use the runtime, never the tests', () => {
    const wrong = tools.filter((i) => i.target !== undefined && /^(test|bench|scripts)\b/.test(i.target));
    expect(wrong.map(describeImport)).toEqual([]);
  });

  it('keeps config/ and logging/ leaves of the runtime: their values come from config/, the top of src/ only', () => {
    const leaves = runtime.filter(
      (i) => /^src\/(config|logging)\//.test(i.file) && !i.typeOnly && i.target !== undefined,
    );
    const wrong = leaves.filter((i) => /^src\/(lifecycle|metrics|local)\//.test(i.target!));
    expect(wrong.map(describeImport)).toEqual([]);
  });

  it('has entry points that only re-export', () => {
    for (const entry of ['src/index.ts', 'otel/index.ts']) {
      const code = readFileSync(path.join(root, entry), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.trim().startsWith('//'));
      const other = code.filter(
        (line) => !/^\s*(export (type )?\{|export \*|[A-Za-z_$][\w$]*,?$|\} from '|\};?$)/.test(line),
      );
      expect(other, entry).toEqual([]);
    }
  });
});
