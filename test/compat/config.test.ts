/**
 * The official package's tests of the config, its defaults and the final worker options
 * (temporalio/sdk-typescript packages/test/src/test-lambda-worker.ts), ported to our public API
 * against the real test server. Each `it` names the official test it ports.
 */
import { describe, expect, it } from 'vitest';
import { TransportError } from '@temporalio/worker';
import { MissingTaskQueueError, TlsFileNotFoundError, type LambdaWorkerConfig } from '../../src/index';
import { runWorkerWith } from '../../src/lifecycle/run-worker';
import { compatHandler, lambdaContext, TEST_VERSION } from './support';

describe('config and defaults', () => {
  // official: 'workerDeploymentOptions defaults to PINNED in config'
  it('pre-fills workerDeploymentOptions with PINNED', () => {
    let captured: LambdaWorkerConfig | undefined;
    compatHandler((config, q) => {
      captured = config;
      config.workerOptions.taskQueue = q;
    });
    expect(captured!.workerOptions.workerDeploymentOptions?.defaultVersioningBehavior).toBe('PINNED');
  });

  // official: 'workerDeploymentOptions on final WorkerOptions includes version and useWorkerVersioning'
  it('gives the worker the version, useWorkerVersioning and PINNED', async () => {
    const { handler, recorder } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
    });
    await handler({}, lambdaContext(60_000));
    const options = recorder.lastWorkerOptions.workerDeploymentOptions;
    expect(options?.version).toEqual(TEST_VERSION);
    expect(options?.useWorkerVersioning).toBe(true);
    expect(options?.defaultVersioningBehavior).toBe('PINNED');
  });

  // official: 'user can override defaultVersioningBehavior to AUTO_UPGRADE'
  it('lets configure choose AUTO_UPGRADE, the version and versioning still applied', async () => {
    const { handler, recorder } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.workerOptions.workerDeploymentOptions = { defaultVersioningBehavior: 'AUTO_UPGRADE' };
    });
    await handler({}, lambdaContext(60_000));
    const options = recorder.lastWorkerOptions.workerDeploymentOptions;
    expect(options?.defaultVersioningBehavior).toBe('AUTO_UPGRADE');
    expect(options?.useWorkerVersioning).toBe(true);
    expect(options?.version).toEqual(TEST_VERSION);
  });

  // official: 'throws if taskQueue is not set'
  it('throws from runWorker when a synchronous configure sets no task queue, with the official words, then both fixes', () => {
    const setUp = () => compatHandler(() => undefined);
    expect(setUp).toThrow(/taskQueue is required/);
    expect(setUp).toThrow(MissingTaskQueueError);
    expect(setUp).toThrow(/TEMPORAL_TASK_QUEUE.*config\.workerOptions\.taskQueue/);
  });

  describe('deliberate difference: async setup (not in the official file)', () => {
    it('accepts an async configure; a setup error found after it resolves fails each invocation', async () => {
      const { handler } = compatHandler(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
      });
      await expect(handler({}, lambdaContext(60_000))).rejects.toThrow(MissingTaskQueueError);
      await expect(handler({}, lambdaContext(60_000))).rejects.toThrow(MissingTaskQueueError);
    });

    it('throws from runWorker on a connection config error, whatever configure is', () => {
      const env = {
        TEMPORAL_TLS: 'true',
        TEMPORAL_TLS_CLIENT_CERT_PATH: '/missing/client.pem',
        TEMPORAL_TLS_CLIENT_KEY_PATH: '/missing/client.key',
      };
      expect(() => runWorkerWith(TEST_VERSION, async () => undefined, { env })).toThrow(TlsFileNotFoundError);
    });
  });

  // official: 'Lambda defaults applied to workerOptions'
  it('pre-fills the Lambda defaults', () => {
    let captured: LambdaWorkerConfig | undefined;
    compatHandler((config, q) => {
      captured = config;
      config.workerOptions.taskQueue = q;
    });
    // The spec's table ("Adjust Worker defaults for Lambda"), written out rather than read from
    // LAMBDA_WORKER_DEFAULTS, which a wrong default would change too.
    const options = captured!.workerOptions;
    expect(options.maxConcurrentActivityTaskExecutions).toBe(2);
    expect(options.maxConcurrentWorkflowTaskExecutions).toBe(10);
    expect(options.maxConcurrentLocalActivityExecutions).toBe(2);
    expect(options.maxConcurrentNexusTaskExecutions).toBe(5);
    expect(options.shutdownGraceTime).toBe(5_000); // '5 seconds' in the spec, '5s' in the official code
    expect(options.maxCachedWorkflows).toBe(30);
    expect(options.workflowTaskPollerBehavior).toEqual({ type: 'simple-maximum', maximum: 2 });
    expect(options.activityTaskPollerBehavior).toEqual({ type: 'simple-maximum', maximum: 1 });
    expect(options.nexusTaskPollerBehavior).toEqual({ type: 'simple-maximum', maximum: 1 });
    expect(captured!.shutdownDeadlineBufferMs).toBe(7_000);
  });

  // official: 'user overrides take precedence over Lambda defaults'
  it('lets configure override the defaults', async () => {
    const { handler, recorder, taskQueue } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.workerOptions.maxConcurrentActivityTaskExecutions = 99;
    });
    await handler({}, lambdaContext(60_000));
    expect(recorder.lastWorkerOptions.taskQueue).toBe(taskQueue);
    expect(recorder.lastWorkerOptions.maxConcurrentActivityTaskExecutions).toBe(99);
  });

  // official: 'configure callback receives pre-populated config with defaults'
  it('hands configure a pre-filled config with no shutdown hooks', () => {
    let captured: LambdaWorkerConfig | undefined;
    compatHandler((config, q) => {
      captured = config;
      config.workerOptions.taskQueue = q;
    });
    expect(captured!.workerOptions.maxConcurrentActivityTaskExecutions).toBe(2);
    expect(captured!.workerOptions.workerDeploymentOptions!.defaultVersioningBehavior).toBe('PINNED');
    expect(captured!.shutdownHooks).toEqual([]);
  });

  // official: 'runtimeOptions pre-populated with shutdownSignals disabled'
  it('pre-fills runtimeOptions with no shutdown signals', () => {
    let captured: LambdaWorkerConfig | undefined;
    compatHandler((config, q) => {
      captured = config;
      config.workerOptions.taskQueue = q;
    });
    expect(captured!.runtimeOptions.shutdownSignals).toEqual([]);
  });

  // official: 'task queue from configure callback'
  it('uses the task queue set in configure', async () => {
    const { handler, recorder, taskQueue } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
    });
    await handler({}, lambdaContext(60_000));
    expect(recorder.lastWorkerOptions.taskQueue).toBe(taskQueue);
  });

  // official: 'task queue pre-populated from TEMPORAL_TASK_QUEUE env var'
  it('shows configure the task queue of TEMPORAL_TASK_QUEUE', () => {
    let seen: string | undefined;
    compatHandler(
      (config) => {
        seen = config.workerOptions.taskQueue;
      },
      { TEMPORAL_TASK_QUEUE: 'env-queue' },
    );
    expect(seen).toBe('env-queue');
  });

  describe('deliberate difference: TEMPORAL_TASK_QUEUE overrides the code (not in the official file)', () => {
    it("serves the env var's queue even when configure set another", async () => {
      const { handler, recorder } = compatHandler(
        (config) => {
          config.workerOptions.taskQueue = 'from-code';
        },
        { TEMPORAL_TASK_QUEUE: 'compat-env-queue' },
      );
      await handler({}, lambdaContext(60_000));
      expect(recorder.lastWorkerOptions.taskQueue).toBe('compat-env-queue');
    });
  });

  // official: 'user namespace override applied'
  it('gives the worker the namespace set in configure', async () => {
    const { handler, recorder } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
      config.namespace = 'custom-ns';
    });
    // The test server has no such namespace: the worker is created with it, then fails its check.
    const invocation = handler({}, lambdaContext(60_000));
    await expect(invocation).rejects.toThrow(TransportError);
    await expect(invocation).rejects.toThrow(/Namespace custom-ns was not found/);
    expect(recorder.lastWorkerOptions.namespace).toBe('custom-ns');
  });

  // official: 'identity built from Lambda context'
  it('builds the identity from the request id and function ARN', async () => {
    const { handler, recorder } = compatHandler((config, q) => {
      config.workerOptions.taskQueue = q;
    });
    await handler({}, lambdaContext(60_000, 'req-abc-123', 'arn:aws:lambda:us-east-1:123456:function:my-func'));
    expect(recorder.lastWorkerOptions.identity).toBe('req-abc-123@arn:aws:lambda:us-east-1:123456:function:my-func');
  });
});
