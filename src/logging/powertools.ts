/**
 * Adapter from `@aws-lambda-powertools/logger` to Temporal's `Logger`
 * ({@link PowertoolsLoggerAdapter}), for users who already log with Powertools. The package is an
 * optional peer: the user creates the `Logger`; this library never loads it.
 */
import type { LogLevel, LogMetadata } from '@temporalio/common';
import type { LambdaContext } from '../lifecycle/invocation';
import { currentInvocationLogFields, LevelLogger } from './logger';
import { SecretScrubber } from './redact';

/** The part of a Powertools `Logger` this adapter uses. */
export interface PowertoolsLoggerLike {
  /** Logs at DEBUG (TRACE lines come here too, marked `traceLevel`). */
  debug(message: string, extra: Record<string, unknown>): void;
  /** Logs at INFO. */
  info(message: string, extra: Record<string, unknown>): void;
  /** Logs at WARN. */
  warn(message: string, extra: Record<string, unknown>): void;
  /** Logs at ERROR. */
  error(message: string, extra: Record<string, unknown>): void;
  /**
   * Powertools' own: adds the Lambda context's fields (request id, cold start, ...) to its lines.
   * Called with the invocation's Lambda `Context`; typed `never` so that Powertools' signature,
   * which takes `aws-lambda`'s full `Context`, fits without this package depending on those types.
   */
  addContext?(context: never): void;
}

type LogMethodName = 'debug' | 'info' | 'warn' | 'error';

const METHOD: Record<LogLevel, LogMethodName> = {
  TRACE: 'debug',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * A Temporal `Logger` that writes through an AWS Lambda Powertools `Logger`, so that the
 * Temporal Runtime, the worker and this library log as the rest of your function does. Each line
 * carries the invocation's `requestId`, secrets are scrubbed first, and `TRACE` lines go to
 * Powertools' `debug` with `traceLevel: true`. Same constructor as the official package's class
 * of this name, so it can be set as `config.logger` or `config.runtimeOptions.logger`.
 *
 * @example
 * ```ts
 * import { Logger } from '@aws-lambda-powertools/logger';
 * import { PowertoolsLoggerAdapter, runWorker } from 'temporal-lambda-worker';
 *
 * export const handler = runWorker(version, (config) => {
 *   config.runtimeOptions.logger = new PowertoolsLoggerAdapter(new Logger({ serviceName: 'orders' }));
 * });
 * ```
 */
export class PowertoolsLoggerAdapter extends LevelLogger {
  /** Known secrets; {@link runWorker} registers the API key and TLS private key in it. */
  readonly scrubber: SecretScrubber;

  /**
   * @param powertools - a Powertools `Logger` (or anything with its four level methods).
   * @param scrubber - the scrubber of known secrets. @default a new, empty {@link SecretScrubber}
   */
  constructor(
    private readonly powertools: PowertoolsLoggerLike,
    scrubber: SecretScrubber = new SecretScrubber(),
  ) {
    super();
    this.scrubber = scrubber;
  }

  /** Passes the invocation's Lambda context to Powertools (`runWorker` calls it at every invocation). */
  addContext(context: LambdaContext): void {
    const addContext = this.powertools.addContext as ((context: LambdaContext) => void) | undefined;
    addContext?.call(this.powertools, context);
  }

  /** Writes through the Powertools method of `level` (TRACE through `debug`), secrets scrubbed. */
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const fields = currentInvocationLogFields();
    const extra: Record<string, unknown> = {
      ...(this.scrubber.scrub(meta ?? {}) as object),
      ...(fields ? { requestId: fields.requestId } : {}),
    };
    if (level === 'TRACE') extra.traceLevel = true;
    this.powertools[METHOD[level]](this.scrubber.scrubText(message), extra);
  }
}
