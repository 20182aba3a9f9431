/**
 * A V8 code cache made by `package --code-cache` for nodejs22.x at 256 MB (the handler's, with its
 * rehearsal invocation, and the workflow bundle's), loaded by the real runtime client in the Lambda
 * emulator with the flags Lambda's bootstrap gives node: used on the Node it was made by, ignored
 * on Node 24, and the example's packed zip (bundled handler) completes
 * its workflow on both and ends before the deadline.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
// @ts-expect-error plain ESM script without types
import { runtimePaths, startLambdaEmulator } from '../emulator/lambda-emulator.mjs';
// @ts-expect-error plain ESM script without types
import { startTestServer } from '../../scripts/testserver.mjs';
import { makeVersionCurrent, uniqueName } from '../support/temporal';
import { logged } from '../support/logs';

const root = path.join(import.meta.dirname, '..', '..');
const cleanups: Array<() => Promise<unknown>> = [];
let task: string;
let server: { address: string; stop(): Promise<void> };
let temporal: Client;

beforeAll(async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'tlw-code-cache-zip-'));
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const node22 = (runtimePaths as (major: string) => { node: string })('22').node;
  execFileSync(process.execPath, [
    path.join(root, 'dist', 'cli.cjs'),
    'package',
    '--project',
    path.join(root, 'examples', 'basic'),
    '--handler',
    'lib/index.handler',
    '--out',
    path.join(work, 'function.zip'),
    '--code-cache',
    '--memory',
    '256',
    '--node',
    node22,
  ]);
  task = path.join(work, 'task');
  execFileSync('unzip', ['-q', path.join(work, 'function.zip'), '-d', task]);
  server = await startTestServer();
  cleanups.push(() => server.stop());
  const connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  temporal = new Client({ connection });
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One invocation of the packed example on `nodeMajor`, with a workflow for it; the loader's word. */
async function invokeOn(nodeMajor: string): Promise<string[]> {
  const taskQueue = uniqueName(`code-cache-${nodeMajor}`);
  const emu = await startLambdaEmulator({
    taskRoot: task,
    handler: 'lib/index.handler',
    timeoutSeconds: 12,
    memoryMb: 256,
    nodeMajor,
    runtimeFlags: true,
    env: {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:9',
      NODE_DEBUG: 'tlw-code-cache',
    },
  });
  try {
    const invocation = emu.invoke({});
    await makeVersionCurrent(temporal, 'sdk-demo', 'v1');
    const greeting = await temporal.workflow.execute('greet', {
      taskQueue,
      workflowId: uniqueName('wf'),
      args: [`Node ${nodeMajor}`],
    });
    expect(greeting).toBe(`Hello, Node ${nodeMajor}!`);
    const result = await invocation;
    console.log(`emulator, packed zip on Node ${nodeMajor}: ended ${result.marginMs} ms before the 12 s deadline`);
    expect(result.outcome).toBe('ok');
    expect(result.marginMs).toBeGreaterThan(0);
    const lines = (emu.logs as Array<{ line: string; requestId?: string }>)
      .filter((entry) => entry.requestId === result.requestId)
      .map((entry) => entry.line);
    const summaries = logged(lines, { message: 'Invocation summary' });
    expect(summaries.map((summary) => summary.endReason)).toEqual([expect.stringMatching(/^(idle|deadline)$/)]);
    return (emu.logs as Array<{ line: string }>).flatMap(
      ({ line }) => line.match(/TLW-CODE-CACHE \d+: (.*)/)?.[1] ?? [],
    );
  } finally {
    await emu.stop();
  }
}

describe('a V8 code cache shipped in the zip, under the runtime client', () => {
  it('is used on the Node and memory size it was made for, and so is the workflow bundle cache', async () => {
    expect(await invokeOn('22')).toEqual([
      'used',
      expect.stringMatching(/^workflow bundle \S+workflow-bundle\.js: used$/),
    ]);
  });

  it('is ignored on another Node version, which loads the bundle as any module', async () => {
    const [word, ...more] = await invokeOn('24');
    expect(word).toMatch(/^not used: made for V8 12\.\S+ \(Node v22\.[\d.]+, x64\), this is V8 13\.\S+ \(Node v24\./);
    expect(more).toEqual([
      expect.stringMatching(/^workflow bundle \S+workflow-bundle\.js: none for V8 13\.\S+ \(x64\)$/),
    ]);
  });
});
