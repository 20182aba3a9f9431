/**
 * The workflow bundle's code cache (src/lifecycle/bundle-cache.ts): made when the package command
 * runs the init, used at init when one made for this V8 lies beside the bundle, and never in the
 * way otherwise (real V8 caches; each test loads a fresh copy of the module, which remembers the
 * bundles it primed).
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

import type * as BundleCache from '../../src/lifecycle/bundle-cache';

type Module = typeof BundleCache;
const work = realpathSync(mkdtempSync(path.join(tmpdir(), 'tlw-bundle-cache-')));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A bundle big enough to be worth a cache, with a function its top level runs. Each test's text
// is its own: V8 would take a text compiled before in this process from its in-memory cache.
const bundleText = (mark: string) => `globalThis.__webpack_module_cache__ = {}; // ${mark}
function greet(name) { return 'Hello, ' + name + '!'; }
globalThis.greeting = greet('bundle');
${Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join('\n')}
`;
let BUNDLE: string;

let dir: string;
let fresh: () => Promise<Module>;
beforeEach(() => {
  dir = mkdtempSync(path.join(work, 'case-'));
  BUNDLE = bundleText(dir);
  writeFileSync(path.join(dir, 'workflow-bundle.js'), BUNDLE);
  fresh = async () => {
    vi.resetModules();
    return import('../../src/lifecycle/bundle-cache');
  };
});

const bundleAt = () => ({ codePath: path.join(dir, 'workflow-bundle.js') });
const REJECTED = 'rejected by V8 (made with other V8 flags, or for another build of the bundle)';

/** Makes the cache as the package command's init does, and lays it beside the bundle as the zip does. */
async function shipCache(): Promise<string> {
  const out = mkdtempSync(path.join(work, 'out-'));
  const { primeWorkflowBundle, PACKAGE_CODE_CACHE_DIR, MADE_CACHES_FILE } = await fresh();
  const prime = primeWorkflowBundle(bundleAt(), { [PACKAGE_CODE_CACHE_DIR]: out }, 22);
  const [made] = readFileSync(path.join(out, MADE_CACHES_FILE), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(prime).toEqual({ outcome: 'made', said: `made: ${made.cache}` });
  expect(made.bundle).toBe(bundleAt().codePath);
  const shipped = path.join(dir, made.name);
  copyFileSync(path.join(out, made.cache), shipped);
  return shipped;
}

describe('the workflow bundle code cache', () => {
  it('is made at package time: one cache per bundle, named for this V8 and architecture', async () => {
    const shipped = await shipCache();
    expect(path.basename(shipped)).toBe(`workflow-bundle.js.v8-${process.versions.v8}-${process.arch}.code-cache`);
    expect(readFileSync(shipped).length).toBeGreaterThan(1000);
  });

  it('is used at init when one made for this V8 lies beside the bundle, once per bundle', async () => {
    const shipped = await shipCache();
    const { primeWorkflowBundle } = await fresh();
    expect(primeWorkflowBundle(bundleAt(), {}, 22)).toEqual({ outcome: 'used', said: 'used' });
    rmSync(shipped);
    expect(primeWorkflowBundle(bundleAt(), {}, 22)).toEqual({ outcome: 'used', said: 'used' });
  });

  it('is made once per bundle at package time, however often setup runs', async () => {
    const out = mkdtempSync(path.join(work, 'out-'));
    const { primeWorkflowBundle, PACKAGE_CODE_CACHE_DIR, MADE_CACHES_FILE } = await fresh();
    expect(primeWorkflowBundle(bundleAt(), { [PACKAGE_CODE_CACHE_DIR]: out }, 22).outcome).toBe('made');
    expect(primeWorkflowBundle(bundleAt(), { [PACKAGE_CODE_CACHE_DIR]: out }, 22).outcome).toBe('made');
    expect(readFileSync(path.join(out, MADE_CACHES_FILE), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('is asked for by the env var the packaging docs name', async () => {
    expect((await fresh()).PACKAGE_CODE_CACHE_DIR).toBe('TLW_PACKAGE_CODE_CACHE_DIR');
  });

  it('is rejected by V8 without harm when it does not match (another build of the bundle, other flags)', async () => {
    const shipped = await shipCache();
    writeFileSync(bundleAt().codePath, bundleText(`${dir} rebuilt`));
    const { primeWorkflowBundle } = await fresh();
    expect(primeWorkflowBundle(bundleAt(), {}, 22)).toEqual({ outcome: 'rejected', said: REJECTED });
    writeFileSync(bundleAt().codePath, bundleText(`${dir} rebuilt again`));
    writeFileSync(shipped, 'not a V8 cache');
    expect((await fresh()).primeWorkflowBundle(bundleAt(), {}, 22)).toEqual({ outcome: 'rejected', said: REJECTED });
  });

  it('does nothing without a cache, and says so', async () => {
    const { primeWorkflowBundle } = await fresh();
    expect(primeWorkflowBundle(bundleAt(), {}, 22)).toEqual({
      outcome: 'no cache',
      said: `none for V8 ${process.versions.v8} (${process.arch})`,
    });
  });

  it('is skipped on Node 20, for a bundle given as code or by a path the SDK would rewrite', async () => {
    await shipCache();
    const { primeWorkflowBundle } = await fresh();
    expect(primeWorkflowBundle(bundleAt(), {}, 20)).toEqual({ outcome: 'skipped' });
    expect(primeWorkflowBundle({ code: BUNDLE }, {}, 22)).toEqual({ outcome: 'skipped' });
    expect(primeWorkflowBundle(undefined, {}, 22)).toEqual({ outcome: 'skipped' });
    const relative = path.relative(process.cwd(), bundleAt().codePath);
    expect(primeWorkflowBundle({ codePath: relative }, {}, 22)).toEqual({ outcome: 'skipped' });
    expect(primeWorkflowBundle({ codePath: `${dir}/./workflow-bundle.js` }, {}, 22)).toEqual({ outcome: 'skipped' });
    expect(primeWorkflowBundle(bundleAt(), {}, 22)).toEqual({ outcome: 'used', said: 'used' });
  });

  it('never throws: a bundle that cannot be read costs only the prime', async () => {
    await shipCache();
    rmSync(bundleAt().codePath);
    const { primeWorkflowBundle } = await fresh();
    expect(primeWorkflowBundle(bundleAt(), {}, 22)).toEqual({
      outcome: 'failed',
      said: expect.stringMatching(/^failed: ENOENT: no such file/),
    });
    expect(readdirSync(dir)).toHaveLength(1);
  });
});
