/**
 * The packed tarball installed as users install it, in fresh apps: next to OpenTelemetry JS 1.x,
 * next to 2.x, next to 3.x (run on Node 24: 3.x needs 22.15, and packaged by the package command),
 * with the official package's documented OpenTelemetry set at its lowest versions (an app migrated
 * from it, import path changed), and with no OpenTelemetry at all.
 * Each install must succeed; each app then runs a real invocation against the real server, and
 * metrics and linked workflow and activity spans reach a real OTLP receiver with each major. The
 * migrated app bundles its workflows with makeOtelPlugin and gets tracing from applyDefaults, which
 * says once that metrics need the metrics exporter. Without OpenTelemetry, /otel imports and its
 * functions name the packages and the install line. The production tree carries no build tools,
 * and the package command names the ones to install.
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
import { counterTotal, metricPoints, spans, type ReceivedLine } from '../support/otel';
import { pollUntil } from '../support/poll';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';

const root = path.join(import.meta.dirname, '..', '..');
const address = inject('temporalAddress');
const bundlePath = inject('workflowBundlePath');
const otelBundlePath = inject('otelWorkflowBundlePath');

/** The OpenTelemetry sets users have: the README's 1.x pins, and the 2.x set of issue 12. */
const OTEL_1X = [
  '@opentelemetry/api@1.9.0',
  '@opentelemetry/resources@1.30.1',
  '@opentelemetry/sdk-metrics@1.30.1',
  '@opentelemetry/exporter-metrics-otlp-grpc@0.57.2',
  '@opentelemetry/core@1.30.1',
  '@opentelemetry/sdk-trace-base@1.30.1',
  '@opentelemetry/exporter-trace-otlp-grpc@0.57.2',
  '@temporalio/interceptors-opentelemetry@1.24.0',
  '@temporalio/workflow@1.24.0',
];
/** The tracing packages of each newer line (the install lines /otel gives). */
const TRACING_2X = [
  '@temporalio/interceptors-opentelemetry@1.24.0',
  '@opentelemetry/core@2.12.1',
  '@opentelemetry/sdk-trace@2.12.1',
  '@opentelemetry/exporter-trace-otlp-grpc@0.223.1',
];
const TRACING_3X = [
  '@temporalio/interceptors-opentelemetry@1.24.0',
  '@opentelemetry/core@3.1.0',
  '@opentelemetry/sdk-trace@3.1.0',
  '@opentelemetry/exporter-trace-otlp-grpc@0.301.0',
];
/**
 * The official package's documented OpenTelemetry dependencies (its optional peers: the tracing
 * packages, no metrics exporter) at the lowest versions of their ranges that install one copy of
 * the SDK, and the workflow package its sample's workflows import. (The exporter's 0.52.0 pins the
 * SDK at 1.25.0: beside sdk-trace-base 1.25.1 npm nests a second core, and Temporal's workflow
 * bundler then fails to resolve `@opentelemetry/semantic-conventions` from it, whichever Lambda
 * package the app uses. 0.52.1 pins 1.25.1.) The ranges as npm resolves them today (0.52.1 with
 * 1.30.1) were run by hand once and work too.
 */
const OFFICIAL_SET = [
  '@temporalio/interceptors-opentelemetry@1.24.0',
  '@opentelemetry/exporter-trace-otlp-grpc@0.52.1',
  '@opentelemetry/sdk-trace-base@1.25.1',
  '@opentelemetry/resources@1.25.1',
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
  for (const file of ['run.cjs', 'workflows.js', 'bundle.cjs'])
    cpSync(path.join(root, 'test', 'fixtures', 'install-app', file), path.join(dir, file));
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
): Promise<{ findings: Record<string, any>; taskQueue: string; service: string; output: string }> {
  const taskQueue = uniqueName('install');
  const deployment = uniqueName('install-dep');
  const service = uniqueName('install-svc');
  const child = spawnAsync(dir, node, {
    APP_TASK_QUEUE: taskQueue,
    APP_DEPLOYMENT: deployment,
    APP_BUNDLE: env.INSTALL_OTEL ? otelBundlePath : bundlePath,
    APP_OTLP_ENDPOINT: receiver.address,
    APP_SERVICE: service,
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
  return { findings: JSON.parse(line).findings, taskQueue, service, output: `${stdout}${stderr}` };
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

/**
 * The app's spans at the receiver, once its activity span is here, checked to be one linked trace:
 * the activity's parent is the workflow's StartActivity span, whose parent is the RunWorkflow span.
 * Returns the activity span's resource.
 */
async function linkedSpansAtReceiver(service: string): Promise<Record<string, unknown>> {
  const mine = () => spans(receiver.received()).filter((span) => span.resource['service.name'] === service);
  const activity = await pollUntil(() => mine().find((span) => span.name === 'RunActivity:greet'), {
    timeoutMs: 5_000,
    what: `the RunActivity:greet span of ${service} at the OTLP receiver`,
    seen: () =>
      mine()
        .map((span) => span.name)
        .join(', '),
  });
  const scheduled = mine().find((span) => span.spanIdHex === activity.parentSpanIdHex);
  expect(scheduled?.name).toBe('StartActivity:greet');
  const workflow = mine().find((span) => span.spanIdHex === scheduled!.parentSpanIdHex);
  expect(workflow?.name).toBe('RunWorkflow:greeting');
  expect(new Set([activity.traceIdHex, scheduled!.traceIdHex, workflow!.traceIdHex]).size).toBe(1);
  return activity.resource;
}

describe('the packed tarball in fresh apps', () => {
  it('installs next to OpenTelemetry JS 1.x: metrics and linked spans reach the receiver', async () => {
    const app = installApp(OTEL_1X);
    expect(app.status, app.output).toBe(0);
    const { findings, taskQueue, service } = await runApp(app.dir, { INSTALL_OTEL: '1' });
    expect(findings).toMatchObject({
      requireOtel: { ok: true },
      importOtel: { ok: true },
      applyMetrics: { ok: true },
      applyTracing: { ok: true },
      invocation: { outcome: 'ok' },
    });
    expect(await completedAtReceiver(taskQueue, 1)).toBe(1);
    expect(await linkedSpansAtReceiver(service)).toHaveProperty('service.instance.id');
  });

  it('installs next to OpenTelemetry JS 2.x: metrics and linked spans reach the receiver', async () => {
    const app = installApp([...OTEL_2X, ...TRACING_2X]);
    expect(app.status, app.output).toBe(0);
    expect(app.output).not.toMatch(/ERESOLVE/);
    const { findings, taskQueue, service } = await runApp(app.dir, { INSTALL_OTEL: '1' });
    expect(findings).toMatchObject({
      requireOtel: { ok: true },
      importOtel: { ok: true },
      applyMetrics: { ok: true },
      applyTracing: { ok: true },
      invocation: { outcome: 'ok' },
    });
    expect(await completedAtReceiver(taskQueue, 1)).toBe(1);
    await linkedSpansAtReceiver(service);
  });

  it("installs the official package's documented OpenTelemetry set at its lowest versions (an app migrated from it): bundles with makeOtelPlugin, and applyDefaults traces and says what metrics need", async () => {
    const app = installApp(OFFICIAL_SET);
    expect(app.status, app.output).toBe(0);
    expect(app.output).not.toMatch(/ERESOLVE/);
    const bundling = spawnSync(process.execPath, ['bundle.cjs'], { cwd: app.dir, encoding: 'utf8', timeout: 120_000 });
    expect(bundling.status, `${bundling.stdout}${bundling.stderr}`).toBe(0);
    expect(bundling.stdout).toMatch(/bundled: \d+ bytes/);
    const { findings, service, output } = await runApp(app.dir, {
      INSTALL_OTEL: 'defaults',
      APP_BUNDLE: path.join(app.dir, 'workflow-bundle.js'),
    });
    expect(findings).toMatchObject({
      requireOtel: { ok: true },
      importOtel: { ok: true },
      applyDefaults: { ok: true },
      invocation: { outcome: 'ok' },
    });
    await linkedSpansAtReceiver(service);
    const leftOut = output
      .split('\n')
      .filter((line) => line.includes('applyDefaults set up only part of the telemetry'));
    expect(leftOut).toHaveLength(1);
    expect(leftOut[0]).toMatch(
      /@opentelemetry\/exporter-metrics-otlp-grpc.*not installed.*npm install @opentelemetry\/api@/,
    );
  });

  it('installs next to OpenTelemetry JS 3.x and runs on Node 24 (3.x needs 22.15): metrics and linked spans reach the receiver', async () => {
    const node24: string = runtimePaths('24').node;
    if (!existsSync(node24))
      throw new Error(`Node 24 is not installed at ${node24}: run \`node test/emulator/setup.mjs\` (npm test does).`);
    const app = installApp([...OTEL_3X, ...TRACING_3X]);
    expect(app.status, app.output).toBe(0);
    expect(app.output).not.toMatch(/ERESOLVE/);
    const { findings, taskQueue, service } = await runApp(app.dir, { INSTALL_OTEL: '1' }, node24);
    expect(findings).toMatchObject({
      requireOtel: { ok: true },
      importOtel: { ok: true },
      applyMetrics: { ok: true },
      applyTracing: { ok: true },
      invocation: { outcome: 'ok' },
    });
    expect(await completedAtReceiver(taskQueue, 1)).toBe(1);
    await linkedSpansAtReceiver(service);

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

  it('installs with no OpenTelemetry and no dev tools: the core works, /otel imports, applyDefaults and the package command name what to install', async () => {
    const app = installApp([], true);
    expect(app.status, app.output).toBe(0);
    const { findings } = await runApp(app.dir, { INSTALL_OTEL: 'defaults', APP_BUNDLE: bundlePath });
    expect(findings.invocation).toMatchObject({ outcome: 'ok' });
    // Importing /otel loads no OpenTelemetry package; applyDefaults names both sets and their install lines.
    expect(findings).toMatchObject({ requireOtel: { ok: true }, importOtel: { ok: true } });
    expect(findings.applyDefaults).toMatchObject({ ok: false, name: 'MissingPeerError' });
    expect(findings.applyDefaults.message).toMatch(
      /neither the metrics nor the tracing packages.*@opentelemetry\/api.*@opentelemetry\/sdk-metrics.*not installed.*npm install @opentelemetry\/api@1\.9\.0.*@temporalio\/interceptors-opentelemetry.*not installed.*npm install @temporalio\/interceptors-opentelemetry@1\.24\.0/,
    );
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
