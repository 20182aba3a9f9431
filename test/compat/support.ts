/**
 * The harness of the compatibility suite: handlers built with `runWorkerWith` (`runWorker` with the
 * environment injected, as the official tests inject theirs through `_runWorkerInternal`) against the
 * real test server, and a recording plugin that sees what the official tests see through their
 * injected dependencies (each connect, the final WorkerOptions, when the worker stopped and when
 * the connection was closed), using only the SDK's own plugin hooks.
 */
import { inject } from 'vitest';
import type {
  NativeConnection,
  NativeConnectionOptions,
  NativeConnectionPlugin,
  WorkerOptions,
  WorkerPlugin,
} from '@temporalio/worker';
import type { Worker } from '@temporalio/worker';
import type { LambdaHandler, LambdaWorkerConfig } from '../../src/index';
import { runWorkerWith } from '../../src/lifecycle/run-worker';
import { makeContext, type FakeContext } from '../support/context';
import { emptyDir } from '../support/invoke';
import { uniqueName } from '../support/temporal';

/** The version every ported test uses, as the official tests use one fixed version. */
export const TEST_VERSION = { buildId: 'test-build', deploymentName: 'compat-deployment' };

/** A logger that drops everything; the official tests' `noopLogger`. */
export const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Records what the official tests capture through `connect`, `createWorker` and `runUntil`. */
export class Recorder implements NativeConnectionPlugin, WorkerPlugin {
  readonly name = 'compat-recorder';
  /** In order: `connect`, `worker.run ended`, `shutdown-hook` (when a test pushes it), `connection.close`. */
  readonly events: string[] = [];
  readonly connectionOptions: NativeConnectionOptions[] = [];
  readonly workerOptions: WorkerOptions[] = [];
  /** Set to make worker creation fail with this error, as the official tests' `createWorker` can. */
  failWorkerCreation: Error | undefined;
  private readonly watched = new WeakSet<NativeConnection>();

  configureNativeConnection(options: NativeConnectionOptions): NativeConnectionOptions {
    this.events.push('connect');
    this.connectionOptions.push(options);
    return options;
  }

  configureWorker(options: WorkerOptions): WorkerOptions {
    this.workerOptions.push(options);
    this.watchClose(options.connection);
    if (this.failWorkerCreation) throw this.failWorkerCreation;
    return options;
  }

  async runWorker(worker: Worker, next: (worker: Worker) => Promise<void>): Promise<void> {
    try {
      await next(worker);
    } finally {
      this.events.push('worker.run ended');
    }
  }

  get lastWorkerOptions(): WorkerOptions {
    const last = this.workerOptions.at(-1);
    if (last === undefined) throw new Error('no worker was created');
    return last;
  }

  private watchClose(connection: NativeConnection | undefined): void {
    if (connection === undefined || this.watched.has(connection)) return;
    this.watched.add(connection);
    const close = connection.close.bind(connection);
    connection.close = async () => {
      this.events.push('connection.close');
      return close();
    };
  }
}

export interface CompatHandler {
  handler: LambdaHandler;
  recorder: Recorder;
  /** A unique task queue for the test to set, as the official tests set `'q'`. */
  taskQueue: string;
}

/**
 * `runWorker` with what the real server needs from a test (its address, an activity so that a
 * worker can be created) and a short idle exit so an invocation ends quickly; then the test's
 * own configure, which sees the config as a user's would and may change anything.
 */
export function compatHandler(
  configure: (config: LambdaWorkerConfig, taskQueue: string) => void | Promise<void>,
  env: Record<string, string> = {},
): CompatHandler {
  const recorder = new Recorder();
  const taskQueue = uniqueName('compat');
  const handler = runWorkerWith(
    TEST_VERSION,
    (config) => {
      config.connectionOptions.plugins = [...(config.connectionOptions.plugins ?? []), recorder];
      config.workerOptions.activities = { compatNoop: async () => undefined };
      config.idleExitMs = 300;
      return configure(config, taskQueue);
    },
    { env: { TEMPORAL_ADDRESS: inject('temporalAddress'), LOG_LEVEL: 'ERROR', ...env }, cwd: emptyDir() },
  );
  return { handler, recorder, taskQueue };
}

/** The official tests' mock context: a request id, a function ARN and the remaining time. */
export function lambdaContext(
  remainingMs: number,
  requestId = 'req-abc-123',
  arn = 'arn:aws:lambda:us-east-1:123456:function:my-func',
): FakeContext {
  return makeContext(remainingMs, { awsRequestId: requestId, invokedFunctionArn: arn, functionName: 'my-func' });
}
