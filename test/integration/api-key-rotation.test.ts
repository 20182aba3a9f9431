/**
 * API keys that rotate, on real parts: a Temporal server that accepts only the keys listed in a
 * file (re-read when it changes, so a key taken out of it is refused for real), a local endpoint
 * speaking Secrets Manager's and SSM's JSON 1.1 calls, and the real AWS SDK clients pointed at it
 * through their `endpoint` option. Each case rotates the key in the store and at the server, and
 * checks that workflows still complete, which invocations failed (none), how the new key reached
 * the connection, and that no key was written to any log line or to stdout/stderr.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
// @ts-expect-error plain ESM script without types
import { startTestServer } from '../../scripts/testserver.mjs';
import { startSecretsEndpoint, type SecretsEndpoint } from '../support/aws-secrets';
import { testHandler } from '../support/handler';
import { invoke } from '../support/invoke';
import { OutputCapture } from '../support/output-capture';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';

const KEYS = ['tlw-rotation-key-a-3c9e1f', 'tlw-rotation-key-b-71d04a', 'tlw-rotation-key-c-9b2e65'];
const KEYS_D = 'tlw-rotation-key-d-4f8a13';
const ALL_KEYS = [...KEYS, KEYS_D];
const SECRET_ID = 'temporal/api-key';
const PARAMETER = '/temporal/api-key';
const bundlePath = inject('workflowBundlePath');
const keysFile = path.join(mkdtempSync(path.join(tmpdir(), 'tlw-keys-')), 'keys');
const output = new OutputCapture();
const awsOptions = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

let server: { address: string; stop: () => Promise<void> };
let endpoint: SecretsEndpoint;
let client: Client;
let closeClient: () => Promise<void>;

/** The keys the server accepts from now on; a key left out is refused at its next call. */
function acceptOnly(...keys: string[]): void {
  writeFileSync(keysFile, keys.join('\n') + '\n');
}

beforeAll(async () => {
  output.start();
  acceptOnly(KEYS[0]!);
  server = await startTestServer({ args: ['-api-keys-file', keysFile] });
  endpoint = await startSecretsEndpoint();
  // The test's own client sends no key: the server lets calls without one through (its system workers).
  ({ client, close: closeClient } = await connectClient(server.address));
});
afterAll(async () => {
  output.stop();
  await closeClient();
  await endpoint.close();
  await server.stop();
});

/** A handler whose key comes from `read`, against the key-checking server. */
function rotatingHandler(read: () => Promise<string>, name: string, maxAgeMs: number, idleExitMs: number | false) {
  return testHandler({
    bundlePath,
    env: { TEMPORAL_ADDRESS: server.address, TEMPORAL_TLS: 'false' },
    sink: output.sink,
    configure: (config) => {
      config.apiKeySource = { read, name, maxAgeMs };
      config.idleExitMs = idleExitMs;
    },
  });
}

/** Runs a workflow to its result; fails after 20 s (no worker could complete it) instead of hanging. */
async function greet(taskQueue: string): Promise<string> {
  const workflowId = uniqueName('wf');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`workflow ${workflowId} did not complete within 20 s`)), 20_000);
  });
  try {
    return await Promise.race([
      client.workflow.execute('greeting', { taskQueue, workflowId, args: ['rotation'] }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** With the handler's first invocation running: makes its version current and completes a workflow with it. */
async function firstWorkflow(t: ReturnType<typeof rotatingHandler>): Promise<void> {
  const current = makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
  expect(await greet(t.taskQueue)).toBe('Hello, rotation!');
  await current;
}

/** Checks that no key is in the handler's lines or anywhere in the process's output. */
function expectNoKey(lines: string[]): void {
  const written = lines.join('\n') + output.since(0);
  for (const key of ALL_KEYS) expect(written.includes(key), `a key was written`).toBe(false);
}

describe('a rotating API key', () => {
  it('Secrets Manager: the old key revoked at once is refused, read again, and the invocation succeeds', async () => {
    endpoint.secrets.set(SECRET_ID, KEYS[0]!);
    const secrets = new SecretsManagerClient({ ...awsOptions, endpoint: endpoint.url });
    const read = async () => (await secrets.send(new GetSecretValueCommand({ SecretId: SECRET_ID }))).SecretString!;
    const t = rotatingHandler(read, `Secrets Manager secret ${SECRET_ID}`, 300_000, 1_500);

    const first = invoke(t.handler, 20_000);
    await firstWorkflow(t);
    expect((await first).error).toBeUndefined();

    // Rotation without overlap: the store holds the new key and the server refuses the old one.
    endpoint.secrets.set(SECRET_ID, KEYS[1]!);
    acceptOnly(KEYS[1]!);
    const workflow = greet(t.taskQueue);
    const second = await invoke(t.handler, 20_000);
    expect(second.error).toBeUndefined();
    expect(await workflow).toBe('Hello, rotation!');

    const records = t.logs.records();
    const summaries = records.filter((line) => line.message === 'Invocation summary');
    expect(summaries.map((line) => [line.endReason, line.connectionReused])).toEqual([
      ['idle', false],
      ['idle', false],
    ]);
    expect(records.map((line) => line.message)).toEqual(
      expect.arrayContaining([
        'Kept Temporal connection failed its check; reconnecting',
        `Temporal API key rotated: a new key from Secrets Manager secret ${SECRET_ID} is in use`,
      ]),
    );
    expect(endpoint.calls.filter((call) => call.startsWith('secretsmanager'))).toHaveLength(2);
    expectNoKey(t.logs.lines);
  }, 90_000);

  it('SSM: a key past its age is read again and put on the kept connection, which the server then accepts', async () => {
    acceptOnly(KEYS[1]!);
    endpoint.parameters.set(PARAMETER, KEYS[1]!);
    const ssm = new SSMClient({ ...awsOptions, endpoint: endpoint.url });
    const read = async () =>
      (await ssm.send(new GetParameterCommand({ Name: PARAMETER, WithDecryption: true }))).Parameter!.Value!;
    const t = rotatingHandler(read, `SSM parameter ${PARAMETER}`, 2_000, 1_500);

    const first = invoke(t.handler, 20_000);
    await firstWorkflow(t);
    expect((await first).error).toBeUndefined();

    // Rotation with overlap, then the old key revoked once the new one is due to be read.
    endpoint.parameters.set(PARAMETER, KEYS[2]!);
    acceptOnly(KEYS[1]!, KEYS[2]!);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    acceptOnly(KEYS[2]!);
    const workflow = greet(t.taskQueue);
    const second = await invoke(t.handler, 20_000);
    expect(second.error).toBeUndefined();
    expect(await workflow).toBe('Hello, rotation!');

    const summaries = t.logs.records().filter((line) => line.message === 'Invocation summary');
    // Reused: the kept connection took the new key and passed its check with it; no reconnect.
    expect(summaries.map((line) => [line.endReason, line.connectionReused])).toEqual([
      ['idle', false],
      ['idle', true],
    ]);
    expect(endpoint.calls.filter((call) => call.startsWith('AmazonSSM'))).toHaveLength(2);
    expectNoKey(t.logs.lines);
  }, 90_000);

  it('a running worker takes the key a concurrent invocation read: its next calls carry it', async () => {
    acceptOnly(KEYS[2]!);
    let stored = KEYS[2]!;
    const t = rotatingHandler(async () => stored, 'the test store', 2_000, false);

    const long = invoke(t.handler, 30_000);
    await firstWorkflow(t);

    // A concurrent invocation past the key's age reads the new key; the running worker's
    // connection takes it too. Then the old key is revoked: only calls with the new one pass.
    stored = KEYS_D;
    acceptOnly(KEYS[2]!, KEYS_D);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const short = await invoke(t.handler, 5_000);
    expect(short.error).toBeUndefined();
    acceptOnly(KEYS_D);
    expect(await greet(t.taskQueue)).toBe('Hello, rotation!');
    const record = await long;
    expect(record.error).toBeUndefined();
    const summaries = t.logs.records().filter((line) => line.message === 'Invocation summary');
    expect(summaries.map((line) => [line.requestId, line.endReason])).toEqual([
      [short.context.awsRequestId, 'deadline'],
      [record.context.awsRequestId, 'deadline'],
    ]);
    expectNoKey(t.logs.lines);
  }, 90_000);
});
