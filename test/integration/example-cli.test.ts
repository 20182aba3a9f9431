/**
 * The spec's handler (examples/basic, only the import path changed), compiled to CJS and run by
 * the `temporal-lambda-worker invoke` CLI in its own Node process against the real server; and
 * the command line of the built CLI: values whole, unknown options refused, usage on --help.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { CLI, runCli } from '../support/cli';
import { emfViolations } from '../support/emf-schema';
import { assertFreshBuild, assertLoadsThisCheckout } from '../support/fresh-build';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';

const root = path.join(import.meta.dirname, '..', '..');
const exampleDir = path.join(root, 'examples', 'basic');
const address = inject('temporalAddress');

let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  assertFreshBuild(root); // the CLI, and the package the example's handler requires
  assertLoadsThisCheckout(exampleDir, root);
  for (const file of [
    CLI,
    path.join(exampleDir, 'lib', 'index.js'),
    path.join(exampleDir, 'lib', 'workflow-bundle.js'),
  ]) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: run \`npm run build && npm run build:example\` (npm test does).`);
  }
  ({ client, close: closeClient } = await connectClient(address));
});
afterAll(async () => {
  await closeClient();
});

describe('examples/basic through `temporal-lambda-worker invoke`', () => {
  it('runs the spec handler in its own process: a workflow completes and the invocation ends before its deadline', async () => {
    const taskQueue = uniqueName('example');
    const invocation = runCli(['invoke', 'lib/index.js#handler', '--timeout', '12', '--function-name', 'example-fn'], {
      cwd: exampleDir,
      env: { TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue, LAMBDA_TASK_ROOT: exampleDir },
    });
    await makeVersionCurrent(client, 'sdk-demo', 'v1');
    const result = await client.workflow.execute('greet', { taskQueue, workflowId: uniqueName('wf'), args: ['CLI'] });
    const { code, stdout, stderr } = await invocation;

    expect(result).toBe('Hello, CLI!');
    expect(code, stderr).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, any>);
    const summary = lines.find((line) => line.message === 'Invocation summary');
    const local = lines.find((line) => line.localInvoke)?.localInvoke;
    expect(summary).toMatchObject({ functionName: 'example-fn', level: 'INFO' });
    expect(['deadline', 'idle']).toContain(summary?.endReason); // the example keeps the default idle exit
    expect(local.outcome).toBe('ok');
    expect(local.marginBeforeDeadlineMs).toBeGreaterThan(0);
    expect(lines.find((line) => line.message === 'Lambda worker configured')).toMatchObject({
      configFile: path.join(exampleDir, 'temporal.toml'),
      address,
    });
    console.log(`example via CLI: settled ${local.marginBeforeDeadlineMs} ms before its 12 s deadline`);
  });

  it('runs the EMF example: valid EMF lines on its stdout, written before the handler returned', async () => {
    const taskQueue = uniqueName('example-emf');
    const invocation = runCli(
      ['invoke', 'lib/emf-handler.js#handler', '--timeout', '12', '--function-name', 'example-emf-fn'],
      {
        cwd: exampleDir,
        env: { TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue, LAMBDA_TASK_ROOT: exampleDir },
      },
    );
    await makeVersionCurrent(client, 'sdk-demo', 'v1');
    await client.workflow.execute('greet', { taskQueue, workflowId: uniqueName('wf'), args: ['EMF'] });
    const { code, stdout, stderr } = await invocation;
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    const emf = lines.filter((line) => line.includes('"_aws"'));
    expect(emf.length).toBeGreaterThanOrEqual(2);
    for (const line of emf) expect(emfViolations(line)).toEqual([]);
    const docs = emf.map((line) => JSON.parse(line) as Record<string, any>);
    expect(docs[0]).toMatchObject({
      FunctionName: 'example-emf-fn',
      TaskQueue: taskQueue,
      DeploymentVersion: 'sdk-demo.v1',
      Invocations: 1,
      Activities: 1,
    });
    expect(docs.every((doc) => doc._aws.CloudWatchMetrics[0].Namespace === 'SdkDemo/Workers')).toBe(true);
    expect(docs.find((doc) => doc.temporal_workflow_completed !== undefined)?.temporal_workflow_completed).toBe(1);
    // The CLI prints its own line once the handler has returned: the EMF lines come before it.
    expect(lines.findIndex((line) => line.includes('"localInvoke"'))).toBeGreaterThan(lines.lastIndexOf(emf.at(-1)!));
  });

  it('reports a missing task queue as an init error with the names of both fixes, and exits 1', async () => {
    const { code, stdout } = await runCli(
      ['invoke', path.join(root, 'test', 'fixtures', 'no-task-queue.cjs'), '--timeout', '10'],
      { cwd: exampleDir, env: { TEMPORAL_ADDRESS: address } },
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(/MissingTaskQueueError/);
    expect(stdout).toMatch(/"outcome":"init-error"/); // the synchronous configure's error is thrown at load, as Lambda's init phase
    expect(stdout).toMatch(/TEMPORAL_TASK_QUEUE.*config\.workerOptions\.taskQueue/);
  });
});

describe('the command line of `temporal-lambda-worker`', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'tlw-cli-'));
  const echoHandler = path.join(work, 'echo.cjs');
  writeFileSync(echoHandler, 'exports.handler = async (event) => console.log(JSON.stringify({ received: event }));\n');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('passes an --event value whole, with every = after the first', async () => {
    const event = '{"a":"b=c","d":"=="}';
    const args = ['invoke', `${echoHandler}#handler`, `--event=${event}`, '--timeout=5'];
    const { code, stdout, stderr } = await runCli(args);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`{"received":${event}}`);
  });

  it('refuses an unknown option of either command with exit code 2, naming the known ones', async () => {
    const invoke = await runCli(['invoke', `${echoHandler}#handler`, '--evnet={}']);
    expect(invoke.code).toBe(2);
    expect(invoke.stdout).not.toContain('received');
    expect(invoke.stderr).toMatch(/Unknown option '--evnet'.*Known options of invoke: --timeout VALUE, --event VALUE/);
    const packaged = await runCli(['package', '--project', work, '--bundle']);
    expect(packaged.code).toBe(2);
    expect(packaged.stderr).toMatch(/Unknown option '--bundle'.*Known options of package: --project VALUE/);
    expect(packaged.stderr).toContain('--include VALUE (repeatable)');
  });

  it('prints the usage for --help and -h, exit code 0', async () => {
    for (const args of [['--help'], ['invoke', '--help'], ['invoke', '-h'], ['package', '-h'], ['package', '--help']]) {
      const { code, stdout } = await runCli(args);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout).toMatch(/^Usage:\n +temporal-lambda-worker invoke/);
    }
  });
});
