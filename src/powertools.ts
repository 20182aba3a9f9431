/**
 * Adapter from `@aws-lambda-powertools/logger` to Temporal's {@link Logger}, for users who
 * already log with Powertools. The package is an optional peer: it is only loaded by
 * {@link loadPowertoolsLogger}, through a dynamic `import()` that works from the ESM and the
 * CJS build alike.
 */
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import { InvalidOptionError } from './errors';
import { currentInvocationLogFields } from './logger';
import { SecretScrubber } from './redact';

/** The part of a Powertools `Logger` this adapter uses. */
export interface PowertoolsLoggerLike {
  debug(message: string, ...extra: object[]): void;
  info(message: string, ...extra: object[]): void;
  warn(message: string, ...extra: object[]): void;
  error(message: string, ...extra: object[]): void;
}

const METHOD: Record<LogLevel, keyof PowertoolsLoggerLike> = {
  TRACE: 'debug',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Wraps a Powertools logger so that the Temporal Runtime, the worker and this library log
 * through it. Each line carries the invocation's `requestId`; secrets are scrubbed first.
 *
 * @example
 * ```ts
 * import { Logger } from '@aws-lambda-powertools/logger';
 * export const handler = runWorker(version, (config) => {
 *   config.logger = fromPowertoolsLogger(new Logger({ serviceName: 'orders' }));
 * });
 * ```
 */
export function fromPowertoolsLogger(powertools: PowertoolsLoggerLike, scrubber = new SecretScrubber()): Logger & { scrubber: SecretScrubber } {
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    const fields = currentInvocationLogFields();
    const extra = { ...(scrubber.scrub(meta ?? {}) as object), ...(fields ? { requestId: fields.requestId } : {}) };
    powertools[METHOD[level]](scrubber.scrubText(message), extra);
  };
  return {
    scrubber,
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/**
 * Loads `@aws-lambda-powertools/logger`, creates a Powertools `Logger` with `options`, and
 * returns it adapted by {@link fromPowertoolsLogger}.
 *
 * @throws {@link InvalidOptionError} naming the package to install when it is missing.
 */
export async function loadPowertoolsLogger(options: Record<string, unknown> = {}): Promise<Logger & { scrubber: SecretScrubber }> {
  const moduleName = '@aws-lambda-powertools/logger';
  let loaded: { Logger: new (options: Record<string, unknown>) => PowertoolsLoggerLike };
  try {
    loaded = (await import(moduleName)) as typeof loaded;
  } catch (error) {
    throw new InvalidOptionError(
      `Cannot load ${moduleName}: ${(error as Error).message}. Install it (npm install ${moduleName}) or use the default JsonLogger.`,
      { cause: error },
    );
  }
  return fromPowertoolsLogger(new loaded.Logger(options));
}
