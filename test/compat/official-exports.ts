/** What the compat suite checks against, read from temporalio/sdk-typescript at cd60591c (package 1.22.0). */

/**
 * Every name `@temporalio/lambda-worker` exports, per entry point, as listed by its
 * `packages/lambda-worker/src/index.ts` and `src/otel.ts`. The compat suite checks that ours has each.
 */
export const OFFICIAL_EXPORTS: Record<'.' | './otel', { values: string[]; types: string[] }> = {
  '.': {
    values: ['runWorker', 'PowertoolsLoggerAdapter'],
    types: ['LambdaWorkerConfig', 'LambdaHandler', 'ShutdownHook'],
  },
  './otel': { values: ['applyDefaults', 'makeOtelPlugin'], types: ['OtelOptions'] },
};

/**
 * The names of the official package's 28 tests (packages/test/src/test-lambda-worker.ts, same
 * commit). Each is ported once in this folder, named in an `// official: '<name>'` comment.
 */
export const OFFICIAL_TESTS = [
  'workerDeploymentOptions defaults to PINNED in config',
  'workerDeploymentOptions on final WorkerOptions includes version and useWorkerVersioning',
  'user can override defaultVersioningBehavior to AUTO_UPGRADE',
  'throws if taskQueue is not set',
  'Lambda defaults applied to workerOptions',
  'user overrides take precedence over Lambda defaults',
  'configure callback receives pre-populated config with defaults',
  'runtimeOptions pre-populated with shutdownSignals disabled',
  'Runtime.install called with runtimeOptions',
  'user can override runtimeOptions.logger',
  'task queue from configure callback',
  'task queue pre-populated from TEMPORAL_TASK_QUEUE env var',
  'user namespace override applied',
  'identity built from Lambda context',
  'shutdown hooks called',
  'shutdown hooks called per invocation',
  'multiple shutdown hooks run in order',
  'async shutdown hooks are awaited',
  'shutdown hook error does not prevent subsequent hooks',
  'tight deadline throws error',
  'tight deadline with custom buffer throws error',
  'low work time logs warning',
  'new connection created per invocation',
  'connection closed after worker completes',
  'shutdown hooks run after worker completes but before connection close',
  'connection closed even if worker creation fails',
  'shutdown hooks run even if worker creation fails',
  'connectionOptions pre-populated from envconfig',
];
