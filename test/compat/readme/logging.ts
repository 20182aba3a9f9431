// Logging: Powertools through the adapter (the package's TSDoc example, set where the README sets
// a logger), then the README's custom-logger block. Its placeholders are filled in: a console-
// backed `myCustomLogger`, and `{}` for `telemetryOptions = { ... }`.
import { Logger } from '@aws-lambda-powertools/logger';
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import { PowertoolsLoggerAdapter, runWorker } from 'temporal-lambda-worker';

const adapter = new PowertoolsLoggerAdapter(new Logger({ serviceName: 'my-worker' }));

export const powertoolsHandler = runWorker({ deploymentName: 'my-service', buildId: 'v1.0' }, (config) => {
  config.workerOptions.taskQueue = 'my-task-queue';
  config.runtimeOptions.logger = adapter;
});

const write = (level: LogLevel, message: string, meta?: LogMetadata) => console.log(level, message, meta);
const myCustomLogger: TemporalLogger = {
  log: write,
  trace: (message, meta) => write('TRACE', message, meta),
  debug: (message, meta) => write('DEBUG', message, meta),
  info: (message, meta) => write('INFO', message, meta),
  warn: (message, meta) => write('WARN', message, meta),
  error: (message, meta) => write('ERROR', message, meta),
};

export const handler = runWorker({ deploymentName: 'my-service', buildId: 'v1.0' }, (config) => {
  config.workerOptions.taskQueue = 'my-task-queue';
  // Use a custom logger
  config.runtimeOptions.logger = myCustomLogger;
  // Or configure telemetry
  config.runtimeOptions.telemetryOptions = {};
});
