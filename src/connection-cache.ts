/**
 * Temporal connections kept across the invocations of an execution environment, so that a warm
 * invocation skips the TLS and gRPC handshakes. Before reuse (the environment may have been
 * frozen for minutes) a kept connection is checked with a cheap call; one that fails the check,
 * or that an invocation reports broken, is closed and replaced.
 *
 * Each invocation leases a connection of its own: Temporal core refuses two workers of one
 * task queue and build id on one connection, and Lambda Managed Instances run concurrent
 * invocations in one process. Released connections wait, idle, for the next invocation.
 */
import type { Logger } from '@temporalio/common';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { settleBefore } from './bounded';

/** The part of a `NativeConnection` the cache and an invocation use. */
export interface ConnectionLike {
  close(): Promise<void>;
}

/** How to open and check a connection; injectable for unit tests. */
export interface ConnectionFactory<C extends ConnectionLike = ConnectionLike> {
  connect(options: NativeConnectionOptions): Promise<C>;
  /** Resolves when the connection answers; when absent, connections are not reused. */
  check?(connection: C): Promise<unknown>;
  now(): number;
}

/** At most this long is spent checking a kept connection before replacing it. */
export const CONNECTION_CHECK_TIMEOUT_MS = 1_000;

export class ConnectionCache<C extends ConnectionLike = ConnectionLike> {
  private readonly idle: C[] = [];

  constructor(
    private readonly options: NativeConnectionOptions,
    private readonly reuse: boolean,
    private readonly logger: Logger,
  ) {}

  /** A connection for one invocation: an idle kept one if it still answers, else a new one. */
  async acquire(factory: ConnectionFactory<C>, checkByMs: number): Promise<{ connection: C; reused: boolean }> {
    for (let kept = this.idle.pop(); kept !== undefined; kept = this.idle.pop()) {
      if (factory.check === undefined) break;
      try {
        const checked = await settleBefore(Promise.resolve(factory.check(kept)), Math.min(checkByMs, factory.now() + CONNECTION_CHECK_TIMEOUT_MS), factory.now);
        if (!checked.timedOut) return { connection: kept, reused: true };
        this.logger.info('Kept Temporal connection did not answer after the thaw; reconnecting');
      } catch (error) {
        this.logger.info('Kept Temporal connection failed its check; reconnecting', { error });
      }
      kept.close().catch(() => undefined);
    }
    return { connection: await factory.connect(this.options), reused: false };
  }

  /** Ends an invocation's lease: keeps the connection for the next one, or closes it when broken or not reused. */
  async release(connection: C, broken: boolean, closeByMs: number, now: () => number): Promise<void> {
    if (this.reuse && !broken) {
      this.idle.push(connection);
      return;
    }
    const closed = await settleBefore(connection.close(), closeByMs, now);
    if (closed.timedOut) this.logger.warn('Closing the Temporal connection did not finish before the deadline; leaving it');
  }
}
