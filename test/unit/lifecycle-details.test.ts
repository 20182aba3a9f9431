/**
 * The lifecycle's observable details, to the millisecond, on the fake SDK in virtual time: every
 * figure of the summary worked out by hand from the scripted timeline, the lines an operator
 * searches for, the setup line, the configure retries and their backoff, and what setup hands
 * to the user's loggers. The expected values are literals, never computed by the code under test.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  ConfigureFailedError,
  ConnectionFailedError,
  InsufficientTimeError,
  InvalidOptionError,
} from '../../src/errors';
import type { LambdaWorkerConfig } from '../../src/config/lambda-config';
import { JsonLogger } from '../../src/logging/logger';
import { PowertoolsLoggerAdapter, type PowertoolsLoggerLike } from '../../src/logging/powertools';
import type { ShutdownHookContext } from '../../src/lifecycle/hooks';
import type { InvocationSummary as InvocationSummaryLike, SummaryHookContext } from '../../src/lifecycle/summary';
import { applyEmfMetrics } from '../../src/metrics/emf';
import { stdoutOfEachTest } from '../support/output-capture';
import { fakeHandler, quietWorker } from '../support/fake-handler';
import { logged, parseLogLines } from '../support/logs';

/** Captures what the library's default logger writes to stdout (setup lines). */
const stdout = stdoutOfEachTest();

/** 3 s buffer, 1 s grace, idle exit after 1 s; a 30 ms hook, then one that throws; records hook calls. */
function scripted(extra: (config: LambdaWorkerConfig) => void = () => undefined) {
  const hookCalls: Array<{ atMs: number; context: ShutdownHookContext }> = [];
  const summaries: Array<{ summary: unknown; context: SummaryHookContext }> = [];
  const handler = fakeHandler({}, (config) => {
    config.shutdownDeadlineBufferMs = 3_000;
    config.workerOptions.shutdownGraceTime = 1_000;
    config.idleExitMs = 1_000;
    config.shutdownHooks.push(
      (context) => {
        hookCalls.push({ atMs: handler.clock.now(), context });
        return new Promise<void>((resolve) => handler.clock.at(30, resolve));
      },
      () => {
        throw new Error('second hook fails on purpose');
      },
    );
    config.summaryHooks.push((summary, context) => void summaries.push({ summary, context }));
    extra(config);
  });
  // Connect and create take 20 ms each; one activity runs from 100 ms to 500 ms after polling starts.
  handler.world.script.workers = [{ ...quietWorker, tasks: [{ startMs: 100, durationMs: 400 }] }];
  return { ...handler, hookCalls, summaries };
}

describe('the invocation summary, to the millisecond', () => {
  it('of an idle exit: startup, first task, active time, shutdown, hooks, margin', async () => {
    const h = scripted();
    const result = await h.invoke(60_000);
    expect(result.error).toBeUndefined();
    // Polling from 40 ms; the activity ends at 540 ms; idle checks every 250 ms from 40 ms find
    // 1000 ms of nothing at 1540 ms; the worker drains in 50 ms; the hooks take 30 ms.
    expect(result.summary).toEqual({
      timestamp: expect.any(String),
      level: 'INFO',
      message: 'Invocation summary',
      requestId: result.context.awsRequestId,
      functionName: 'test-function',
      endReason: 'idle',
      workTimeMs: 57_000,
      startupMs: 40,
      connectionReused: false,
      timeToFirstTaskMs: 140,
      tasks: { workflowActivations: 0, activities: 1, nexusOperations: 0 },
      activeMs: 1_540,
      shutdownMs: 50,
      hooksMs: 30,
      hooksFailed: 1,
      marginBeforeDeadlineMs: 58_380,
    });
    expect(result.settledMs! - result.startedMs).toBe(1_620);
    expect(logged(h.lines, { message: 'Worker polling' })).toEqual([
      expect.objectContaining({
        taskQueue: 'rules-tq',
        startupMs: 40,
        connectionReused: false,
        workEndInMs: 56_960,
        activationLimitMs: 1_000,
      }),
    ]);
    expect(
      logged(h.lines, {
        level: 'INFO',
        message: 'No task for 1000 ms: shutting the worker down early',
        shutdownForceTimeMs: 1_562,
      }),
    ).toHaveLength(1);
    expect(
      logged(h.lines, { level: 'ERROR', message: 'Shutdown hook failed; running the next ones', hookIndex: 1 }),
    ).toHaveLength(1);
    // Hooks end within the shutdown window (2500 ms with this buffer) from the start of the
    // shutdown at 1540 ms: the first of two hooks gets half of what is left when it starts.
    expect(h.hookCalls).toHaveLength(1);
    expect(h.hookCalls[0]!.atMs - result.startedMs).toBe(1_590);
    expect(h.hookCalls[0]!.context.deadlineMs - result.startedMs).toBe(1_590 + (4_040 - 1_590) / 2);
    expect(h.summaries).toHaveLength(1);
    expect(h.summaries[0]!.context).toEqual({
      requestId: result.context.awsRequestId,
      functionName: 'test-function',
      functionVersion: '$LATEST',
      taskQueue: 'rules-tq',
      deploymentName: 'rules',
      buildId: 'b1',
      coldStart: true,
    });
  });

  it('of a warm invocation: the kept connection, checked, and no cold start', async () => {
    const h = scripted();
    await h.invoke(60_000);
    const warm = await h.invoke(60_000);
    // A 5 ms check of the kept connection, then 20 ms to create the worker.
    expect(warm.summary).toMatchObject({ connectionReused: true, startupMs: 25, endReason: 'idle' });
    expect(h.summaries.map((entry) => entry.context.coldStart)).toEqual([true, false]);
    expect(h.world.connections).toHaveLength(1);
  });

  it('of a failed connect: the error, the hooks bounded from the failure, no work figures', async () => {
    const h = scripted();
    h.world.script.connectFails = true;
    const result = await h.invoke(60_000);
    expect(result.error).toBeInstanceOf(ConnectionFailedError);
    expect((result.error as Error).message).toBe(
      'Cannot connect to Temporal at localhost:7233: connection refused. Check TEMPORAL_ADDRESS (or address in ' +
        'temporal.toml), TLS and the API key, and that the function can reach the server.',
    );
    expect((result.error as Error).cause).toEqual(new Error('connection refused'));
    expect(result.summary).toEqual({
      timestamp: expect.any(String),
      level: 'ERROR',
      message: 'Invocation summary',
      requestId: result.context.awsRequestId,
      functionName: 'test-function',
      endReason: 'error',
      workTimeMs: 57_000,
      tasks: { workflowActivations: 0, activities: 0, nexusOperations: 0 },
      hooksMs: 30,
      hooksFailed: 1,
      marginBeforeDeadlineMs: 59_950,
      error: { name: 'ConnectionFailedError', message: (result.error as Error).message },
    });
    // The failure at 20 ms starts the shutdown: the hooks end by 20 + 2500 ms, not by the deadline.
    expect(h.hookCalls[0]!.context.deadlineMs - result.startedMs).toBe(20 + 2_500 / 2);
  });

  it('of too little time: the remaining time, the hooks bounded by the shutdown window', async () => {
    const h = scripted();
    const result = await h.invoke(3_500);
    expect(result.error).toBeInstanceOf(InsufficientTimeError);
    expect(result.summary).toEqual({
      timestamp: expect.any(String),
      level: 'ERROR',
      message: 'Invocation summary',
      requestId: result.context.awsRequestId,
      functionName: 'test-function',
      endReason: 'error',
      tasks: { workflowActivations: 0, activities: 0, nexusOperations: 0 },
      hooksMs: 30,
      hooksFailed: 1,
      marginBeforeDeadlineMs: 3_470,
      remainingMs: 3_500,
      error: { name: 'InsufficientTimeError', message: (result.error as Error).message },
    });
    expect(h.hookCalls[0]!.context.deadlineMs - result.startedMs).toBe(2_500 / 2);
    expect(h.world.connections).toHaveLength(0);
  });

  it('of a worker that stops by itself: endReason worker-stopped, no shutdown figure', async () => {
    const h = scripted((config) => void (config.idleExitMs = false));
    h.world.script.workers = [{ ...quietWorker, failAfterMs: 1_000 }];
    const result = await h.invoke(60_000);
    expect(result.error).toEqual(new Error('poll failed: transport error'));
    expect(result.summary).toMatchObject({ endReason: 'error', startupMs: 40, activeMs: 1_040 });
    expect(result.summary).not.toHaveProperty('shutdownMs');
  });
});

describe('the end of an invocation', () => {
  it('resolves the handler (never rejects, not even with undefined) after a clean run, and counts only failed hooks', async () => {
    const h = scripted((config) => void config.shutdownHooks.push(() => undefined));
    const result = await h.invoke(60_000);
    expect(result.rejected).toBe(false);
    expect(result.summary).toMatchObject({ hooksFailed: 1, endReason: 'idle' });
  });

  it('names the likely cause of a connect that outlasts the work window, and logs its late close that fails', async () => {
    const h = fakeHandler({ connectMs: 9_000, closeMs: 0 }, (config) => void (config.shutdownDeadlineBufferMs = 3_000));
    const close = vi.fn(() => Promise.reject(new Error('close failed late')));
    const result = await h.invoke(10_000);
    expect(result.rejected).toBe(true);
    expect((result.error as Error).message).toBe(
      'Connecting to Temporal at localhost:7233 did not finish within the work window (7000 ms from invocation ' +
        'start). On Lambda this is most often a network path that drops packets: a function in a VPC needs a NAT ' +
        'gateway or a VPC endpoint to reach the server, and security groups and network ACLs that allow outbound ' +
        'traffic to its port. Check TEMPORAL_ADDRESS (or address in temporal.toml) and TLS too: a server that ' +
        'expects TLS does not answer plaintext.',
    );
    h.world.connections.push = function (this: unknown[], ...items: unknown[]) {
      for (const item of items) (item as { close: () => Promise<void> }).close = close;
      return Array.prototype.push.apply(this, items);
    } as never;
    await h.clock.run(() => false);
    expect(close).toHaveBeenCalledTimes(1);
    expect(
      logged(h.lines, {
        level: 'DEBUG',
        message: 'A late Temporal connection failed after the invocation stopped waiting for it',
      }).map((line) => (line.error as Error).message),
    ).toEqual(['close failed late']);
  });

  it('names what to check when creating the worker outlasts the work window', async () => {
    const h = fakeHandler({ createMs: 9_000 }, (config) => void (config.shutdownDeadlineBufferMs = 3_000));
    expect(((await h.invoke(10_000)).error as Error).message).toBe(
      'Creating the worker did not finish within the work window (7000 ms from invocation start). Check the ' +
        'namespace and the worker options (workflow bundle, task queue, plugins), and raise the function timeout.',
    );
  });
});

describe('the lines an operator searches for', () => {
  it('warns of little work time at every invocation, and gives the timing advice once per process', async () => {
    const h = scripted();
    await h.invoke(7_000);
    await h.invoke(7_000);
    expect(
      logged(h.lines, {
        level: 'WARN',
        message: /^Low work time available for Lambda worker: only 4000 ms of work time/,
      }),
    ).toHaveLength(2);
    const low = logged(h.lines, { message: /^Low work time/ })[0]!;
    expect(low).toMatchObject({ workTimeMs: 4_000, shutdownDeadlineBufferMs: 3_000, shutdownGraceTimeMs: 1_000 });
    expect(
      logged(h.lines, {
        level: 'WARN',
        message: /^The function timeout \(about 7 s\) leaves 4 s of work after the 3000 ms/,
      }),
    ).toHaveLength(1);
  });

  it('names the work window when the deadline ends the work, with the forced-stop time', async () => {
    const h = scripted((config) => void (config.idleExitMs = false));
    await h.invoke(10_000);
    expect(
      logged(h.lines, {
        level: 'INFO',
        message: 'Work window ended: shutting the worker down',
        shutdownForceTimeMs: 1_562,
      }),
    ).toHaveLength(1);
  });

  it('logs the setup once, with what it loaded and chose', async () => {
    const first = scripted();
    const second = scripted((config) => void (config.workflowThread = true));
    await first.invoke(60_000);
    const configured = parseLogLines(stdout)
      .concat(first.lines, second.lines)
      .filter((line) => line.message === 'Lambda worker configured');
    expect(configured).toHaveLength(2);
    expect(configured[0]).toMatchObject({
      deploymentName: 'rules',
      buildId: 'b1',
      taskQueue: 'rules-tq',
      namespace: 'default',
      address: 'localhost:7233',
      profile: 'default',
      shutdownDeadlineBufferMs: 3_000,
      shutdownGraceTimeMs: 1_000,
      idleExitMs: 1_000,
      reuseConnection: true,
      workflowThread: false,
    });
    expect(configured[1]).toMatchObject({ workflowThread: true, runtimeInstalled: 'reused' });
  });
});

describe('setup', () => {
  it('shows configure the TEMPORAL_TASK_QUEUE value, and the env var wins over what configure sets', async () => {
    let seen: string | undefined;
    const h = fakeHandler(
      {},
      (config) => {
        seen = config.workerOptions.taskQueue;
        config.workerOptions.taskQueue = 'from-code';
      },
      { TEMPORAL_TASK_QUEUE: 'from-env' },
      { presetTaskQueue: false },
    );
    await h.invoke(20_000);
    expect(seen).toBe('from-env');
    expect(h.world.createdWith[0]).toMatchObject({ taskQueue: 'from-env' });
  });

  it("keeps configure's shutdown hooks and an explicit shutdownForceTime (the shorter one wins)", async () => {
    const ran: string[] = [];
    const h = fakeHandler({}, (config) => {
      config.shutdownHooks.push(() => void ran.push('hook'));
      config.workerOptions.shutdownForceTime = '1s';
      config.shutdownDeadlineBufferMs = 7_000;
    });
    await h.invoke(20_000);
    expect(ran).toEqual(['hook']);
    expect(h.world.createdWith[0]).toMatchObject({ shutdownForceTime: 1_000 });
  });

  it("teaches the user's loggers the API key: the library's and the Runtime's, when they scrub", async () => {
    const runtimeLines: string[] = [];
    const h = fakeHandler(
      {},
      (config) => {
        config.runtimeOptions.logger = new JsonLogger({ write: (line) => void runtimeLines.push(line) });
        config.shutdownHooks.push(() => {
          config.logger.info('hook sees tlw-unit-api-key-4242');
          config.runtimeOptions.logger!.info('runtime sees tlw-unit-api-key-4242');
        });
      },
      { TEMPORAL_API_KEY: 'tlw-unit-api-key-4242' },
    );
    await h.invoke(20_000);
    expect(logged(h.lines, { message: 'hook sees [REDACTED]' })).toHaveLength(1);
    expect(logged(runtimeLines, { message: 'runtime sees [REDACTED]' })).toHaveLength(1);
  });

  it("sends the library's lines to runtimeOptions.logger when configure left config.logger alone", async () => {
    const runtimeLines: string[] = [];
    const h = fakeHandler(
      {},
      (config) =>
        void (config.runtimeOptions.logger = new JsonLogger({ write: (line) => void runtimeLines.push(line) })),
      {},
      { ownLogger: false },
    );
    await h.invoke(20_000);
    expect(logged(runtimeLines, { message: 'Invocation summary' })).toHaveLength(1);
    expect(logged(stdout, { message: 'Invocation summary' })).toEqual([]);
  });

  it("hands each invocation's context to Powertools adapters", async () => {
    const contexts: unknown[] = [];
    const powertools: PowertoolsLoggerLike = {
      debug() {},
      info() {},
      warn() {},
      error() {},
      addContext: ((context: unknown) => void contexts.push(context)) as (context: never) => void,
    };
    const h = fakeHandler({}, (config) => void (config.logger = new PowertoolsLoggerAdapter(powertools)));
    const first = await h.invoke(20_000);
    const second = await h.invoke(20_000);
    expect(contexts).toEqual([first.context, second.context]);
  });
});

describe('setup with nothing but the defaults', () => {
  it('logs to stdout with the library logger, which masks the API key and the TLS private key', async () => {
    const certs = mkdtempSync(path.join(tmpdir(), 'tlw-certs-'));
    const key = '-----BEGIN PRIVATE KEY-----\ntlw-unit-tls-key-777\n-----END PRIVATE KEY-----\n';
    writeFileSync(path.join(certs, 'c.pem'), 'CERT');
    writeFileSync(path.join(certs, 'c.key'), key);
    const h = fakeHandler(
      {},
      (config) =>
        void config.shutdownHooks.push(() => {
          throw new Error(`hook saw ${key} and tlw-unit-api-key-5151`);
        }),
      {
        TEMPORAL_API_KEY: 'tlw-unit-api-key-5151',
        TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(certs, 'c.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(certs, 'c.key'),
      },
      { ownLogger: false },
    );
    await h.invoke(20_000);
    const written = stdout.join('');
    expect(logged(stdout, { message: 'Invocation summary' })).toHaveLength(1);
    // The key file's text is masked up to its last line break, which stays.
    expect(written).toContain('"message":"hook saw [REDACTED]\\n and [REDACTED]"');
    expect(written).not.toContain('tlw-unit-tls-key-777');
    expect(written).not.toContain('tlw-unit-api-key-5151');
  });

  it('masks the API key from the environment in a failure of configure, before setup finished', async () => {
    const h = fakeHandler(
      {},
      () => Promise.reject(new Error('secrets read failed with tlw-unit-api-key-6262')),
      { TEMPORAL_API_KEY: 'tlw-unit-api-key-6262', LOG_LEVEL: 'DEBUG' },
      { ownLogger: false },
    );
    await h.invoke(20_000);
    const failed = logged(stdout, { level: 'ERROR', message: /^Lambda worker setup failed in the async configure/ });
    expect(failed.map((line) => (line.error as Error).message)).toEqual(['secrets read failed with [REDACTED]']);
    expect(stdout.join('')).not.toContain('tlw-unit-api-key-6262');
  });

  it('keeps masking the key from the environment after configure replaced it', async () => {
    const h = fakeHandler(
      {},
      (config) => {
        config.connectionOptions.apiKey = 'tlw-unit-rotated-key-7373';
        config.shutdownHooks.push(() => {
          throw new Error('old tlw-unit-api-key-6262, new tlw-unit-rotated-key-7373');
        });
      },
      { TEMPORAL_API_KEY: 'tlw-unit-api-key-6262' },
      { ownLogger: false },
    );
    await h.invoke(20_000);
    expect(stdout.join('')).toContain('old [REDACTED], new [REDACTED]');
  });

  it('logs a setup that fails at init, with its error, before runWorker throws it', () => {
    expect(() =>
      fakeHandler({}, () => {
        throw new Error('configure broke on purpose');
      }),
    ).toThrow('configure broke on purpose');
    const failed = logged(stdout, { level: 'ERROR', message: 'Lambda worker setup failed at init' });
    expect(failed.map((line) => (line.error as Error).message)).toEqual(['configure broke on purpose']);
  });
});

describe('an async configure that fails', () => {
  it('fails the waiting invocation with its error, refuses inside the backoff, and runs again after it, doubling', async () => {
    let calls = 0;
    const h = fakeHandler({}, async (config) => {
      calls += 1;
      await Promise.resolve(); // configure starts inside fakeHandler, before `h` is assigned
      await h.world.after(10);
      if (calls <= 2) throw new Error(`throttled ${calls}`);
      config.workerOptions.shutdownGraceTime = 1_000;
      config.shutdownDeadlineBufferMs = 3_000;
    });
    const t0 = h.clock.now();
    expect((await h.invoke(20_000)).error).toEqual(new Error('throttled 1'));
    await h.clock.run(() => false, t0 + 500);
    const inside = await h.invoke(20_000);
    expect(inside.error).toBeInstanceOf(ConfigureFailedError);
    expect((inside.error as Error).message).toBe(
      'The async configure callback failed 1 time(s) in this execution environment; it runs again in 510 ms, at the ' +
        'first invocation after that. Last failure: throttled 1',
    );
    expect((inside.error as Error).cause).toEqual(new Error('throttled 1'));
    await h.clock.run(() => false, t0 + 1_010);
    expect((await h.invoke(20_000)).error).toEqual(new Error('throttled 2'));
    await h.clock.run(() => false, t0 + 2_000);
    expect(((await h.invoke(20_000)).error as Error).message).toMatch(/failed 2 time\(s\) .* runs again in 1020 ms/);
    await h.clock.run(() => false, t0 + 3_020);
    expect((await h.invoke(20_000)).error).toBeUndefined();
    expect(calls).toBe(3);
    const failures = logged(stdout, {
      level: 'ERROR',
      message: 'Lambda worker setup failed in the async configure callback; a later invocation runs it again',
    });
    expect(failures.map((line) => [line.attempt, line.retryInMs])).toEqual([
      [1, 1_000],
      [2, 2_000],
    ]);
    expect(failures[0]!.error).toMatchObject({ message: 'throttled 1' });
  });

  it('names a failure that is not an Error as it is (a rejection with null)', async () => {
    const h = fakeHandler({}, () => Promise.reject(null as unknown as Error));
    expect((await h.invoke(20_000)).error).toBeNull();
    expect(((await h.invoke(20_000)).error as Error).message).toMatch(
      /ms, at the first invocation after that\. Last failure: null$/,
    );
  });

  it("never runs again for the library's own errors, which a retry cannot fix", async () => {
    let calls = 0;
    const h = fakeHandler({}, async () => {
      calls += 1;
      await Promise.resolve(); // configure starts inside fakeHandler, before `h` is assigned
      await h.world.after(10);
      throw new InvalidOptionError('config.something is wrong on purpose');
    });
    const t0 = h.clock.now();
    expect((await h.invoke(20_000)).error).toBeInstanceOf(InvalidOptionError);
    await h.clock.run(() => false, t0 + 120_000);
    expect((await h.invoke(20_000)).error).toBeInstanceOf(InvalidOptionError);
    expect(calls).toBe(1);
    expect(
      logged(stdout, { level: 'ERROR', message: 'Lambda worker setup failed in the async configure callback' }),
    ).toHaveLength(1);
  });

  it('writes a summary of each invocation it fails, also to the summary hooks it added: EMF counts it in Errors', async () => {
    const seen: Array<[InvocationSummaryLike, SummaryHookContext]> = [];
    const h = fakeHandler({}, async (config) => {
      applyEmfMetrics(config, { env: { POWERTOOLS_METRICS_NAMESPACE: 'Setup/Failures' } });
      config.summaryHooks.push((summary, context) => void seen.push([summary, context]));
      await Promise.resolve();
      throw new InvalidOptionError('config.something is wrong on purpose');
    });
    const first = await h.invoke(20_000);
    const second = await h.invoke(20_000);
    expect([first.rejected, second.rejected]).toEqual([true, true]);
    const summaries = h.lines.filter((line) => line.message === 'Invocation summary');
    expect(summaries.map((line) => [line.level, line.endReason, line.setupFailed, line.requestId])).toEqual([
      ['ERROR', 'error', true, first.context.awsRequestId],
      ['ERROR', 'error', true, second.context.awsRequestId],
    ]);
    expect(summaries[0]!.error).toMatchObject({ message: 'config.something is wrong on purpose' });
    expect(summaries[0]!.marginBeforeDeadlineMs).toBe(20_000);
    expect(summaries[0]!.tasks).toEqual({ workflowActivations: 0, activities: 0, nexusOperations: 0 });
    expect(seen.map(([summary, context]) => [summary.endReason, context.coldStart, context.taskQueue])).toEqual([
      ['error', true, 'rules-tq'],
      ['error', false, 'rules-tq'],
    ]);
    const emf = stdout
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf.map((doc) => doc.Errors)).toEqual([1, 1]);
    // A configure that failed before it set the task queue: the hooks get an empty one.
    const early: string[] = [];
    const before = fakeHandler(
      {},
      (config) => {
        config.summaryHooks.push((_summary, context) => void early.push(context.taskQueue));
        return Promise.reject(new InvalidOptionError('failed before the task queue'));
      },
      {},
      { presetTaskQueue: false },
    );
    expect((await before.invoke(20_000)).rejected).toBe(true);
    expect(early).toEqual(['']);
  });

  it('that has not finished by the deadline fails that invocation in time; a slow one that finishes is waited for', async () => {
    const never = fakeHandler({}, () => new Promise<void>(() => undefined));
    const late = await never.invoke(5_000);
    expect((late.error as Error).message).toBe(
      'The async configure callback did not finish before the invocation deadline; it goes on, and a later ' +
        'invocation uses its result. Make configure faster (read secrets with a timeout) or raise the function ' +
        'timeout.',
    );
    expect(late.settledMs! - late.startedMs).toBe(5_000 - 250);
    const slow = fakeHandler({}, async (config) => {
      await Promise.resolve(); // configure starts inside fakeHandler, before `slow` is assigned
      await slow.world.after(2_000);
      config.shutdownDeadlineBufferMs = 3_000;
    });
    const result = await slow.invoke(10_000);
    expect(result.error).toBeUndefined();
    expect(result.summary).toMatchObject({ workTimeMs: 5_000 });
  });
});

describe('the folder temporal.toml is looked up in', () => {
  it('is the cwd given to runWorkerWith: its profile sets the address the invocation connects to', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'tlw-cwd-'));
    writeFileSync(path.join(folder, 'temporal.toml'), '[profile.default]\naddress = "from-toml.example:7233"\n');
    const h = fakeHandler({ connectFails: true }, () => undefined, {}, { cwd: folder });
    expect(((await h.invoke(20_000)).error as Error).message).toMatch(
      /^Cannot connect to Temporal at from-toml\.example:7233: connection refused\./,
    );
  });
});
