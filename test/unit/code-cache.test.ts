/**
 * `package --code-cache` on a small project: the init runs once at package time, V8's cache ships
 * beside the bundle, and the loader in the handler's place uses it only where V8 and its flags
 * match, loading the same module everywhere (real Node processes, real V8 caches).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaNodeArgs } from '../../tools/code-cache';
import { packageFunction, PackageError, type PackageReport } from '../../tools/packager';

const work = realpathSync(mkdtempSync(path.join(tmpdir(), 'tlw-code-cache-')));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Counts its inits in a file, so a test can tell the package-time init from the loader's.
const HANDLER = `
const fs = require('fs');
require('@temporalio/core-bridge');
if (process.env.FIXTURE_INIT_LOG) fs.appendFileSync(process.env.FIXTURE_INIT_LOG, 'init\\n');
if (process.env.AWS_LAMBDA_FUNCTION_NAME === 'temporal-lambda-worker-package' && process.env.FIXTURE_THROW)
  throw new Error('no TEMPORAL_ADDRESS at package time');
function greet(name) { return 'Hello, ' + name + '!'; }
exports.handler = async (event) => greet(event.name);
`;

function makeProject(name: string): string {
  const dir = path.join(work, name);
  const files = {
    'package.json': '{ "name": "fixture", "type": "commonjs" }',
    'lib/index.js': HANDLER,
    'node_modules/@temporalio/core-bridge/package.json': '{ "name": "@temporalio/core-bridge", "main": "index.js" }',
    'node_modules/@temporalio/core-bridge/index.js': 'module.exports = {};\n',
    'node_modules/@temporalio/core-bridge/releases/x86_64-unknown-linux-gnu/index.node': 'not a real binary',
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

async function packAndUnzip(name: string, env: Record<string, string | undefined> = {}) {
  const project = makeProject(name);
  const outFile = path.join(work, `${name}.zip`);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let report: PackageReport;
  try {
    report = await packageFunction({
      projectDir: project,
      handler: 'lib/index.handler',
      arch: 'x86_64',
      outFile,
      codeCache: { memoryMb: 256 },
    });
  } finally {
    process.env = saved;
  }
  const task = path.join(work, `${name}-task`);
  execFileSync('unzip', ['-q', outFile, '-d', task]);
  return { report, task };
}

/** Loads the handler from the unzipped task in a fresh node, calls it, and returns its answer and the loader's word. */
function runHandler(task: string, nodeArgs: string[], env: Record<string, string> = {}) {
  const script = `require(${JSON.stringify(path.join(task, 'lib', 'index.js'))}).handler({ name: 'cache' }).then((r) => console.log(r))`;
  const result = spawnSync(process.execPath, [...nodeArgs, '-e', script], {
    env: { PATH: process.env.PATH, NODE_DEBUG: 'tlw-code-cache', ...env },
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  const word = result.stderr.match(/TLW-CODE-CACHE \d+: (.*)/)?.[1];
  return { answer: result.stdout.trim(), word };
}

describe('package --code-cache', () => {
  let task: string;
  let report: PackageReport;
  const initLog = path.join(work, 'inits.log');

  beforeAll(async () => {
    ({ task, report } = await packAndUnzip('cached', { FIXTURE_INIT_LOG: initLog }));
  });

  it('runs the init once at package time and ships the cache beside the bundle, with a loader in its place', () => {
    expect(readFileSync(initLog, 'utf8')).toBe('init\n');
    expect(report.codeCache).toMatchObject({ node: process.version, memoryMb: 256 });
    expect(report.codeCache!.bytes).toBeGreaterThan(0);
    expect(report.codeCache!.initError).toBeUndefined();
    const loader = readFileSync(path.join(task, 'lib', 'index.js'), 'utf8');
    expect(loader).toContain('index.bundle.js');
    expect(readFileSync(path.join(task, 'lib', 'index.bundle.js'), 'utf8')).toContain('Hello, ');
    expect(readFileSync(path.join(task, 'lib', 'index.bundle.js.code-cache')).length).toBe(report.codeCache!.bytes);
  });

  it("is used under the flags Lambda starts node with for the function's memory", () => {
    expect(runHandler(task, lambdaNodeArgs(256))).toEqual({ answer: 'Hello, cache!', word: 'used' });
  });

  it('is rejected by V8 under flags it keys the cache on (here: without --expose-gc), and the handler loads all the same', () => {
    const flags = lambdaNodeArgs(256).filter((flag) => flag !== '--expose-gc');
    expect(runHandler(task, flags)).toEqual({
      answer: 'Hello, cache!',
      word: 'rejected by V8: flags other than those of the 256 MB function it was made for',
    });
  });

  it("under another memory size: rejected up to V8 12 (Node 22), whose check counts the heap's sizes; used from V8 13 (Node 24)", () => {
    const countsHeapSizes = Number(process.versions.v8.split('.')[0]) <= 12;
    expect(runHandler(task, lambdaNodeArgs(512))).toEqual({
      answer: 'Hello, cache!',
      word: countsHeapSizes ? 'rejected by V8: flags other than those of the 256 MB function it was made for' : 'used',
    });
  });

  it('is not read under another V8 version, and the handler loads as any module', () => {
    const other = path.join(work, 'other-v8');
    execFileSync('cp', ['-r', task, other]);
    const loader = path.join(other, 'lib', 'index.js');
    writeFileSync(loader, readFileSync(loader, 'utf8').replaceAll(process.versions.v8, '1.2.3.4'));
    const { answer, word } = runHandler(other, lambdaNodeArgs(256));
    expect(answer).toBe('Hello, cache!');
    expect(word).toBe(
      `not used: made for V8 1.2.3.4 (Node ${process.version}, ${process.arch}), this is V8 ${process.versions.v8} (Node ${process.version}, ${process.arch})`,
    );
  });

  it('is not used when source maps are enabled (Node maps stack traces only for modules it loads itself)', () => {
    expect(runHandler(task, [...lambdaNodeArgs(256), '--enable-source-maps'])).toEqual({
      answer: 'Hello, cache!',
      word: 'not used: source maps are enabled',
    });
  });

  it('reports an init that throws at package time, and still ships what compiled', async () => {
    const thrown = await packAndUnzip('throws', { FIXTURE_THROW: '1' });
    expect(thrown.report.codeCache!.initError).toBe('no TEMPORAL_ADDRESS at package time');
    expect(runHandler(thrown.task, lambdaNodeArgs(256))).toEqual({ answer: 'Hello, cache!', word: 'used' });
  });

  it('is refused, naming why, when the handler is not bundled', async () => {
    const project = makeProject('unbundled');
    await expect(
      packageFunction({
        projectDir: project,
        handler: 'lib/index.handler',
        arch: 'x86_64',
        outFile: path.join(work, 'unbundled.zip'),
        bundle: false,
        codeCache: { memoryMb: 256 },
      }),
    ).rejects.toThrow(new PackageError('--code-cache needs the bundled handler, and it was not bundled: --no-bundle.'));
  });

  it("gives Lambda's flags for a memory size: a tenth as new space, half of it semi-space, the rest old space", () => {
    expect(lambdaNodeArgs(256)).toEqual([
      '--expose-gc',
      '--max-http-header-size=81920',
      '--max-semi-space-size=12',
      '--max-old-space-size=231',
    ]);
    expect(lambdaNodeArgs(1024).slice(2)).toEqual(['--max-semi-space-size=51', '--max-old-space-size=922']);
  });
});
