/**
 * `temporal-lambda-worker package` on examples/basic: the zip holds one core-bridge binary and no
 * workflow bundler, is under Lambda's limits, refuses private keys, and runs, unzipped, against the
 * real server through the local invoke CLI: bundled into one file (the default), with workflows in
 * a worker thread from the bundle, with --no-bundle, and with --code-cache (whose rehearsal
 * invocation never reaches the server configure names).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { runCli } from '../support/cli';
import { assertFreshBuild, assertLoadsThisCheckout } from '../support/fresh-build';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';

const root = path.join(import.meta.dirname, '..', '..');
const exampleDir = path.join(root, 'examples', 'basic');
const address = inject('temporalAddress');
const workDir = mkdtempSync(path.join(tmpdir(), 'tlw-package-'));
const zipFile = path.join(workDir, 'function.zip');
const unbundledZipFile = path.join(workDir, 'unbundled.zip');
// A project inside the repo (so that it resolves temporal-lambda-worker) whose handler runs workflows in a worker thread.
const threadProject = path.join(root, `.test-work-thread-${process.pid}`);
// A project whose configure names its server explicitly, packed with --code-cache.
const rehearsalProject = path.join(root, `.test-work-rehearsal-${process.pid}`);
// A project with two versions of one package installed, one hoisted and one nested.
const nestedProject = path.join(root, `.test-work-nested-${process.pid}`);

let client: Client;
let closeClient: () => Promise<void>;
let packageOutput: string;
let unbundledOutput: string;

beforeAll(async () => {
  assertFreshBuild(root); // the CLI, and the package the example's handler bundles
  assertLoadsThisCheckout(exampleDir, root);
  ({ client, close: closeClient } = await connectClient(address));
  const packaged = await runCli([
    'package',
    '--project',
    exampleDir,
    '--handler',
    'lib/index.handler',
    '--arch',
    'x86_64',
    '--out',
    zipFile,
  ]);
  expect(packaged.code, packaged.stderr).toBe(0);
  packageOutput = packaged.stdout;
  console.log(packageOutput.trim());
  const unbundled = await runCli([
    'package',
    '--project',
    exampleDir,
    '--handler',
    'lib/index.handler',
    '--out',
    unbundledZipFile,
    '--no-bundle',
  ]);
  expect(unbundled.code, unbundled.stderr).toBe(0);
  unbundledOutput = unbundled.stdout;
});
afterAll(async () => {
  await closeClient();
  rmSync(workDir, { recursive: true, force: true });
  rmSync(threadProject, { recursive: true, force: true });
  rmSync(rehearsalProject, { recursive: true, force: true });
  rmSync(nestedProject, { recursive: true, force: true });
});

function zipEntries(file: string): string[] {
  return execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
}

/**
 * A project inside the repo (so that it resolves temporal-lambda-worker) with the example's
 * activities and workflow bundle, whose handler.js runs them with `configureMore` added to configure.
 */
function writeHandlerProject(dir: string, configureMore: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{ "private": true, "type": "commonjs" }\n');
  for (const file of ['activities.js', 'workflow-bundle.js'])
    copyFileSync(path.join(exampleDir, 'lib', file), path.join(dir, file));
  writeFileSync(
    path.join(dir, 'handler.js'),
    `const { runWorker } = require('temporal-lambda-worker');
exports.handler = runWorker({ deploymentName: process.env.TLW_DEPLOYMENT_NAME, buildId: 'v1' }, (config) => {
  config.workerOptions.taskQueue = process.env.TLW_TASK_QUEUE;
  config.workerOptions.workflowBundle = { codePath: require.resolve('./workflow-bundle.js') };
  config.workerOptions.activities = require('./activities.js');
  ${configureMore}
});
`,
  );
}

/** Unzips `zip`, invokes `handlerModule` in it for 12 s and runs the example's workflow on `taskQueue` meanwhile. */
async function runUnzipped(
  zip: string,
  handlerModule: string,
  env: Record<string, string>,
  taskQueue: string,
  deploymentName = 'sdk-demo',
): Promise<string> {
  const unzipped = path.join(workDir, path.basename(zip, '.zip'));
  execFileSync('unzip', ['-q', zip, '-d', unzipped]);
  const invocation = runCli(['invoke', `${handlerModule}#handler`, '--timeout', '12'], {
    cwd: unzipped,
    env: { TEMPORAL_ADDRESS: address, LAMBDA_TASK_ROOT: unzipped, OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:9', ...env },
  });
  await makeVersionCurrent(client, deploymentName, 'v1');
  const result = await client.workflow.execute('greet', { taskQueue, workflowId: uniqueName('wf'), args: ['zip'] });
  const { code, stdout, stderr } = await invocation;
  expect(result).toBe('Hello, zip!');
  expect(code, stderr + stdout.slice(-2000)).toBe(0);
  expect(stdout).toMatch(/"endReason":"(deadline|idle)"/);
  return stdout + stderr;
}

describe('temporal-lambda-worker package', () => {
  it('reports the handler and the sizes against the limits, with one core-bridge binary and no workflow bundler', () => {
    expect(packageOutput).toMatch(/handler: +lib\/index\.handler/);
    const zipped = Number(packageOutput.match(/zipped: +([\d.]+) MB of Lambda's 50 MB/)![1]);
    const unzipped = Number(packageOutput.match(/unzipped: +([\d.]+) MB of Lambda's 250 MB/)![1]);
    expect(zipped).toBeLessThan(20);
    expect(unzipped).toBeLessThan(250);
    const entries = zipEntries(zipFile);
    expect(entries.filter((entry) => entry.endsWith('.node'))).toEqual([
      'node_modules/@temporalio/core-bridge/releases/x86_64-unknown-linux-gnu/index.node',
    ]);
    for (const file of ['lib/index.js', 'lib/workflow-bundle.js', 'temporal.toml', 'otel-collector-config.yaml'])
      expect(entries).toContain(file);
    expect(entries.some((entry) => /^node_modules\/(webpack|memfs|unionfs|@swc|terser|esbuild)\//.test(entry))).toBe(
      false,
    );
    expect(
      entries.some(
        (entry) =>
          entry.startsWith('src/') ||
          entry.includes('core-bridge/sdk-core/') ||
          entry.endsWith('.ts') ||
          entry.endsWith('.map'),
      ),
    ).toBe(false);
  });

  it('bundles the handler into one minified file with its names, keeping what it loads by path', () => {
    const modules = Number(packageOutput.match(/bundled: +lib\/index holds (\d+) modules in one file/)![1]);
    expect(modules).toBeGreaterThan(300);
    const bundle = execFileSync('unzip', ['-p', zipFile, 'lib/index.js'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(bundle).not.toBe(readFileSync(path.join(exampleDir, 'lib', 'index.js'), 'utf8'));
    // The SDK and its dependencies are inside; only Node's own modules are required by name.
    expect(bundle).not.toMatch(
      /require\("(@temporalio\/(worker|client|proto)|@grpc\/grpc-js|protobufjs|temporal-lambda-worker)"\)/,
    );
    expect(bundle).toContain('addJSON(JSON.parse(');
    expect(bundle).toMatch(/function runWorker\(/); // identifiers are not minified
    expect(bundle.split('\n').length).toBeLessThan(bundle.length / 200); // whitespace is
    const entries = zipEntries(zipFile);
    expect(entries).not.toContain('node_modules/@temporalio/worker/lib/worker.js');
    // Loaded by path at run time: the workflow worker thread (with what it requires) and the workflow bundle.
    expect(entries).toContain('node_modules/@temporalio/worker/lib/workflow/workflow-worker-thread.js');
    expect(entries).toContain('node_modules/@temporalio/common/lib/index.js');
    expect(bundle).toContain('require.resolve("./workflow-bundle.js")');
  });

  it('packs the traced files as they are with --no-bundle, rxjs from its single-file build', () => {
    expect(unbundledOutput).not.toMatch(/bundled:/);
    const entries = zipEntries(unbundledZipFile);
    expect(execFileSync('unzip', ['-p', unbundledZipFile, 'lib/index.js'], { encoding: 'utf8' })).toBe(
      readFileSync(path.join(exampleDir, 'lib', 'index.js'), 'utf8'),
    );
    expect(entries).toContain('node_modules/@temporalio/worker/lib/worker.js');
    expect(entries.filter((entry) => entry.startsWith('node_modules/webpack/'))).toEqual([
      'node_modules/webpack/index.js',
      'node_modules/webpack/package.json',
    ]);
    expect(unbundledOutput).toMatch(/single-file build.*: rxjs/);
    expect(entries.filter((entry) => entry.startsWith('node_modules/rxjs/dist/')).sort()).toEqual([
      'node_modules/rxjs/dist/bundles/rxjs.umd.min.js',
      'node_modules/rxjs/dist/cjs/index.js',
      'node_modules/rxjs/dist/cjs/operators/index.js',
    ]);
  });

  it('builds a zip that runs: unzipped, its bundled handler completes a workflow against the real server', async () => {
    const taskQueue = uniqueName('zip');
    await runUnzipped(zipFile, 'lib/index.js', { TEMPORAL_TASK_QUEUE: taskQueue }, taskQueue);
  });

  it('builds a zip that runs with --no-bundle', async () => {
    const taskQueue = uniqueName('zip-unbundled');
    await runUnzipped(unbundledZipFile, 'lib/index.js', { TEMPORAL_TASK_QUEUE: taskQueue }, taskQueue);
  });

  it('runs workflows in a worker thread from a bundled handler (the thread loads its file from the zip)', async () => {
    writeHandlerProject(threadProject, 'config.workflowThread = true;');
    const threadZip = path.join(workDir, 'thread.zip');
    const packaged = await runCli([
      'package',
      '--project',
      threadProject,
      '--handler',
      'handler.handler',
      '--out',
      threadZip,
    ]);
    expect(packaged.code, packaged.stderr).toBe(0);
    expect(packaged.stdout).toMatch(/bundled: +handler holds \d+ modules/);
    const taskQueue = uniqueName('zip-thread');
    const deploymentName = uniqueName('thread');
    const output = await runUnzipped(
      threadZip,
      'handler.js',
      { TLW_TASK_QUEUE: taskQueue, TLW_DEPLOYMENT_NAME: deploymentName },
      taskQueue,
      deploymentName,
    );
    expect(output).toContain('"workflowThread":true');
  });

  it('--code-cache rehearses an invocation on a stand-in, never on the server configure names; the zip runs', async () => {
    writeHandlerProject(rehearsalProject, 'config.connectionOptions.address = process.env.PRODUCTION_ADDRESS;');
    // What the handler names as its server at package time: it must never see a connection.
    const production = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => production.listen(0, '127.0.0.1', resolve));
    let connections = 0;
    production.on('connection', () => connections++);
    const zip = path.join(workDir, 'rehearsal.zip');
    const env = {
      TLW_DEPLOYMENT_NAME: 'package',
      TLW_TASK_QUEUE: 'package',
      PRODUCTION_ADDRESS: `127.0.0.1:${(production.address() as AddressInfo).port}`,
    };
    const args = ['package', '--project', rehearsalProject, '--handler', 'handler.handler', '--out', zip];
    const packaged = await runCli([...args, '--code-cache', '--memory', '256'], { env });
    production.close();
    expect(packaged.code, packaged.stderr).toBe(0);
    expect(packaged.stdout).toMatch(
      /code cache: rehearsed one invocation on a stand-in frontend \(.*PollWorkflowTaskQueue/,
    );
    if (Number.parseInt(process.versions.node, 10) >= 22)
      expect(packaged.stdout).toMatch(/code cache: [\d.]+ MB for the workflow bundle workflow-bundle\.js/);
    expect(connections).toBe(0);
    const taskQueue = uniqueName('zip-rehearsed');
    const deploymentName = uniqueName('rehearsed');
    await runUnzipped(
      zip,
      'handler.js',
      { TLW_TASK_QUEUE: taskQueue, TLW_DEPLOYMENT_NAME: deploymentName, PRODUCTION_ADDRESS: address },
      taskQueue,
      deploymentName,
    );
  });

  it('refuses to pack a TLS private key unless asked', async () => {
    const keyFile = path.join(exampleDir, `test-client-${process.pid}.key`);
    writeFileSync(
      keyFile,
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n',
    );
    try {
      const refused = await runCli([
        'package',
        '--project',
        exampleDir,
        '--out',
        path.join(workDir, 'k.zip'),
        '--include',
        keyFile,
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/holds a TLS private key.*--allow-private-keys/);
      expect(refused.stderr).not.toContain('MIIEvQ');
      const allowed = await runCli([
        'package',
        '--project',
        exampleDir,
        '--out',
        path.join(workDir, 'k.zip'),
        '--include',
        keyFile,
        '--allow-private-keys',
      ]);
      expect(allowed.code, allowed.stderr).toBe(0);
    } finally {
      rmSync(keyFile, { force: true });
    }
  });
});

/** Writes `files` (path in the project: text) under `dir`. */
function writeProject(dir: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
}

function dualPackage(dir: string, version: string): Record<string, string> {
  return {
    [`${dir}/package.json`]: JSON.stringify({ name: 'dual', version, main: 'index.js' }),
    [`${dir}/index.js`]: `exports.version = ${JSON.stringify(version)};\n`,
  };
}

describe('temporal-lambda-worker package on a project with two versions of one package', () => {
  const nestedZip = path.join(workDir, 'nested.zip');
  let entries: string[];

  beforeAll(async () => {
    writeProject(nestedProject, {
      'package.json': JSON.stringify({ name: 'nested-fixture', private: true, type: 'commonjs' }),
      'handler.js': `const { runWorker } = require('temporal-lambda-worker');
const dual = require('dual');
const usesOld = require('uses-old');
exports.versions = () => ({ hoisted: dual.version, nested: usesOld.dualVersion });
exports.handler = runWorker({ deploymentName: 'nested', buildId: 'v1' }, (config) => {
  config.workerOptions.taskQueue = 'nested';
  config.workerOptions.activities = {};
});
`,
      ...dualPackage('node_modules/dual', '2.0.0'),
      'node_modules/uses-old/package.json': JSON.stringify({ name: 'uses-old', version: '1.0.0', main: 'index.js' }),
      'node_modules/uses-old/index.js': "exports.dualVersion = require('dual').version;\n",
      ...dualPackage('node_modules/uses-old/node_modules/dual', '1.0.0'),
      'static/page.html': '<p>static</p>',
      'static/nested/data.json': '{}',
      'notes.txt': 'notes',
    });
    // This checkout, linked into node_modules as a workspace package is.
    symlinkSync(root, path.join(nestedProject, 'node_modules', 'temporal-lambda-worker'), 'dir');
    const args = ['--handler', 'handler.handler', '--out', nestedZip, '--no-bundle'];
    args.push('--include', 'static', '--include=notes.txt');
    const packaged = await runCli(['package', '--project', nestedProject, ...args]);
    expect(packaged.code, packaged.stderr).toBe(0);
    entries = zipEntries(nestedZip);
  });

  it('keeps the nested version at its place next to the hoisted one, and the handler loads each from the zip', () => {
    expect(entries).toContain('node_modules/dual/index.js');
    expect(entries).toContain('node_modules/uses-old/node_modules/dual/index.js');
    expect(entries).toContain('node_modules/temporal-lambda-worker/dist/index.cjs');
    const unzipped = path.join(workDir, 'nested');
    execFileSync('unzip', ['-q', nestedZip, '-d', unzipped]);
    // The handler's module installs the Temporal runtime, which keeps the process alive: it exits once it has printed.
    const script = "process.stdout.write(JSON.stringify(require('./handler.js').versions()), () => process.exit(0))";
    const env = { PATH: process.env.PATH ?? '' };
    const options = { cwd: unzipped, encoding: 'utf8', env, timeout: 60_000 } as const;
    const output = execFileSync(process.execPath, ['-e', script], options); // the handler's log line comes first
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({ hoisted: '2.0.0', nested: '1.0.0' });
  });

  it('adds every file of an --include folder at its path, next to an included file', () => {
    expect(entries).toEqual(expect.arrayContaining(['static/page.html', 'static/nested/data.json', 'notes.txt']));
  });

  it('refuses a temporal.toml holding an API key, even with --allow-private-keys, never printing it', async () => {
    const key = `tlw-integration-key-${process.pid}`;
    const configDir = path.join(nestedProject, 'prod-config');
    writeProject(configDir, { 'temporal.toml': `[profile.default]\naddress = "x:7233"\napi_key = "${key}"\n` });
    const args = ['--handler', 'handler.handler', '--out', path.join(workDir, 'key.zip'), '--no-bundle'];
    args.push('--include', 'prod-config', '--allow-private-keys');
    const refused = await runCli(['package', '--project', nestedProject, ...args]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/prod-config\/temporal\.toml sets api_key in profile 'default'.*TEMPORAL_API_KEY/);
    expect(refused.stdout + refused.stderr).not.toContain(key);
  });
});
