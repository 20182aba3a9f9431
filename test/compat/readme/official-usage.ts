// How official users use the exported names beyond the README: the handler type with an
// aws-lambda Context, a no-argument shutdown hook, the config type in a helper, and the otel
// entry's positional makeOtelPlugin with its span processor.
import type { Context } from 'aws-lambda';
import { runWorker, type LambdaHandler, type LambdaWorkerConfig, type ShutdownHook } from 'temporal-lambda-worker';
import { applyDefaults, makeOtelPlugin, type OtelOptions } from 'temporal-lambda-worker/otel';

function configureQueue(config: LambdaWorkerConfig): void {
  config.workerOptions.taskQueue = 'my-task-queue';
  config.shutdownDeadlineBufferMs = 10_000;
}

const flushSomething: ShutdownHook = async () => undefined;

export const handler: LambdaHandler = runWorker({ deploymentName: 'my-service', buildId: 'v1.0' }, (config) => {
  configureQueue(config);
  config.shutdownHooks.push(flushSomething, () => undefined);
  const options: OtelOptions = { endpoint: 'grpc://localhost:4317', serviceName: 'my-service' };
  applyDefaults(config, options);
});

export async function invokeWith(context: Context): Promise<void> {
  await handler({}, context);
}

export async function flushTraces(): Promise<void> {
  const { plugin, spanProcessor } = makeOtelPlugin('grpc://localhost:4317', 'my-service');
  void plugin;
  await spanProcessor.forceFlush();
}
