/**
 * The official package's tests of shutdown hooks, deadlines and the per-invocation lifecycle
 * (temporalio/sdk-typescript packages/test/src/test-lambda-worker.ts), ported to our public API
 * against the real test server. Each `it` names the official test it ports.
 */
import { describe, expect, inject, it } from 'vitest';
import type { LogLevel } from '@temporalio/common';
import { InsufficientTimeError } from '../../src/index';
import { compatHandler, lambdaContext } from './support';

const realAddress = inject('temporalAddress');

describe('shutdown hooks', () => {
  // official: 'shutdown hooks called'
  it('runs a shutdown hook', async () => {
    let called = false;
    const { handler } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.shutdownHooks.push(() => {
        called = true;
      });
    });
    await handler({}, lambdaContext(60_000));
    expect(called).toBe(true);
  });

  // official: 'shutdown hooks called per invocation'
  it('runs the hooks once per invocation', async () => {
    let count = 0;
    const { handler } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.shutdownHooks.push(() => void count++);
    });
    for (let i = 0; i < 3; i++) await handler({}, lambdaContext(60_000));
    expect(count).toBe(3);
  });

  // official: 'multiple shutdown hooks run in order'
  it('runs the hooks in the order they were pushed', async () => {
    const order: string[] = [];
    const { handler } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.shutdownHooks.push(() => void order.push('first'));
      config.shutdownHooks.push(() => void order.push('second'));
    });
    await handler({}, lambdaContext(60_000));
    expect(order).toEqual(['first', 'second']);
  });

  // official: 'async shutdown hooks are awaited'
  it('awaits an async hook', async () => {
    let called = false;
    const { handler } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.shutdownHooks.push(async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        called = true;
      });
    });
    await handler({}, lambdaContext(60_000));
    expect(called).toBe(true);
  });

  // official: 'shutdown hook error does not prevent subsequent hooks'
  it('runs the next hooks after one throws', async () => {
    let secondCalled = false;
    const { handler } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.shutdownHooks.push(() => {
        throw new Error('hook failed');
      });
      config.shutdownHooks.push(() => {
        secondCalled = true;
      });
    });
    await handler({}, lambdaContext(60_000));
    expect(secondCalled).toBe(true);
  });
});

describe('deadlines', () => {
  // official: 'tight deadline throws error'
  it('fails with InsufficientTimeError, in the official words, when the buffer leaves no work time', async () => {
    const { handler } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
    });
    // 2000 ms left, 7000 ms default buffer: no work time at all.
    const failure = handler({}, lambdaContext(2_000));
    await expect(failure).rejects.toThrow(/Insufficient time for Lambda worker/);
    await expect(failure).rejects.toThrow(InsufficientTimeError);
  });

  // official: 'tight deadline with custom buffer throws error'
  it('fails with InsufficientTimeError, in the official words, when a custom buffer leaves 1 s or less', async () => {
    const { handler } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.shutdownDeadlineBufferMs = 1_500;
    });
    // 2000 ms left, 1500 ms buffer: 500 ms of work time.
    const failure = handler({}, lambdaContext(2_000));
    await expect(failure).rejects.toThrow(/Insufficient time for Lambda worker/);
    await expect(failure).rejects.toThrow(/shutdownDeadlineBufferMs/);
  });

  // official: 'low work time logs warning' (through the Runtime's logger)
  it('warns through runtimeOptions.logger, with the words "Low work time", when the work time is under 5 s', async () => {
    const warnings: string[] = [];
    const capture = {
      log: (level: LogLevel, message: string) => void (level === 'WARN' && warnings.push(message)),
      trace() {},
      debug() {},
      info() {},
      warn: (message: string) => void warnings.push(message),
      error() {},
    };
    const { handler } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.shutdownDeadlineBufferMs = 500;
      config.runtimeOptions.logger = capture; // as the official README does; config.logger left alone
    });
    // 4000 ms left, 500 ms buffer: 3500 ms of work time.
    await handler({}, lambdaContext(4_000));
    expect(warnings.filter((message) => message.includes('Low work time'))).toHaveLength(1);
  });
});

describe('per-invocation lifecycle', () => {
  describe('deliberate difference: connection reuse across warm invocations', () => {
    // official: 'new connection created per invocation'
    it('connects once for three warm invocations (reuseConnection = false connects three times)', async () => {
      const kept = compatHandler((config, q) => {
        config.workerOptions.taskQueue = q;
      });
      const fresh = compatHandler((config, q) => {
        config.workerOptions.taskQueue = q;
        config.reuseConnection = false; // the official behaviour
      });
      for (let i = 0; i < 3; i++) {
        await kept.handler({}, lambdaContext(60_000));
        await fresh.handler({}, lambdaContext(60_000));
      }
      expect(kept.recorder.events.filter((event) => event === 'connect')).toHaveLength(1);
      expect(fresh.recorder.events.filter((event) => event === 'connect')).toHaveLength(3);
    });

    // official: 'connection closed after worker completes'
    it('keeps the connection after the worker stopped; reuseConnection = false closes it after', async () => {
      const kept = compatHandler((config, q) => {
        config.workerOptions.taskQueue = q;
      });
      const fresh = compatHandler((config, q) => {
        config.workerOptions.taskQueue = q;
        config.reuseConnection = false;
      });
      await kept.handler({}, lambdaContext(60_000));
      await fresh.handler({}, lambdaContext(60_000));
      expect(kept.recorder.events).toEqual(['connect', 'worker.run ended']);
      expect(fresh.recorder.events).toEqual(['connect', 'worker.run ended', 'connection.close']);
    });

    // official: 'shutdown hooks run after worker completes but before connection close'
    it('runs the hooks after the worker stopped and before the connection is released', async () => {
      const events: string[][] = [];
      for (const reuseConnection of [true, false]) {
        const { handler, recorder } = compatHandler((config, q) => {
          config.workerOptions.taskQueue = q;
          config.reuseConnection = reuseConnection;
          config.shutdownHooks.push(() => void recorder.events.push('shutdown-hook'));
        });
        await handler({}, lambdaContext(60_000));
        events.push(recorder.events);
      }
      expect(events[0]).toEqual(['connect', 'worker.run ended', 'shutdown-hook']);
      expect(events[1]).toEqual(['connect', 'worker.run ended', 'shutdown-hook', 'connection.close']);
    });
  });

  // official: 'connection closed even if worker creation fails'
  it('passes the worker creation error through and closes the connection, whether connections are kept or not', async () => {
    for (const reuseConnection of [true, false]) {
      const { handler, recorder } = compatHandler((config, q) => {
        config.workerOptions.taskQueue = q;
        config.reuseConnection = reuseConnection;
      });
      recorder.failWorkerCreation = new Error('worker creation failed');
      await expect(handler({}, lambdaContext(60_000))).rejects.toThrow(/worker creation failed/);
      expect(
        recorder.events.filter((event) => event === 'connection.close'),
        `reuseConnection = ${reuseConnection}`,
      ).toHaveLength(1);
    }
  });

  // official: 'shutdown hooks run even if worker creation fails'
  it('runs the hooks when worker creation fails', async () => {
    let hookCalled = false;
    const { handler, recorder } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.shutdownHooks.push(() => {
        hookCalled = true;
      });
    });
    const failure = new Error('worker creation failed');
    recorder.failWorkerCreation = failure;
    await expect(handler({}, lambdaContext(60_000))).rejects.toBe(failure); // passed through as it was
    expect(hookCalled).toBe(true);
  });

  // official: 'connectionOptions pre-populated from envconfig'
  it("pre-fills connectionOptions from the environment and connects with configure's changes", async () => {
    let seen: { address?: string; apiKey?: unknown } = {};
    const { handler, recorder } = compatHandler(
      (config, q) => {
        config.workerOptions.taskQueue = q;
        seen = { address: config.connectionOptions.address, apiKey: config.connectionOptions.apiKey };
        config.connectionOptions.address = realAddress; // the user's override
      },
      { TEMPORAL_ADDRESS: 'envconfig:7233', TEMPORAL_API_KEY: 'from-env', TEMPORAL_TLS: 'false' },
    );
    await handler({}, lambdaContext(60_000));
    expect(seen).toEqual({ address: 'envconfig:7233', apiKey: 'from-env' });
    expect(recorder.connectionOptions[0]?.address).toBe(realAddress);
    expect(recorder.connectionOptions[0]?.apiKey).toBe('from-env');
  });
});
