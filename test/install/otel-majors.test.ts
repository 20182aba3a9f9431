/**
 * The packed tarball installed as users install it, in fresh apps: next to OpenTelemetry JS 1.x,
 * next to 2.x, next to 3.x (run on Node 24: 3.x needs 22.15, and packaged by the package command),
 * and with no OpenTelemetry at all.
 * Each install must succeed; each app then runs a real invocation against the real server, and
 * metrics reach a real OTLP receiver with each major. Without OpenTelemetry, /otel fails with one
 * error naming the packages and the install line; with 2.x and 3.x, tracing does (the Temporal
 * interceptors need 1.x). The production tree carries no build tools, and the package command
 * names the ones to install.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
// @ts-expect-error plain ESM script without types
import { startOtlpReceiver } from '../../scripts/testserver.mjs';
// @ts-expect-error plain ESM script without types
import { runtimePaths } from '../emulator/lambda-emulator.mjs';
import { assertFreshBuild } from '../support/fresh-build';
import { counterTotal, metricPoints, type ReceivedLine } from '../support/otel';
import { pollUntil } from '../support/poll';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';

const root = path.join(import.meta.dirname, '..', '..');
const address = inject('temporalAddress');
const bundlePath = inject('workflowBundlePath');

/** The OpenTelemetry sets users have: the README's 1.x pins, and the 2.x set of issue 12. */
const OTEL_1X = [
  '@opentelemetry/api@1.9.0',
  '@opentelemetry/resources@1.30.1',
  '@opentelemetry/sdk-metrics@1.30.1',
  '@opentelemetry/exporter-metrics-otlp-grpc@0.57.2',
  '@opentelemetry/core@1.30.1',
  '@opentelemetry/sdk-trace-base@1.30.1',
  '@opentelemetry/context-async-hooks@1.30.1',
  '@opentelemetry/exporter-trace-otlp-grpc@0.57.2',
  '@opentelemetry/id-generator-aws-xray@1.2.3',
  '@temporalio/interceptors-opentelemetry@1.24.0',
  '@temporalio/workflow@1.24.0',
];
const OTEL_2X = [
  '@opentelemetry/api@1.9.0',
  '@opentelemetry/sdk-metrics@2.12.1',
  '@opentelemetry/exporter-metrics-otlp-grpc@0.212.0',
  '@opentelemetry/resources@2.12.1',
];
/** The newest line (the registry's latest since October 2026), as a new app installs it today. */
const OTEL_3X = [
  '@opentelemetry/api@1.10.0',
  '@opentelemetry/sdk-metrics@3.1.1',
  '@opentelemetry/exporter-metrics-otlp-grpc@0.301.0',
  '@opentelemetry/resources@3.1.1',
];

let tarball: string;
let client: Client;
let closeClient: () => Promise<void>;
let receiver: { address: string; received: () => ReceivedLine[]; stop: () => Promise<void> };

beforeAll(async () => {
  assertFreshBuild(root); // npm pack packs dist/ as it is
  const packDir = mkdtempSync(path.join(tmpdir(), 'tlw-pack-'));
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: root, encoding: 'utf8' })
    .trim()
    .split('\n')
    .at(-1)!;
  tarball = path.join(packDir, name);
  ({ client, close: closeClient } = await connectClient(address));
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await closeClient?.();
  await receiver?.stop();
});

/** A fresh app with the tarball and `extra` installed the way a user would; the npm outcome. */
function installApp(extra: string[], omitDev = false): { dir: string; status: number | null; output: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tlw-app-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, version: '1.0.0' }));
  cpSync(path.join(root, 'test', 'fixtures', 'install-app', 'run.cjs'), path.join(dir, 'run.cjs'));
  const install = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', ...(omitDev ? ['--omit=dev'] : []), tarball, ...extra],
    { cwd: dir, encoding: 'utf8' },
  );
  return { dir, status: install.status, output: `${install.stdout}\n${install.stderr}` };
}

/** Runs the app's invocation while a workflow is started for it; returns the app's findings. */
async function runApp(
  dir: string,
  env: Record<string, string>,
  node: string = process.execPath,
): Promise<{ findings: Record<string, any>; taskQueue: string }> {
  const taskQueue = uniqueName('install');
  const deployment = uniqueName('install-dep');
  const child = spawnAsync(dir, node, {
    APP_TASK_QUEUE: taskQueue,
    APP_DEPLOYMENT: deployment,
    APP_BUNDLE: bundlePath,
    APP_OTLP_ENDPOINT: receiver.address,
    TEMPORAL_ADDRESS: address,
    ...env,
  });
  await makeVersionCurrent(client, deployment, 'b1');
  expect(await client.workflow.execute('greeting', { taskQueue, workflowId: uniqueName('wf'), args: ['app'] })).toBe(
    'Hello, app!',
  );
  const { stdout, stderr } = await child;
  const line = stdout.split('\n').find((l) => l.startsWith('{"findings"'));
  if (line === undefined) throw new Error(`the app printed no findings:\n${stdout}\n${stderr}`);
  return { findings: JSON.parse(line).findings, taskQueue };
}

function spawnAsync(
  dir: string,
  node: string,
  env: Record<string, string>,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(node, ['run.cjs'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'WARN', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', () => resolve({ stdout, stderr }));
  });
}

/**
 * The workflow completions of `taskQueue` the receiver got, once at least `expected` are here: the
 * app exported them before it exited, and the receiver's lines reach this process through a pipe.
 */
async function completedAtReceiver(taskQueue: string, expected: number): Promise<number> {
  const total = () => {
    const points = metricPoints(receiver.received()).filter((point) => point.attributes.task_queue === taskQueue);
    return counterTotal(points, 'temporal_workflow_completed') ?? 0;
  };
  return pollUntil(() => total() >= expected && total(), {
    timeoutMs: 5_000,
    what: `${expected} workflow completion(s) of ${taskQueue} at the OTLP receiver`,
    seen: () => `${total()}`,
  });
}

describe('the packed tarball in fresh apps', () => {
  it('installs next to OpenTelemetry JS 1.x: metrics reach the receiver, tracing works', async () => {
    const app = installApp(OTEL_1X);
    expect(app.status, app.output).toBe(0);
    const { findings, taskQueue } = await runApp(app.dir, { INSTALL_OTEL: '1' });
    expect(findings).toMatchObject({
      requireOtel: { ok: true },
      importOtel: { ok: true },
      applyMetrics: { ok: true },
      applyTracing: { ok: true },
      invocation: { outcome: 'ok' },
    });
    expect(await completedAtReceiver(taskQueue, 1)).toBe(1);
  });

  it('installs next to OpenTelemetry JS 2.x: metrics reach the receiver; tracing says it needs 1.x', async () => {
    const app = installApp(OTEL_2X);
    expect(app.status, app.output).toBe(0);
    const { findings, taskQueue } = await runApp(app.dir, { INSTALL_OTEL: '1' });
    expect(findings).toMatchObject({
      requireOtel: { ok: true },
      importOtel: { ok: true },
      applyMetrics: { ok: true },
      invocation: { outcome: 'ok' },
    });
    expect(findings.applyTracing).toMatchObject({ ok: false, name: 'InvalidOptionError' });
    expect(findings.applyTracing.message).toMatch(
      /needs OpenTelemetry JS 1\.x.*@opentelemetry\/sdk-trace-base@2\.\d+\.\d+.*npm install @temporalio\/interceptors-opentelemetry@1\.24\.0/,
    );
    expect(await completedAtReceiver(taskQueue, 1)).toBe(1);
  });

  it('installs next to OpenTelemetry JS 3.x and runs on Node 24 (3.x needs 22.15): metrics reach the receiver; tracing says what it needs', async () => {
    const node24: string = runtimePaths('24').node;
    if (!existsSync(node24))
      throw new Error(`Node 24 is not installed at ${node24}: run \`node test/emulator/setup.mjs\` (npm test does).`);
    const app = installApp(OTEL_3X);
    expect(app.status, app.output).toBe(0);
    expect(app.output).not.toMatch(/ERESOLVE/);
    const { findings, taskQueue } = await runApp(app.dir, { INSTALL_OTEL: '1' }, node24);
    expect(findings).toMatchObject({
      requireOtel: { ok: true },
      importOtel: { ok: true },
      applyMetrics: { ok: true },
      invocation: { outcome: 'ok' },
    });
    expect(findings.applyTracing).toMatchObject({ ok: false, name: 'MissingPeerError' });
    expect(findings.applyTracing.message).toMatch(
      /@opentelemetry\/sdk-trace-base.*not installed.*npm install @temporalio\/interceptors-opentelemetry@1\.24\.0/,
    );
    expect(await completedAtReceiver(taskQueue, 1)).toBe(1);

    // The package command bundles a handler that uses /otel metrics without the tracing packages
    // (esbuild leaves their requires to run time), and the bundled handler loads on Node 24.
    writeFileSync(
      path.join(app.dir, 'handler.cjs'),
      [
        "const { runWorker } = require('temporal-lambda-worker');",
        "const otel = require('temporal-lambda-worker/otel');",
        "exports.handler = runWorker({ deploymentName: 'd', buildId: 'b1' }, (config) => {",
        "  config.workerOptions.taskQueue = 'tq';",
        "  otel.applyMetrics(config, { endpoint: 'http://127.0.0.1:4317', serviceName: 'bundled' });",
        '});',
      ].join('\n'),
    );
    const zip = path.join(app.dir, 'function.zip');
    const packaging = spawnSync(
      process.execPath,
      [
        path.join(root, 'dist', 'cli.cjs'),
        'package',
        '--project',
        app.dir,
        '--handler',
        'handler.handler',
        '--out',
        zip,
      ],
      { cwd: app.dir, encoding: 'utf8' },
    );
    expect(packaging.status, `${packaging.stdout}${packaging.stderr}`).toBe(0);
    expect(packaging.stdout).toMatch(/bundled:/);
    const unpacked = mkdtempSync(path.join(tmpdir(), 'tlw-zip-'));
    execFileSync('unzip', ['-q', zip, '-d', unpacked]);
    const load = spawnSync(
      node24,
      ['-e', "const h = require('./handler.cjs'); console.log('handler:', typeof h.handler); process.exit(0)"],
      { cwd: unpacked, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'WARN' }, timeout: 30_000 },
    );
    expect(load.status, `${load.stdout}${load.stderr}`).toBe(0);
    expect(load.stdout).toContain('handler: function');
  });

  it('installs with no OpenTelemetry and no dev tools: the core works, /otel and the package command name what to install', async () => {
    const app = installApp([], true);
    expect(app.status, app.output).toBe(0);
    const { findings } = await runApp(app.dir, {});
    expect(findings.invocation).toMatchObject({ outcome: 'ok' });
    for (const attempt of [findings.requireOtel, findings.importOtel]) {
      expect(attempt).toMatchObject({ ok: false, name: 'MissingPeerError' });
      expect(attempt.message).toMatch(
        /@opentelemetry\/api.*@opentelemetry\/sdk-metrics.*not installed.*npm install @opentelemetry\/api@1\.9\.0/,
      );
    }
    const installed = readdirSync(path.join(app.dir, 'node_modules'));
    for (const tool of ['esbuild', 'yazl', '@vercel']) expect(installed).not.toContain(tool);
    const packaging = spawnSync(
      path.join(app.dir, 'node_modules', '.bin', 'temporal-lambda-worker'),
      ['package', '--handler', 'run.handler', '--out', path.join(app.dir, 'f.zip')],
      { cwd: app.dir, encoding: 'utf8' },
    );
    expect(packaging.status).toBe(1);
    expect(`${packaging.stdout}${packaging.stderr}`).toMatch(
      /npm install --save-dev esbuild@0\.27\.7 @vercel\/nft@1\.11\.5 yazl@3\.3\.1/,
    );
    const bytes = Number(
      execFileSync('du', ['-sb', path.join(app.dir, 'node_modules')], { encoding: 'utf8' }).split('\t')[0],
    );
    console.log(`install: npm install --omit=dev of the tarball: node_modules ${(bytes / 1024 / 1024).toFixed(1)} MB`);
    expect(existsSync(path.join(app.dir, 'node_modules', '@temporalio', 'worker'))).toBe(true);
  });
});
