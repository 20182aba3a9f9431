/**
 * Every name `@temporalio/lambda-worker` exports, per entry point, as listed by its
 * `packages/lambda-worker/src/index.ts` and `src/otel.ts` (temporalio/sdk-typescript, main at
 * cd60591c, package version 1.22.0). The compat suite checks that ours has each.
 */
export const OFFICIAL_EXPORTS: Record<'.' | './otel', { values: string[]; types: string[] }> = {
  '.': { values: ['runWorker', 'PowertoolsLoggerAdapter'], types: ['LambdaWorkerConfig', 'LambdaHandler', 'ShutdownHook'] },
  './otel': { values: ['applyDefaults', 'makeOtelPlugin'], types: ['OtelOptions'] },
};
