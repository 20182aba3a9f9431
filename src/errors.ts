/**
 * Errors thrown by temporal-lambda-worker. Each message names what was wrong, what was received
 * and the fix (file, field or env var). `instanceof` works across duplicate copies of the library
 * (ESM and CJS builds loaded side by side) because it checks a registry-wide brand, not identity.
 */

const BRAND = Symbol.for('temporal-lambda-worker.error-names');

type Branded = { [BRAND]?: readonly string[] };

/** Base class of every error this library throws. */
export class LambdaWorkerError extends Error {
  /** Stable name used for `instanceof` across copies; subclasses override it. */
  static readonly errorName: string = 'LambdaWorkerError';

  /** @internal The names this error answers `instanceof` to. */
  declare readonly [BRAND]: readonly string[];

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const names: string[] = [];
    for (let ctor = new.target as unknown; ctor && typeof ctor === 'function'; ctor = Object.getPrototypeOf(ctor)) {
      const name = (ctor as { errorName?: string }).errorName;
      if (typeof name === 'string' && !names.includes(name)) names.push(name);
      if (ctor === LambdaWorkerError) break;
    }
    Object.defineProperty(this, BRAND, { value: names, enumerable: false });
    this.name = names[0] ?? 'LambdaWorkerError';
  }

  /** `instanceof` by the error's names, so that it holds across copies of this library (ESM and CJS). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    const names = (value as Branded | null | undefined)?.[BRAND];
    return Array.isArray(names) && names.includes(this.errorName);
  }
}

/** The deployment version passed to `runWorker` is incomplete. */
export class InvalidDeploymentVersionError extends LambdaWorkerError {
  static override readonly errorName: string = 'InvalidDeploymentVersionError';
}

/** A config file named by `TEMPORAL_CONFIG_FILE` does not exist or cannot be read. */
export class ConfigFileNotFoundError extends LambdaWorkerError {
  static override readonly errorName: string = 'ConfigFileNotFoundError';
}

/** `temporal.toml` is not valid TOML or not a valid Temporal client config. */
export class MalformedConfigFileError extends LambdaWorkerError {
  static override readonly errorName: string = 'MalformedConfigFileError';
}

/** `TEMPORAL_PROFILE` names a profile the config file does not have. */
export class UnknownProfileError extends LambdaWorkerError {
  static override readonly errorName: string = 'UnknownProfileError';
}

/** A TLS certificate or key file named in the config does not exist. */
export class TlsFileNotFoundError extends LambdaWorkerError {
  static override readonly errorName: string = 'TlsFileNotFoundError';
}

/** No task queue was set in code or in `TEMPORAL_TASK_QUEUE`. */
export class MissingTaskQueueError extends LambdaWorkerError {
  static override readonly errorName: string = 'MissingTaskQueueError';
}

/** An option set in the configure callback has a value that cannot work. */
export class InvalidOptionError extends LambdaWorkerError {
  static override readonly errorName: string = 'InvalidOptionError';
}

/**
 * A feature needs an optional peer package that is not installed (OpenTelemetry for /otel, the
 * build tools for the package command); the message names each package and the install line.
 */
export class MissingPeerError extends InvalidOptionError {
  static override readonly errorName: string = 'MissingPeerError';
}

/** The function runs on a Node.js version this library does not support. */
export class UnsupportedNodeVersionError extends LambdaWorkerError {
  static override readonly errorName: string = 'UnsupportedNodeVersionError';
}

/** The invocation has too little time left for any work after the shutdown buffer. */
export class InsufficientTimeError extends LambdaWorkerError {
  static override readonly errorName: string = 'InsufficientTimeError';
}

/** Connecting to Temporal or creating the worker did not finish before the work window ended. */
export class StartupTimeoutError extends LambdaWorkerError {
  static override readonly errorName: string = 'StartupTimeoutError';
}

/**
 * The async configure callback failed in this execution environment and its next attempt has not
 * started yet (it runs again at the first invocation after a backoff); `cause` is the last failure.
 */
export class ConfigureFailedError extends LambdaWorkerError {
  static override readonly errorName: string = 'ConfigureFailedError';
}

/** Connecting to the Temporal server failed. */
export class ConnectionFailedError extends LambdaWorkerError {
  static override readonly errorName: string = 'ConnectionFailedError';
}

/**
 * An error as the invocation summary shows it: the library's own errors by name and message
 * (their messages carry the fix), anything else as it is (the logger scrubs it).
 */
export function describeError(error: unknown): unknown {
  return error instanceof LambdaWorkerError ? { name: error.name, message: error.message } : error;
}
