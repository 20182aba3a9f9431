/**
 * Pins of the SDK internals the library reaches (src/sdk-internals.ts) against the installed
 * `@temporalio/*` packages, and a scan that keeps every such reach in that one module. The pins
 * that need a live worker are in test/integration/sdk-internals.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { IllegalStateError } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import {
  durationToMs,
  isWorkerStillInUse,
  reuseParsedWorkflowBundles,
  withActivationLimit,
} from '../../src/sdk-internals';

const root = path.join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

describe("durationToMs (the SDK's msToNumber)", () => {
  it('reads numbers as ms and ms-formatted strings as the SDK does', () => {
    expect(durationToMs(1_500)).toBe(1_500);
    expect(durationToMs('5s')).toBe(5_000);
    expect(durationToMs('2m')).toBe(120_000);
    expect(() => durationToMs('soon' as never)).toThrow(TypeError);
  });
});

describe("isWorkerStillInUse (core-bridge's finalize error)", () => {
  it('matches the IllegalStateError core-bridge raises when it cannot finalize a worker, and nothing else', () => {
    expect(isWorkerStillInUse(new IllegalStateError('Worker still in use: Expected 1 reference, but got 2'))).toBe(
      true,
    );
    expect(isWorkerStillInUse(new Error('Worker still in use: Expected 1 reference, but got 2'))).toBe(false);
    expect(isWorkerStillInUse(new IllegalStateError('Not running. Current state: INITIALIZED'))).toBe(false);
    expect(isWorkerStillInUse(undefined)).toBe(false);
  });

  it('is the message the installed core-bridge builds: "{what} still in use", what = "Worker", raised as IllegalStateError', () => {
    const bridge = packageDir('@temporalio/core-bridge');
    const errors = readFileSync(path.join(bridge, 'src', 'helpers', 'errors.rs'), 'utf8');
    const worker = readFileSync(path.join(bridge, 'src', 'worker.rs'), 'utf8');
    expect(errors).toContain('#[error("{what} still in use{}", details_suffix(.details.as_ref()))]');
    expect(errors).toMatch(
      /Self::IllegalStateStillInUse \{ \.\. \}[^=]*=> \{\s*throw_custom_error\(cx, ILLEGAL_STATE_ERROR/,
    );
    expect(worker).toMatch(/pub fn worker_finalize_shutdown[\s\S]*?IllegalStateStillInUse \{\s*what: "Worker"/);
  });
});

describe('withActivationLimit (the unlisted isolateExecutionTimeout option)', () => {
  it('sets the option the installed worker compiles into isolateExecutionTimeoutMs', () => {
    expect(withActivationLimit({ taskQueue: 'q' }, 1_250)).toEqual({ taskQueue: 'q', isolateExecutionTimeout: 1_250 });
    const compiled = readFileSync(path.join(packageDir('@temporalio/worker'), 'lib', 'worker-options.js'), 'utf8');
    expect(compiled).toContain('isolateExecutionTimeoutMs: (0, time_1.msToNumber)(opts.isolateExecutionTimeout)');
  });
});

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

describe('one module for SDK internals', () => {
  const reaches = [
    /(from |require\(|import\()\s*['"]@temporalio\/[a-z-]+\/lib\//,
    /\._instance\b/,
    /numInFlightNexusOperationsSubject/,
    /\brunInternal\b/,
    /isolateExecutionTimeout/,
    /still in use/,
    /'(GracefulShutdownPeriodExpiredError|IllegalStateError)'/,
  ];

  it("keeps every reach beyond the SDK's documented API in src/sdk-internals.ts", () => {
    const files = ['src', 'otel', 'tools'].flatMap((dir) => sources(path.join(root, dir)));
    expect(files.length).toBeGreaterThan(20);
    const found = files
      .filter((file) => !file.endsWith(path.join('src', 'sdk-internals.ts')))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => !/^\s*(\*|\/\/)/.test(line) && reaches.some((reach) => reach.test(line)))
          .map((line) => `${path.relative(root, file)}: ${line.trim()}`),
      );
    expect(found).toEqual([]);
  });
});

describe("reuseParsedWorkflowBundles (the SDK's private static Worker.getOrCreateBundle)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tlw-bundle-parse-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sourceMap = Buffer.from(JSON.stringify({ version: 3, file: 'b.js', sources: [], mappings: '' })).toString(
    'base64',
  );
  const bundleCode = (value: number) =>
    `globalThis.__value = ${value};\n//# sourceMappingURL=data:application/json;base64,${sourceMap}`;
  const quiet = { warn() {}, info() {}, debug() {}, trace() {}, error() {}, log() {} };
  const getOrCreateBundle = (workflowBundle: object) =>
    (
      Worker as unknown as {
        getOrCreateBundle(options: object, logger: object): Promise<{ code: string; filename: string }>;
      }
    ).getOrCreateBundle({ workflowBundle, interceptors: { workflowModules: [] } }, quiet);

  it('is needed: the SDK parses the same bundle anew for each worker', async () => {
    const codePath = path.join(dir, 'before.js');
    writeFileSync(codePath, bundleCode(1));
    const [first, second] = [await getOrCreateBundle({ codePath }), await getOrCreateBundle({ codePath })];
    expect(first).not.toBe(second);
    expect(first).toEqual(second);
  });

  it('hands the last parse to the next worker while the bundle file keeps its size and modification time', async () => {
    expect(reuseParsedWorkflowBundles()).toBe(true);
    const codePath = path.join(dir, 'bundle.js');
    writeFileSync(codePath, bundleCode(1));
    const first = await getOrCreateBundle({ codePath });
    expect(first.filename).toBe(codePath);
    expect(await getOrCreateBundle({ codePath })).toBe(first);
    writeFileSync(codePath, bundleCode(22));
    const changed = await getOrCreateBundle({ codePath });
    expect(changed).not.toBe(first);
    expect(changed.code).toContain('globalThis.__value = 22;');
    expect(await getOrCreateBundle({ codePath: path.join(dir, 'before.js') })).not.toBe(changed);
  });

  it('keys a bundle given as code by the code itself', async () => {
    const code = bundleCode(3);
    const first = await getOrCreateBundle({ code });
    expect(await getOrCreateBundle({ code: `${code}` })).toBe(first);
    expect(await getOrCreateBundle({ code: bundleCode(4) })).not.toBe(first);
  });

  it('keeps no failed parse, and patches once', async () => {
    const codePath = path.join(dir, 'no-map.js');
    writeFileSync(codePath, 'globalThis.__value = 5;\n');
    await expect(getOrCreateBundle({ codePath })).rejects.toThrow("Can't extract inlined source map");
    writeFileSync(codePath, bundleCode(5).replace('5', '6')); // same length: only the mtime tells
    utimesSync(codePath, new Date(), new Date(Date.now() + 5_000));
    expect((await getOrCreateBundle({ codePath })).code).toContain('globalThis.__value = 6;');
    const patched = (Worker as unknown as { getOrCreateBundle: unknown }).getOrCreateBundle;
    expect(reuseParsedWorkflowBundles()).toBe(true);
    expect((Worker as unknown as { getOrCreateBundle: unknown }).getOrCreateBundle).toBe(patched);
  });
});
