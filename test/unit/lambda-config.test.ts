import { describe, expect, it } from 'vitest';
import { InvalidDeploymentVersionError, InvalidOptionError, MissingTaskQueueError } from '../../src/errors';
import { compileWorkerSettings, LambdaWorkerConfig, validateVersion } from '../../src/config/lambda-config';
import { LAMBDA_WORKER_DEFAULTS } from '../../src/defaults';
import { JsonLogger } from '../../src/logging/logger';

const version = { deploymentName: 'my-app', buildId: 'build-1' };

function config(): LambdaWorkerConfig {
  return new LambdaWorkerConfig({
    connectionOptions: { address: 'h:1' },
    namespace: 'default',
    logger: new JsonLogger({ write: () => undefined }),
  });
}

/**
 * The spec's table written out (typescript-sdk-lambda-worker.md, "Adjust Worker defaults for
 * Lambda"): SimpleMaximum(n) is the TypeScript SDK's { type: 'simple-maximum', maximum: n }, and
 * 5 seconds is 5000 ms. Never derived from the code under test.
 */
const SPEC_DEFAULTS = {
  maxConcurrentActivityTaskExecutions: 2,
  maxConcurrentWorkflowTaskExecutions: 10,
  maxConcurrentLocalActivityExecutions: 2,
  maxConcurrentNexusTaskExecutions: 5,
  workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 2 },
  activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 1 },
  nexusTaskPollerBehavior: { type: 'simple-maximum', maximum: 1 },
  shutdownGraceTime: 5_000,
  maxCachedWorkflows: 30,
};

describe('LambdaWorkerConfig', () => {
  it('pre-fills exactly the spec defaults and PINNED', () => {
    const options = config().workerOptions;
    expect(options).toEqual({ ...SPEC_DEFAULTS, workerDeploymentOptions: { defaultVersioningBehavior: 'PINNED' } });
    expect(config().runtimeOptions).toEqual({ shutdownSignals: [] });
    expect(config().shutdownDeadlineBufferMs).toBe(7_000);
    expect(config().idleExitMs).toBe(5_000);
    expect(config().reuseConnection).toBe(true);
  });

  it('does not share the defaults object between configs', () => {
    // `as const` does not freeze: were the nested objects shared, these writes would change the
    // exported defaults too, so the expected values are the spec's, written out.
    const first = config().workerOptions;
    type Mutable = { maximum: number };
    (first.workflowTaskPollerBehavior as Mutable).maximum = 9;
    (first.activityTaskPollerBehavior as Mutable).maximum = 9;
    (first.nexusTaskPollerBehavior as Mutable).maximum = 9;
    first.workerDeploymentOptions!.defaultVersioningBehavior = 'AUTO_UPGRADE';
    const second = config().workerOptions;
    expect(second.workflowTaskPollerBehavior).toEqual({ type: 'simple-maximum', maximum: 2 });
    expect(second.activityTaskPollerBehavior).toEqual({ type: 'simple-maximum', maximum: 1 });
    expect(second.nexusTaskPollerBehavior).toEqual({ type: 'simple-maximum', maximum: 1 });
    expect(second.workerDeploymentOptions).toEqual({ defaultVersioningBehavior: 'PINNED' });
  });

  it("exports the spec's defaults table as LAMBDA_WORKER_DEFAULTS", () => {
    expect(LAMBDA_WORKER_DEFAULTS).toEqual(SPEC_DEFAULTS);
  });

  it('derives the buffer from the grace time until the user sets it', () => {
    const c = config();
    c.workerOptions.shutdownGraceTime = '60s';
    expect(c.shutdownDeadlineBufferMs).toBe(62_000);
    c.shutdownDeadlineBufferMs = 65_000;
    c.workerOptions.shutdownGraceTime = '10s';
    expect(c.shutdownDeadlineBufferMs).toBe(65_000);
  });
});

describe('compileWorkerSettings', () => {
  it('applies the version and versioning after configure and keeps only the default behaviour', () => {
    const c = config();
    c.workerOptions.taskQueue = 'tq';
    c.workerOptions.workerDeploymentOptions = { defaultVersioningBehavior: 'AUTO_UPGRADE' };
    const settings = compileWorkerSettings(c, version, {});
    expect(settings.workerOptions.workerDeploymentOptions).toEqual({
      version,
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    });
  });

  it('ignores a version or useWorkerVersioning that untyped code set, keeping its behaviour', () => {
    const c = config();
    c.workerOptions.taskQueue = 'tq';
    Object.assign(c.workerOptions, {
      workerDeploymentOptions: {
        version: { deploymentName: 'other', buildId: 'x' },
        useWorkerVersioning: false,
        defaultVersioningBehavior: 'AUTO_UPGRADE',
      },
    });
    expect(compileWorkerSettings(c, version, {}).workerOptions.workerDeploymentOptions).toEqual({
      version,
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    });
  });

  it('lets TEMPORAL_TASK_QUEUE override the code and reserves no eager activities', () => {
    const c = config();
    c.workerOptions.taskQueue = 'from-code';
    c.workerOptions.maxEagerActivityReservationsPerWorkflowTask = 3;
    const settings = compileWorkerSettings(c, version, { TEMPORAL_TASK_QUEUE: 'from-env' });
    expect(settings.workerOptions.taskQueue).toBe('from-env');
    expect(settings.workerOptions.maxEagerActivityReservationsPerWorkflowTask).toBe(0);
  });

  it('names both places to set a missing task queue', () => {
    expect(() => compileWorkerSettings(config(), version, {})).toThrow(MissingTaskQueueError);
    expect(() => compileWorkerSettings(config(), version, {})).toThrow(
      /TEMPORAL_TASK_QUEUE.*config\.workerOptions\.taskQueue/,
    );
  });

  it('turns idle exit off with false and rejects a non-positive value', () => {
    const c = config();
    c.workerOptions.taskQueue = 'tq';
    expect(compileWorkerSettings(c, version, {}).idleExitMs).toBe(5_000);
    c.idleExitMs = false;
    expect(compileWorkerSettings(c, version, {}).idleExitMs).toBeUndefined();
    c.idleExitMs = 0;
    expect(() => compileWorkerSettings(c, version, {})).toThrow(/config\.idleExitMs.*false/);
  });

  it('runs workflows in process with deadlock detection kept, unless a worker thread is asked for', () => {
    const c = config();
    c.workerOptions.taskQueue = 'tq';
    expect(c.workflowThread).toBe(false);
    expect(compileWorkerSettings(c, version, {})).toMatchObject({
      inProcessWorkflows: true,
      workerOptions: { debugMode: true },
    });
    c.workflowThread = true;
    const threaded = compileWorkerSettings(c, version, {});
    expect(threaded.inProcessWorkflows).toBe(false);
    expect(threaded.workerOptions).not.toHaveProperty('debugMode');
    c.workflowThread = false;
    c.workerOptions.debugMode = false;
    expect(compileWorkerSettings(c, version, {})).toMatchObject({
      inProcessWorkflows: false,
      workerOptions: { debugMode: false },
    });
  });

  it('rejects a negative buffer with the field name', () => {
    const c = config();
    c.workerOptions.taskQueue = 'tq';
    c.shutdownDeadlineBufferMs = -1;
    expect(() => compileWorkerSettings(c, version, {})).toThrow(InvalidOptionError);
    expect(() => compileWorkerSettings(c, version, {})).toThrow(/config\.shutdownDeadlineBufferMs/);
  });
});

describe('validateVersion', () => {
  it.each([
    [{ deploymentName: '', buildId: 'b' }, /deploymentName/],
    [{ deploymentName: 'd', buildId: '  ' }, /buildId/],
    [undefined, /deploymentName/],
  ])('rejects %j', (input, pattern) => {
    expect(() => validateVersion(input as never)).toThrow(InvalidDeploymentVersionError);
    expect(() => validateVersion(input as never)).toThrow(pattern);
  });
});
