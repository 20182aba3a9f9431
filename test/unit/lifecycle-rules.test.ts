/**
 * The lifecycle's rules one at a time, each on the fake SDK in virtual time (the model test
 * checks them together over generated environments): settings refused at init, the tuner,
 * blank env vars, the messages, and the branches of the lease and the worker run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConnectionConfig } from '../../src/config/connection-config';
import { InvalidOptionError, StartupTimeoutError } from '../../src/errors';
import type { LambdaWorkerConfig } from '../../src/config/lambda-config';
import { JsonLogger } from '../../src/logging/logger';
import { runWorkerWith } from '../../src/lifecycle/run-worker';
import { makeContext } from '../support/context';
import { FakeClock } from '../support/fake-clock';
import { FakeWorld, type WorkerScript, type WorldScript } from '../support/fake-sdk';

const cwd = mkdtempSync(path.join(tmpdir(), 'tlw-rules-'));
const version = { deploymentName: 'rules', buildId: 'b1' };
const quietWorker: WorkerScript = { startDelayMs: 0, drainMs: 50, finalizeRace: false, tasks: [] };
const fastWorld: WorldScript = {
  connectMs: 20,
  connectFails: false,
  checkMs: 5,
  checkFails: false,
  createMs: 20,
  createFails: false,
  closeMs: 5,
  workers: [quietWorker],
};

/** A handler on a fake world; `configure` runs after the defaults of these tests. */
function fakeHandler(
  world: Partial<WorldScript> = {},
  configure: (config: LambdaWorkerConfig) => void = () => undefined,
  env: Record<string, string> = {},
) {
  const clock = new FakeClock();
  const fake = new FakeWorld(clock, { ...fastWorld, ...world });
  const lines: Array<Record<string, unknown>> = [];
  const handler = runWorkerWith(
    version,
    (config) => {
      config.workerOptions.taskQueue = 'rules-tq';
      config.idleExitMs = false;
      config.logger = new JsonLogger({ write: (line) => void lines.push(JSON.parse(line)), level: 'DEBUG' });
      configure(config);
    },
    { env, cwd, deps: fake.deps() },
  );
  /** Invokes with `remainingMs` and runs the world until the handler settles. */
  const invoke = async (remainingMs: number) => {
    const context = makeContext(remainingMs, {}, clock);
    let outcome: { error?: unknown; settledMs?: number } = {};
    handler({}, context).then(
      () => void (outcome = { settledMs: clock.now() }),
      (error: unknown) => void (outcome = { error, settledMs: clock.now() }),
    );
    await clock.run(() => outcome.settledMs !== undefined);
    return {
      ...outcome,
      deadlineMs: context.deadlineMs,
      summary: lines.filter((line) => line.message === 'Invocation summary').at(-1),
    };
  };
  return { handler, clock, world: fake, lines, invoke };
}

describe('settings refused at init', () => {
  beforeEach(() => void vi.spyOn(process.stdout, 'write').mockImplementation(() => true));
  afterEach(() => void vi.restoreAllMocks());

  it('refuses a shutdown buffer under 500 ms, naming the option and the minimum', () => {
    const make = () => fakeHandler({}, (config) => void (config.shutdownDeadlineBufferMs = 499));
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(/config\.shutdownDeadlineBufferMs must be at least 500 ms.*received 499/);
    expect(() => fakeHandler({}, (config) => void (config.shutdownDeadlineBufferMs = 500))).not.toThrow();
  });

  it('refuses a slot limit the user set beside a tuner, naming both', () => {
    const make = () =>
      fakeHandler({}, (config) => {
        config.workerOptions.tuner = { tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 } };
        config.workerOptions.maxConcurrentActivityTaskExecutions = 20;
      });
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(
      /config\.workerOptions\.tuner is set together with config\.workerOptions\.maxConcurrentActivityTaskExecutions \(20\)/,
    );
  });
});

describe('a tuner', () => {
  it('drops the Lambda defaults of the four slot limits, and keeps the poller and other defaults', async () => {
    const tuner = { tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 } };
    const { invoke, world } = fakeHandler({}, (config) => void (config.workerOptions.tuner = tuner));
    const result = await invoke(20_000);
    expect(result.error).toBeUndefined();
    const options = world.createdWith[0]!;
    expect(options.tuner).toEqual(tuner);
    for (const limit of [
      'maxConcurrentActivityTaskExecutions',
      'maxConcurrentWorkflowTaskExecutions',
      'maxConcurrentLocalActivityExecutions',
      'maxConcurrentNexusTaskExecutions',
    ]) {
      expect(options, limit).not.toHaveProperty(limit);
    }
    expect(options).toMatchObject({
      workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 2 },
      maxCachedWorkflows: 30,
    });
  });
});

describe('blank environment variables', () => {
  it('are unset for envconfig: TEMPORAL_API_KEY="" does not switch TLS on, a blank TLS path names no file', () => {
    const loaded = loadConnectionConfig(
      {
        TEMPORAL_ADDRESS: 'h:7233',
        TEMPORAL_API_KEY: '',
        TEMPORAL_TLS_CLIENT_CERT_PATH: ' ',
        TEMPORAL_TLS_CLIENT_KEY_PATH: '',
        TEMPORAL_NAMESPACE: '',
      },
      cwd,
    );
    expect(loaded.connectionOptions.apiKey).toBeUndefined();
    expect(loaded.connectionOptions.tls).toBeFalsy();
    expect(loaded.namespace).toBe('default');
    expect(loaded.secrets).toEqual([]);
  });
});

describe('the startup-timeout messages', () => {
  it('name the likely Lambda cause of a connect that never answers: a network path that drops packets', async () => {
    const { invoke } = fakeHandler({ connectMs: 60_000 }, (config) => void (config.shutdownDeadlineBufferMs = 3_000));
    const result = await invoke(10_000);
    expect(result.error).toBeInstanceOf(StartupTimeoutError);
    expect((result.error as Error).message).toMatch(
      /^Connecting to Temporal at localhost:7233 did not finish within the work window \(7000 ms/,
    );
    expect((result.error as Error).message).toMatch(/NAT gateway or a VPC endpoint/);
    expect((result.error as Error).message).not.toMatch(/accepted the connection/);
  });
});

describe('the lease', () => {
  it('keeps the connection of a clean invocation, and reuses it after its check passes', async () => {
    const { invoke, world } = fakeHandler({}, (config) => void (config.shutdownDeadlineBufferMs = 3_000));
    expect((await invoke(10_000)).summary).toMatchObject({ connectionReused: false });
    expect((await invoke(10_000)).summary).toMatchObject({ connectionReused: true });
    expect(world.connections).toHaveLength(1);
    expect(world.connections[0]!.closed).toBe(false);
  });

  it('closes the connection of a failed invocation and connects anew for the next one', async () => {
    const { invoke, world } = fakeHandler({}, (config) => void (config.shutdownDeadlineBufferMs = 3_000));
    world.script.workers = [{ ...quietWorker, failAfterMs: 100 }, quietWorker];
    const first = await invoke(10_000);
    expect((first.error as Error)?.message).toMatch(/transport error/);
    expect(world.connections[0]!.closed).toBe(true);
    expect((await invoke(10_000)).summary).toMatchObject({ connectionReused: false, endReason: 'deadline' });
    expect(world.connections).toHaveLength(2);
  });

  it('replaces a kept connection whose check rejects, and closes it', async () => {
    const { invoke, world } = fakeHandler({}, (config) => void (config.shutdownDeadlineBufferMs = 3_000));
    await invoke(10_000);
    world.script.checkFails = true;
    expect((await invoke(10_000)).summary).toMatchObject({ connectionReused: false });
    expect(world.connections.map((connection) => connection.closed)).toEqual([true, false]);
  });

  it('gives up on a close that outlasts the settle time, and still settles before the deadline', async () => {
    const { invoke, lines } = fakeHandler({ closeMs: 60_000 }, (config) => {
      config.shutdownDeadlineBufferMs = 3_000;
      config.reuseConnection = false;
    });
    const result = await invoke(10_000);
    expect(result.error).toBeUndefined();
    expect(result.settledMs!).toBeLessThan(result.deadlineMs);
    expect(
      lines.some((line) =>
        /Closing the Temporal connection did not finish before the deadline/.test(String(line.message)),
      ),
    ).toBe(true);
  });

  it('closes a connection that arrives after the work window, when it arrives', async () => {
    const { invoke, world, clock } = fakeHandler(
      { connectMs: 9_000 },
      (config) => void (config.shutdownDeadlineBufferMs = 3_000),
    );
    const result = await invoke(10_000);
    expect(result.error).toBeInstanceOf(StartupTimeoutError);
    await clock.run(() => world.connections.length === 1 && world.connections[0]!.closed);
    expect(world.connections[0]!.closed).toBe(true);
  });
});

describe('the worker run', () => {
  it("treats the SDK's forced shutdown as the expected end, with a warning, and keeps the connection it finalized", async () => {
    const { invoke, world, lines } = fakeHandler({}, (config) => {
      config.shutdownDeadlineBufferMs = 3_000;
      config.workerOptions.shutdownGraceTime = 1_000;
    });
    world.script.workers = [{ ...quietWorker, drainMs: 60_000 }];
    const result = await invoke(10_000);
    expect(result.error).toBeUndefined();
    expect(result.summary).toMatchObject({ endReason: 'deadline', level: 'INFO' });
    expect(lines.some((line) => /shutdown was forced/.test(String(line.message)))).toBe(true);
    expect(world.connections[0]!.closed).toBe(false);
  });

  it('drops the connection of a forced worker the SDK could not finalize (still registered on it)', async () => {
    const { invoke, world } = fakeHandler({}, (config) => void (config.shutdownDeadlineBufferMs = 3_000));
    world.script.workers = [{ ...quietWorker, drainMs: 60_000, finalizeRace: true }, quietWorker];
    expect((await invoke(10_000)).error).toBeUndefined();
    expect(world.connections[0]!.closed).toBe(true);
    expect((await invoke(10_000)).summary).toMatchObject({ connectionReused: false, endReason: 'deadline' });
    expect(world.violations).toEqual([]);
  });
});

describe('the cold-start flag', () => {
  it('marks the first invocation of an on-demand environment, and none under provisioned concurrency', async () => {
    const seen: boolean[] = [];
    const hook = (config: LambdaWorkerConfig) =>
      void config.summaryHooks.push((_summary, context) => void seen.push(context.coldStart));
    const onDemand = fakeHandler({}, hook, { AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });
    await onDemand.invoke(10_000);
    await onDemand.invoke(10_000);
    const provisioned = fakeHandler({}, hook, { AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' });
    await provisioned.invoke(10_000);
    expect(seen).toEqual([true, false, false]);
  });
});
