/**
 * Pins of the SDK internals the library reaches (src/sdk-internals.ts) against the installed
 * `@temporalio/*` packages, and a scan that keeps every such reach in that one module. The pins
 * that need a live worker are in test/integration/sdk-internals.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { IllegalStateError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { durationToMs, isWorkerStillInUse, withActivationLimit } from '../../src/sdk-internals';

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
