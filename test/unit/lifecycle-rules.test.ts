/**
 * The lifecycle's rules one at a time, each on the fake SDK in virtual time (the model test
 * checks them together over generated environments): settings refused at init, the tuner,
 * blank env vars, the messages, and the branches of the lease and the worker run.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConnectionConfig } from '../../src/config/connection-config';
import { IllegalStateError } from '@temporalio/worker';
import { InvalidOptionError, StartupTimeoutError } from '../../src/errors';
import type { LambdaWorkerConfig } from '../../src/config/lambda-config';
import { cwd, fakeHandler, quietWorker } from '../support/fake-handler';
import type { WorldScript } from '../support/fake-sdk';
import { logged } from '../support/logs';

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

describe('the worker run, on every path', () => {
  const tight = (config: LambdaWorkerConfig) => void (config.shutdownDeadlineBufferMs = 3_000);

  it('a worker that stops by itself ends the work with worker-stopped, and keeps its connection', async () => {
    const { invoke, world } = fakeHandler({}, tight);
    world.script.workers = [{ ...quietWorker, stopAfterMs: 1_000 }];
    const result = await invoke(10_000);
    expect(result.error).toBeUndefined();
    expect(result.summary).toMatchObject({ endReason: 'worker-stopped', activeMs: 1_040 });
    expect(result.summary).not.toHaveProperty('shutdownMs');
    expect(world.connections[0]!.closed).toBe(false);
  });

  it('a worker that stopped by itself but lost the finalize race succeeds, warns with the error, and drops the connection', async () => {
    const { invoke, world, lines } = fakeHandler({}, tight);
    world.script.workers = [{ ...quietWorker, stopAfterMs: 1_000, finalizeRace: true }];
    const result = await invoke(10_000);
    expect(result.error).toBeUndefined();
    expect(result.summary).toMatchObject({ endReason: 'worker-stopped' });
    const warning = logged(lines, { level: 'WARN', message: /the SDK could not finalize it/ });
    expect(warning).toHaveLength(1);
    expect(warning[0]!.error).toEqual({
      name: 'IllegalStateError',
      message: 'Worker still in use: Expected 1 reference, but got 2',
    });
    expect(world.connections[0]!.closed).toBe(true);
  });

  it("names the forced-stop time and the SDK's error when the shutdown was forced", async () => {
    const { invoke, world, lines } = fakeHandler({}, tight);
    world.script.workers = [{ ...quietWorker, drainMs: 60_000 }];
    await invoke(10_000);
    const forced = logged(lines, { level: 'WARN', message: /^Worker shutdown was forced/, shutdownForceTimeMs: 1_562 });
    expect(forced).toHaveLength(1);
    expect(forced[0]!.error).toMatchObject({ name: 'GracefulShutdownPeriodExpiredError' });
  });

  it('abandons a worker a plugin still holds at its forced-stop time, naming its state, and stops it when it starts', async () => {
    const { invoke, world, lines, clock } = fakeHandler({}, tight);
    world.script.workers = [{ ...quietWorker, startDelayMs: 9_000 }, quietWorker];
    const result = await invoke(10_000);
    expect(result.error).toBeUndefined();
    expect(
      logged(lines, {
        level: 'ERROR',
        message: /^Worker did not stop by its forced shutdown time/,
        workerState: 'INITIALIZED',
      }),
    ).toHaveLength(1);
    expect(logged(lines, { level: 'INFO', message: /^The worker has not started polling yet/ })).toHaveLength(1);
    await clock.run(() => false);
    expect(world.workers[0]).toMatchObject({ settled: true, shutdownRequested: true });
    expect(world.connections[0]!.closed).toBe(true);
    expect((await invoke(10_000)).summary).toMatchObject({ connectionReused: false, endReason: 'deadline' });
    expect(world.violations).toEqual([]);
  });

  it('disposes of a worker created after its window: run only to be shut down, its connection closed after', async () => {
    for (const noStartHook of [false, true]) {
      const { invoke, world, clock } = fakeHandler({ createMs: 9_000 }, tight);
      world.script.workers = [{ ...quietWorker, noStartHook }];
      const result = await invoke(10_000);
      expect((result.error as Error).message).toMatch(
        /^Creating the worker did not finish within the work window \(7000 ms/,
      );
      await clock.run(() => false);
      expect(world.workers[0], `noStartHook: ${noStartHook}`).toMatchObject({
        settled: true,
        shutdownRequested: true,
        state: 'STOPPED',
      });
      expect(world.connections[0]!.closed).toBe(true);
      expect(world.violations).toEqual([]);
    }
  });

  it("without the SDK's start hook, watches the state: idle time counts from when the worker is found polling", async () => {
    const { invoke, world } = fakeHandler({}, (config) => {
      tight(config);
      config.idleExitMs = 1_000;
    });
    world.script.workers = [{ ...quietWorker, noStartHook: true, startDelayMs: 2_000 }];
    const result = await invoke(30_000);
    expect(result.error).toBeUndefined();
    // Started at 2040 ms and found by the watch's tick at that moment (it ticks every 50 ms from
    // 40 ms); the idle check every 250 ms from 40 ms finds 1000 ms of nothing at 3040 ms.
    expect(result.summary).toMatchObject({ endReason: 'idle', activeMs: 3_040 });
  });
});

describe('the worker run, word for word, and without the start hook', () => {
  const tight = (config: LambdaWorkerConfig) => void (config.shutdownDeadlineBufferMs = 3_000);

  it('a worker a plugin holds past work end: told to stop when it starts, hook or no hook', async () => {
    for (const noStartHook of [false, true]) {
      const { invoke, world, lines, clock } = fakeHandler({}, tight);
      world.script.workers = [{ ...quietWorker, noStartHook, startDelayMs: 9_000 }];
      expect((await invoke(10_000)).error).toBeUndefined();
      expect(
        logged(lines, {
          level: 'INFO',
          message:
            "The worker has not started polling yet (a plugin's runWorker is still running); it is shut down as " +
            'soon as it starts',
        }),
      ).toHaveLength(1);
      await clock.run(() => false);
      expect(world.workers[0], `noStartHook: ${noStartHook}`).toMatchObject({ settled: true, shutdownRequested: true });
      expect(clock.libraryTimers).toBe(0);
      expect(world.violations).toEqual([]);
    }
  });

  it('a worker created late whose plugin holds its start: stopped when it starts, hook or no hook', async () => {
    for (const noStartHook of [false, true]) {
      const { invoke, world, lines, clock } = fakeHandler({ createMs: 9_000 }, tight);
      world.script.workers = [{ ...quietWorker, noStartHook, startDelayMs: 5_000 }];
      await invoke(10_000);
      await clock.run(() => false);
      expect(world.workers[0], `noStartHook: ${noStartHook}`).toMatchObject({
        settled: true,
        shutdownRequested: true,
        state: 'STOPPED',
      });
      expect(
        logged(lines, {
          level: 'INFO',
          message: 'A worker was created after its invocation stopped waiting: shutting it down',
        }),
      ).toHaveLength(1);
      expect(logged(lines, { message: /^Worker was not running/ })).toEqual([]);
      expect(world.connections[0]!.closed).toBe(true);
      expect(clock.libraryTimers).toBe(0);
    }
  });

  it('a late worker that fails while it shuts down: logged at debug level with its error', async () => {
    const { invoke, world, lines, clock } = fakeHandler({ createMs: 9_000 }, tight);
    world.script.workers = [{ ...quietWorker, finalizeRace: true }];
    await invoke(10_000);
    await clock.run(() => false);
    const failed = logged(lines, { level: 'DEBUG', message: 'A late worker failed while shutting down' });
    expect(failed.map((line) => line.error)).toEqual([
      {
        name: 'IllegalStateError',
        message: 'Worker still in use: Expected 1 reference, but got 2',
        stack: expect.stringMatching(/^IllegalStateError: Worker still in use/),
      },
    ]);
  });

  it('a worker that fails by itself with the finalize error, never asked to stop, fails the invocation with it', async () => {
    const { invoke, world } = fakeHandler({}, tight);
    const error = new IllegalStateError('Worker still in use: Expected 1 reference, but got 3');
    world.script.workers = [{ ...quietWorker, failAfterMs: 1_000, failError: error }];
    expect((await invoke(10_000)).error).toBe(error);
  });

  it('the warnings of a finalize race and of a forced shutdown', async () => {
    const graceFits = (config: LambdaWorkerConfig) => {
      tight(config);
      config.workerOptions.shutdownGraceTime = 1_000;
    };
    const raced = fakeHandler({}, graceFits);
    raced.world.script.workers = [{ ...quietWorker, stopAfterMs: 1_000, finalizeRace: true }];
    await raced.invoke(10_000);
    expect(logged(raced.lines, { level: 'WARN' }).map((line) => line.message)).toEqual([
      'The worker finished its tasks, but the SDK could not finalize it (a native call still held it); the ' +
        'invocation succeeds and the kept connection is replaced',
    ]);
    const forced = fakeHandler({}, graceFits);
    forced.world.script.workers = [{ ...quietWorker, drainMs: 60_000 }];
    await forced.invoke(10_000);
    expect(logged(forced.lines, { level: 'WARN' }).map((line) => line.message)).toEqual([
      'Worker shutdown was forced: the worker did not drain within shutdownForceTime (an activity ignoring ' +
        'cancellation, or polls slow to stop on a busy CPU)',
    ]);
  });

  it('checks for idle time every quarter of idleExitMs, at most every second', async () => {
    const runs: Array<[number, number]> = [];
    for (const idleExitMs of [1_000, 8_000]) {
      const { invoke, world } = fakeHandler({}, (config) => {
        tight(config);
        config.idleExitMs = idleExitMs;
      });
      world.script.workers = [{ ...quietWorker, startDelayMs: 2_010 }];
      runs.push([idleExitMs, (await invoke(60_000)).summary!.activeMs as number]);
    }
    // Polling from 2050 ms; checks from 40 ms every 250 ms (1 s idle) or every 1000 ms (8 s idle): the
    // first check at least idleExitMs after 2050 ms is at 3290 ms or at 11040 ms.
    expect(runs).toEqual([
      [1_000, 3_290],
      [8_000, 11_040],
    ]);
  });
});

describe('the state watch that stands in for a missing start hook', () => {
  const tight = (config: LambdaWorkerConfig) => void (config.shutdownDeadlineBufferMs = 3_000);
  const hookless = { ...quietWorker, noStartHook: true };

  it('notices a worker that starts polling at once, without waiting for its first tick', async () => {
    const { invoke, world } = fakeHandler({}, (config) => {
      tight(config);
      config.idleExitMs = 1_000;
    });
    world.script.workers = [hookless];
    // Polling from 40 ms, seen at once: the idle check at 1040 ms finds 1000 ms of nothing (seen at
    // the watch's first tick, 90 ms, the first check to find it would be at 1290 ms).
    expect((await invoke(30_000)).summary).toMatchObject({ endReason: 'idle', activeMs: 1_040 });
  });

  it('ends with the run of a worker that never started: in time, abandoned, or created late', async () => {
    const cases: Array<[string, Partial<WorldScript>, number]> = [
      ['fails at 1 s', {}, 1_000],
      ['fails after its forced stop', {}, 9_500],
      ['created late, fails', { createMs: 9_000 }, 500],
    ];
    for (const [name, worldScript, failBeforeStartMs] of cases) {
      const { invoke, world, clock } = fakeHandler(worldScript, tight);
      world.script.workers = [{ ...hookless, failBeforeStartMs }];
      await invoke(10_000);
      await clock.run(() => false);
      expect(world.workers[0]!.settled, name).toBe(true);
      expect(clock.libraryTimers, name).toBe(0);
    }
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
