/**
 * `temporal-lambda-worker package` on examples/basic: the zip holds one core-bridge binary and no
 * bundler, is under Lambda's limits, refuses private keys, and runs, unzipped, against the real
 * server through the local invoke CLI.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';

const root = path.join(import.meta.dirname, '..', '..');
const exampleDir = path.join(root, 'examples', 'basic');
const cli = path.join(root, 'dist', 'cli.cjs');
const address = inject('temporalAddress');
const workDir = mkdtempSync(path.join(tmpdir(), 'tlw-package-'));
const zipFile = path.join(workDir, 'function.zip');

let client: Client;
let closeClient: () => Promise<void>;
let packageOutput: string;

function run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: options.cwd ?? root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  ({ client, close: closeClient } = await connectClient(address));
  const packaged = await run(['package', '--project', exampleDir, '--handler', 'lib/index.handler', '--arch', 'x86_64', '--out', zipFile]);
  expect(packaged.code, packaged.stderr).toBe(0);
  packageOutput = packaged.stdout;
  console.log(packageOutput.trim());
});
afterAll(async () => {
  await closeClient();
  rmSync(workDir, { recursive: true, force: true });
});

describe('temporal-lambda-worker package', () => {
  it('reports the handler and the sizes against the limits, with one core-bridge binary and no bundler', () => {
    expect(packageOutput).toMatch(/handler: +lib\/index\.handler/);
    const zipped = Number(packageOutput.match(/zipped: +([\d.]+) MB of Lambda's 50 MB/)![1]);
    const unzipped = Number(packageOutput.match(/unzipped: +([\d.]+) MB of Lambda's 250 MB/)![1]);
    expect(zipped).toBeLessThan(20);
    expect(unzipped).toBeLessThan(250);
    const entries = execFileSync('unzip', ['-Z1', zipFile], { encoding: 'utf8' }).trim().split('\n');
    expect(entries.filter((entry) => entry.endsWith('.node'))).toEqual(['node_modules/@temporalio/core-bridge/releases/x86_64-unknown-linux-gnu/index.node']);
    expect(entries).toContain('lib/index.js');
    expect(entries).toContain('lib/workflow-bundle.js');
    expect(entries).toContain('temporal.toml');
    expect(entries).toContain('otel-collector-config.yaml');
    expect(entries.filter((entry) => entry.startsWith('node_modules/webpack/'))).toEqual(['node_modules/webpack/index.js', 'node_modules/webpack/package.json']);
    expect(entries.some((entry) => entry.startsWith('src/') || entry.includes('core-bridge/sdk-core/') || entry.endsWith('.ts'))).toBe(false);
    expect(packageOutput).toMatch(/single-file build.*: rxjs/);
    expect(entries.filter((entry) => entry.startsWith('node_modules/rxjs/dist/')).sort()).toEqual([
      'node_modules/rxjs/dist/bundles/rxjs.umd.min.js',
      'node_modules/rxjs/dist/cjs/index.js',
      'node_modules/rxjs/dist/cjs/operators/index.js',
    ]);
  });

  it('builds a zip that runs: unzipped, its handler completes a workflow against the real server', async () => {
    const unzipped = path.join(workDir, 'task');
    execFileSync('unzip', ['-q', zipFile, '-d', unzipped]);
    const taskQueue = uniqueName('zip');
    const invocation = run(['invoke', 'lib/index.js#handler', '--timeout', '12'], {
      cwd: unzipped,
      env: { TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue, LAMBDA_TASK_ROOT: unzipped, OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:9' },
    });
    await makeVersionCurrent(client, 'sdk-demo', 'v1');
    const result = await client.workflow.execute('greet', { taskQueue, workflowId: uniqueName('wf'), args: ['zip'] });
    const { code, stdout, stderr } = await invocation;
    expect(result).toBe('Hello, zip!');
    expect(code, stderr + stdout.slice(-2000)).toBe(0);
    expect(stdout).toMatch(/"endReason":"(deadline|idle)"/);
  });

  it('refuses to pack a TLS private key unless asked', async () => {
    const keyFile = path.join(exampleDir, `test-client-${process.pid}.key`);
    writeFileSync(keyFile, '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n');
    try {
      const refused = await run(['package', '--project', exampleDir, '--out', path.join(workDir, 'k.zip'), '--include', keyFile]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/holds a TLS private key.*--allow-private-keys/);
      expect(refused.stderr).not.toContain('MIIEvQ');
      const allowed = await run(['package', '--project', exampleDir, '--out', path.join(workDir, 'k.zip'), '--include', keyFile, '--allow-private-keys']);
      expect(allowed.code, allowed.stderr).toBe(0);
    } finally {
      rmSync(keyFile, { force: true });
    }
  });
});
