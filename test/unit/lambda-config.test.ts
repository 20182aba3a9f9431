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

describe('the options compileWorkerSettings refuses or fills, word for word', () => {
  const compiled = (change: (c: LambdaWorkerConfig) => void, env: Record<string, string> = {}) => {
    const c = config();
    c.workerOptions.taskQueue = 'tq';
    change(c);
    return compileWorkerSettings(c, version, env);
  };
  const refusal = (change: (c: LambdaWorkerConfig) => void) => {
    try {
      compiled(change);
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a refusal');
  };

  it('a task queue that is blank, with both places to set it', () => {
    const error = refusal((c) => (c.workerOptions.taskQueue = '   '));
    expect(error).toBeInstanceOf(MissingTaskQueueError);
    expect(error.message).toBe(
      'taskQueue is required, and none is set. Set the TEMPORAL_TASK_QUEUE env var on the function, or ' +
        'config.workerOptions.taskQueue in the configure callback.',
    );
    expect(compiled((c) => (c.workerOptions.taskQueue = ' tq ')).workerOptions.taskQueue).toBe(' tq ');
  });

  it('a negative grace or forced-stop time, and zero accepted for both', () => {
    expect(refusal((c) => (c.workerOptions.shutdownGraceTime = -1)).message).toBe(
      'config.workerOptions.shutdownGraceTime must be a finite number of milliseconds >= 0; received -1. Set it in ' +
        'the configure callback.',
    );
    expect(refusal((c) => (c.workerOptions.shutdownForceTime = -5)).message).toBe(
      'config.workerOptions.shutdownForceTime must be a finite number of milliseconds >= 0; received -5. Set it in ' +
        'the configure callback.',
    );
    const zero = compiled((c) => {
      c.workerOptions.shutdownGraceTime = 0;
      c.workerOptions.shutdownForceTime = 0;
    });
    expect([zero.shutdownGraceTimeMs, zero.userShutdownForceTimeMs, zero.shutdownDeadlineBufferMs]).toEqual([
      0, 0, 2_000,
    ]);
    const unset = compiled((c) => (c.workerOptions.shutdownGraceTime = undefined));
    expect([unset.shutdownGraceTimeMs, unset.userShutdownForceTimeMs, unset.shutdownDeadlineBufferMs]).toEqual([
      0,
      undefined,
      2_000,
    ]);
  });

  it('a buffer under 500 ms, and 500 ms itself accepted', () => {
    const error = refusal((c) => (c.shutdownDeadlineBufferMs = 499));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toBe(
      'config.shutdownDeadlineBufferMs must be at least 500 ms (the handler settles 250 ms before the deadline, and ' +
        'the worker needs the rest to be told to stop and to stop); received 499. Set it to 500 or more, or leave ' +
        'it unset for shutdownGraceTime + 2000 ms.',
    );
    expect(compiled((c) => (c.shutdownDeadlineBufferMs = 500)).shutdownDeadlineBufferMs).toBe(500);
  });

  it('an idle exit that is not a positive number', () => {
    expect(refusal((c) => (c.idleExitMs = Number.NaN)).message).toBe(
      'config.idleExitMs must be a positive number of milliseconds, or false to work until the deadline; received ' +
        'NaN. Set it in the configure callback.',
    );
  });

  it('a slot limit changed beside a tuner; limits left at the Lambda default or removed are dropped', () => {
    const tuner = { tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 } };
    expect(
      refusal((c) => {
        c.workerOptions.tuner = tuner;
        c.workerOptions.maxConcurrentWorkflowTaskExecutions = 7;
      }).message,
    ).toBe(
      'config.workerOptions.tuner is set together with config.workerOptions.maxConcurrentWorkflowTaskExecutions ' +
        '(7); the tuner sizes the slots, so the SDK takes one or the other. Remove ' +
        'maxConcurrentWorkflowTaskExecutions, or remove the tuner.',
    );
    const tuned = compiled((c) => {
      c.workerOptions.tuner = tuner;
      c.workerOptions.maxConcurrentActivityTaskExecutions = undefined;
    });
    expect(tuned.workerOptions.tuner).toBe(tuner);
    for (const field of Object.keys(SPEC_DEFAULTS).filter((name) => /^maxConcurrent.*Executions$/.test(name))) {
      expect(tuned.workerOptions).not.toHaveProperty(field);
    }
    // Without a tuner, the Lambda defaults stay (the spec's values).
    expect(compiled(() => undefined).workerOptions).toMatchObject({
      maxConcurrentActivityTaskExecutions: SPEC_DEFAULTS.maxConcurrentActivityTaskExecutions,
      maxConcurrentWorkflowTaskExecutions: SPEC_DEFAULTS.maxConcurrentWorkflowTaskExecutions,
    });
  });

  it('no workerDeploymentOptions at all: the default versioning behaviour', () => {
    const settings = compiled((c) => (c.workerOptions.workerDeploymentOptions = undefined));
    expect(settings.workerOptions.workerDeploymentOptions).toEqual({
      version,
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'PINNED',
    });
  });
});

describe('validateVersion, word for word', () => {
  it('names the field, what it received and the call to write', () => {
    expect(() => validateVersion(undefined as never)).toThrow(
      new InvalidDeploymentVersionError(
        'runWorker needs a deployment version with a non-empty deploymentName; received null. Pass ' +
          "runWorker({ deploymentName: 'my-app', buildId: 'build-1' }, configure) with the names of your Worker " +
          'Deployment Version.',
      ),
    );
    expect(() => validateVersion({ deploymentName: 'd', buildId: ' ' })).toThrow(
      /non-empty buildId; received " "\. Pass/,
    );
  });
});
