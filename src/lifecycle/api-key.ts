/**
 * A Temporal API key that rotates: read from where the user keeps it (Secrets Manager, SSM
 * Parameter Store, anything with an async read) at init, again once it is older than its maximum
 * age, and at once when the server refuses it. A new key is handed on as it arrives (to new
 * connections, every live connection through `setApiKey`, and every scrubber), so a rotation
 * takes effect in a warm environment without a new one. One read runs at a time, shared by the
 * invocations that wait for it; each waits no longer than its own work end.
 */
import type { Logger } from '@temporalio/common';
import { DEFAULT_API_KEY_MAX_AGE_MS } from '../defaults';
import { ConnectionFailedError, InvalidOptionError, StartupTimeoutError } from '../errors';
import { settleBefore } from './bounded';
import type { Clock } from './clock';

/**
 * Where a rotating Temporal API key is read from; set as `config.apiKeySource` in configure.
 * The key it returns replaces `connectionOptions.apiKey` (from `TEMPORAL_API_KEY` or
 * `temporal.toml`), and switches TLS on unless the config turned it off, as a key from the
 * config does. It never reaches a log.
 *
 * @example
 * ```ts
 * import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
 * const secrets = new SecretsManagerClient({});
 * config.apiKeySource = {
 *   name: 'Secrets Manager secret temporal/api-key',
 *   read: async () => (await secrets.send(new GetSecretValueCommand({ SecretId: 'temporal/api-key' }))).SecretString!,
 * };
 * ```
 */
export interface ApiKeySource {
  /** Reads the current key. Called at init, when the key is older than `maxAgeMs`, and when the server refuses it. */
  read: () => Promise<string>;
  /** Says where the key comes from in errors and logs (never the key): "Secrets Manager secret temporal/api-key". */
  name?: string;
  /**
   * How long a key is used before the next invocation reads it again, in ms. A key the server
   * refuses is read again at once, whatever its age.
   * @default 300000 (5 minutes)
   */
  maxAgeMs?: number;
}

/**
 * How a refusal of the credentials reads: gRPC's names of PERMISSION_DENIED and UNAUTHENTICATED,
 * and the descriptions core puts in place of the code when `NativeConnection.connect` fails
 * ("Failed to call GetSystemInfo: code: 'The caller does not have permission ...'").
 */
const REFUSAL = new RegExp(
  [
    'PermissionDenied',
    'PERMISSION_DENIED',
    'Unauthenticated',
    'UNAUTHENTICATED',
    'does not have permission to execute',
    'does not have valid authentication credentials',
  ].join('|'),
);

/** Whether `error` or one of its causes is the server refusing the credentials (PERMISSION_DENIED, UNAUTHENTICATED). */
export function isKeyRefusal(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Object && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (code === 7 || code === 16 || REFUSAL.test(String(message))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Checks a source set in configure. @throws {@link InvalidOptionError} naming the field and the fix. */
export function checkApiKeySource(source: ApiKeySource): Required<ApiKeySource> {
  if (typeof source?.read !== 'function') {
    throw new InvalidOptionError(
      `config.apiKeySource.read must be a function that resolves with the API key; received ` +
        `${typeof source?.read}. Set config.apiKeySource = { read: async () => ... } in the configure callback.`,
    );
  }
  const maxAgeMs = source.maxAgeMs ?? DEFAULT_API_KEY_MAX_AGE_MS;
  if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
    throw new InvalidOptionError(
      `config.apiKeySource.maxAgeMs must be a positive number of milliseconds; received ${String(maxAgeMs)}. ` +
        `Leave it unset for ${DEFAULT_API_KEY_MAX_AGE_MS} ms.`,
    );
  }
  return { read: source.read, name: source.name ?? 'config.apiKeySource', maxAgeMs };
}

/** What the keeper does with each new key. */
export type OnApiKey = (key: string) => void;

export class ApiKeyKeeper {
  private key: string | undefined;
  private readAtMs = -Infinity;
  private refused = false;
  private reading: Promise<string> | undefined;
  /** Reads that failed since the last one that passed. */
  private failures = 0;

  constructor(
    private readonly source: Required<ApiKeySource>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onKey: OnApiKey,
  ) {}

  /** Starts the first read (at init, so that it overlaps the rest of the cold start). */
  prefetch(): void {
    void this.read().catch(() => undefined);
  }

  /**
   * Makes sure a key to connect with is known by `byMs`: reads it again when none is known, when
   * it is older than `maxAgeMs`, or when the server refused it. A failed or late read with a key
   * already known keeps that key (logged); without one it throws.
   * @throws {@link ConnectionFailedError} when no key could be read; {@link StartupTimeoutError}
   *   when the first read has not finished by `byMs`.
   */
  async ready(byMs: number): Promise<void> {
    // Never read (readAtMs is -Infinity), refused, or too old.
    const due = this.refused || this.clock.now() - this.readAtMs >= this.source.maxAgeMs;
    if (!due) return;
    let read;
    try {
      read = await settleBefore(this.read(), byMs, this.clock); // a later rejection is handled there
    } catch (error) {
      if (this.key === undefined) throw this.unreadable(error);
      this.logger.warn(`Reading the Temporal API key from ${this.source.name} failed; using the key read before`, {
        error,
      });
      return;
    }
    if (!read.timedOut) return;
    if (this.key === undefined) {
      throw new StartupTimeoutError(
        `Reading the Temporal API key from ${this.source.name} did not finish within the work window; the read ` +
          `goes on for the next invocation. Check that the function can reach the service (a function in a VPC ` +
          `needs a VPC endpoint or a NAT gateway) and give the read a timeout.`,
      );
    }
    this.logger.warn(`Reading the Temporal API key from ${this.source.name} is slow; using the key read before`);
  }

  /**
   * The server refused the key in use: reads it again by `byMs`. Resolves with whether the read
   * gave another key (so that a retry may pass); `false` when it gave the same key or failed.
   */
  async afterRefusal(byMs: number): Promise<boolean> {
    const before = this.key;
    this.markRefused();
    try {
      await this.ready(byMs);
    } catch {
      return false;
    }
    return this.key !== before; // a new key clears the refusal
  }

  /** Marks the key in use as refused: the next {@link ready} reads it again whatever its age. */
  markRefused(): void {
    this.refused = true;
  }

  /** Why a refused key could not be replaced: for the error of the invocation. */
  refusalAdvice(): string {
    return (
      `The server refused the API key, and reading ${this.source.name} again gave no other key: put a valid key ` +
      `there (a rotation must store the new key before the old one is revoked).`
    );
  }

  /** One read at a time; a new key is handed on before the read resolves. */
  private read(): Promise<string> {
    this.reading ??= Promise.resolve()
      .then(() => this.source.read())
      .then((key) => this.accept(key))
      .catch((error: unknown) => {
        this.failures += 1;
        throw error;
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** Takes what a read gave: a new key is handed on and logged (without the key); not a key throws. */
  private accept(key: unknown): string {
    if (typeof key !== 'string' || key.trim() === '') {
      throw new Error(`it gave ${typeof key === 'string' ? 'an empty string' : `a ${typeof key}`}, not a key`);
    }
    const trimmed = key.trim();
    this.readAtMs = this.clock.now();
    this.failures = 0;
    if (trimmed !== this.key) {
      const rotated = this.key !== undefined;
      this.key = trimmed;
      this.refused = false;
      this.onKey(trimmed);
      if (rotated) this.logger.info(`Temporal API key rotated: a new key from ${this.source.name} is in use`);
    }
    return trimmed;
  }

  private unreadable(error: unknown): ConnectionFailedError {
    const reason = String((error as Error)?.message ?? error).replace(/\.$/, '');
    return new ConnectionFailedError(
      `Cannot read the Temporal API key from ${this.source.name} (${this.failures} failed read(s) in a row): ` +
        `${reason}. Check its name, that the function's role may read it ` +
        `(secretsmanager:GetSecretValue, or ssm:GetParameter and kms:Decrypt), and that the function can reach the ` +
        `service.`,
      { cause: error },
    );
  }
}
