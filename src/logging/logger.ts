/**
 * Structured logging: one JSON object per line on stdout, with level, message, time, and the
 * Lambda request id and function name, so that CloudWatch Logs Insights parses every field.
 * The per-invocation fields come from an AsyncLocalStorage, so concurrent invocations in one
 * process (Lambda Managed Instances) each log their own request id.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import { AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_LOG_LEVEL, LOG_LEVEL, readEnv, type Env } from '../config/env';
import { DEFAULT_LOG_LEVEL } from '../defaults';
import { SecretScrubber } from './redact';

/** Fields that identify the invocation a log line belongs to. */
export interface InvocationLogFields {
  requestId: string;
  functionName?: string;
  functionVersion?: string;
}

const invocationFields = new AsyncLocalStorage<InvocationLogFields>();

/** Runs `fn` with `fields` attached to every log line written inside it. */
export function withInvocationLogFields<T>(fields: InvocationLogFields, fn: () => T): T {
  return invocationFields.run(fields, fn);
}

/** The fields of the invocation the caller runs in, if any. */
export function currentInvocationLogFields(): InvocationLogFields | undefined {
  return invocationFields.getStore();
}

const LEVEL_RANK: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/** Parses a level name from the environment; Lambda's `FATAL` maps to `ERROR`. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  const upper = value?.trim().toUpperCase();
  if (upper === 'FATAL') return 'ERROR';
  if (upper === 'WARNING') return 'WARN';
  return upper !== undefined && upper in LEVEL_RANK ? (upper as LogLevel) : undefined;
}

/** Options of {@link JsonLogger}. */
export interface JsonLoggerOptions {
  /**
   * Lowest level written.
   * @default `LOG_LEVEL`, then `AWS_LAMBDA_LOG_LEVEL`, then `'INFO'`
   */
  level?: LogLevel;
  /** Where each line goes. @default `process.stdout.write` */
  write?: (line: string) => void;
  /** Environment to read the level and function name from. @default `process.env` */
  env?: Env;
  /** Scrubber of known secrets; {@link runWorker} registers the API key and TLS key in it. */
  scrubber?: SecretScrubber;
}

/** A Temporal `Logger` whose level methods all go through {@link LevelLogger.log}. */
export abstract class LevelLogger implements Logger {
  /** Writes `message` with `meta` at `level`, unless the logger's level is above it. */
  abstract log(level: LogLevel, message: string, meta?: LogMetadata): void;
  /** Logs at TRACE. */
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  /** Logs at DEBUG. */
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  /** Logs at INFO. */
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  /** Logs at WARN. */
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  /** Logs at ERROR. */
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * A Temporal `Logger` that writes one JSON object per line.
 *
 * @example
 * ```ts
 * const logger = new JsonLogger({ level: 'DEBUG' });
 * logger.info('worker ready', { taskQueue: 'orders' });
 * // {"timestamp":"2026-11-22T10:00:00.000Z","level":"INFO","message":"worker ready",
 * //  "requestId":"...","taskQueue":"orders"} (one line)
 * ```
 */
export class JsonLogger extends LevelLogger {
  readonly level: LogLevel;
  readonly scrubber: SecretScrubber;
  private readonly write: (line: string) => void;
  private readonly functionName: string | undefined;

  constructor(options: JsonLoggerOptions = {}) {
    super();
    const env = options.env ?? process.env;
    this.level =
      options.level ??
      parseLogLevel(readEnv(env, LOG_LEVEL)) ??
      parseLogLevel(readEnv(env, AWS_LAMBDA_LOG_LEVEL)) ??
      DEFAULT_LOG_LEVEL;
    this.write = options.write ?? ((line) => void process.stdout.write(line));
    this.functionName = readEnv(env, AWS_LAMBDA_FUNCTION_NAME);
    this.scrubber = options.scrubber ?? new SecretScrubber();
  }

  /** Writes one JSON line, secrets scrubbed, unless `level` is below the logger's. */
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (LEVEL_RANK[level] < LEVEL_RANK[this.level]) return;
    const invocation = invocationFields.getStore();
    const record: Record<string, unknown> = {
      timestamp: new Date().toISOString(),
      level,
      message: this.scrubber.scrubText(message),
      requestId: invocation?.requestId,
      functionName: invocation?.functionName ?? this.functionName,
    };
    if (meta !== undefined) {
      const scrubbed = this.scrubber.scrub(meta) as Record<string, unknown>;
      for (const [key, value] of Object.entries(scrubbed)) {
        if (!(key in record)) record[key] = value;
      }
    }
    this.write(`${JSON.stringify(record)}\n`);
  }
}
