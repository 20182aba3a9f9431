/**
 * Temporal connections kept across the invocations of an execution environment, so that a warm
 * invocation skips the TLS and gRPC handshakes. Before reuse (the environment may have been
 * frozen for minutes) a kept connection is checked with a cheap call; one that fails the check
 * is closed and replaced.
 *
 * Each invocation leases a connection of its own: Temporal core allows one worker per namespace,
 * task queue and connection, and Lambda Managed Instances run concurrent invocations in one
 * process. A lease ends in one of three ways (see {@link ConnectionCache.release}): kept for the
 * next invocation, closed now, or closed once the worker that may still hold it has settled.
 */
import type { Logger } from '@temporalio/common';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { CONNECTION_CHECK_TIMEOUT_MS } from '../defaults';
import { afterLate, settleBefore } from './bounded';
import type { Clock } from './clock';

/** The part of a `NativeConnection` the cache and an invocation use. */
export interface ConnectionLike {
  close(): Promise<void>;
  /** Replaces the API key of every later call (`NativeConnection.setApiKey`). */
  setApiKey?(apiKey: string): Promise<void>;
}

/** How to open and check a connection; injectable for unit tests. */
export interface ConnectionFactory<C extends ConnectionLike = ConnectionLike> {
  connect(options: NativeConnectionOptions): Promise<C>;
  /** Resolves when the connection answers; when absent, connections are not reused. */
  check?(connection: C): Promise<unknown>;
  clock: Clock;
}

/** How an invocation's lease ended. */
export interface LeaseEnd {
  /** The invocation failed or its worker could not be finalized: do not trust the connection. */
  suspect: boolean;
  /**
   * Set while a worker of the invocation may still be registered on the connection (abandoned at
   * its forced-stop time, or created after the invocation stopped waiting for it): settles when
   * it no longer is. Core refuses a second worker of the same task queue on the connection, and
   * `close()` throws while a worker holds it, so the connection is closed only then.
   */
  heldUntil?: Promise<unknown>;
}

export class ConnectionCache<C extends ConnectionLike = ConnectionLike> {
  private readonly idle: C[] = [];
  /** Connections leased to an invocation and not yet released. */
  private readonly leased = new Set<C>();

  constructor(
    private readonly options: NativeConnectionOptions,
    private readonly reuse: boolean,
    private readonly logger: Logger,
  ) {}

  /** How many connections wait for the next invocation. */
  get idleCount(): number {
    return this.idle.length;
  }

  /**
   * A connection for one invocation by `byMs`: an idle kept one if it still answers, else a new
   * one. Resolves with `undefined` when `byMs` comes first; the caller has given up by then, so
   * a connection that opens later is closed when it does, and kept connections not yet checked
   * stay idle for the next invocation. Only one timer runs at a time, and none once this settles.
   * Rejects when connecting fails before `byMs`.
   */
  async acquire(factory: ConnectionFactory<C>, byMs: number): Promise<{ connection: C; reused: boolean } | undefined> {
    const { clock } = factory;
    while (this.idle.length > 0 && clock.now() < byMs) {
      const kept = this.idle.pop()!;
      if (factory.check === undefined) {
        this.closeQuietly(kept);
        continue;
      }
      try {
        const checkBy = Math.min(byMs, clock.now() + CONNECTION_CHECK_TIMEOUT_MS);
        const checked = await settleBefore(
          Promise.resolve().then(() => factory.check!(kept)),
          checkBy,
          clock,
        );
        if (!checked.timedOut) return this.lease(kept, true);
        this.logger.info('Kept Temporal connection did not answer after the thaw; reconnecting');
      } catch (error) {
        this.logger.info('Kept Temporal connection failed its check; reconnecting', { error });
      }
      this.closeQuietly(kept);
    }
    if (clock.now() >= byMs) return undefined;
    const connecting = factory.connect(this.options);
    const connected = await settleBefore(connecting, byMs, clock);
    if (connected.timedOut) {
      afterLate(connecting, 'A late Temporal connection', this.logger, (connection) => connection.close());
      return undefined;
    }
    return this.lease(connected.value, false);
  }

  /**
   * Uses `apiKey` for every later connect, and on every connection kept or leased (a running
   * worker's next calls carry it). A connection that cannot take it is logged at debug level; its
   * next call fails with the old key, and the invocation reconnects.
   */
  setApiKey(apiKey: string): void {
    this.options.apiKey = apiKey;
    for (const connection of [...this.idle, ...this.leased]) {
      Promise.resolve()
        .then(() => connection.setApiKey?.(apiKey))
        .catch((error: unknown) => this.logger.debug('A connection did not take the new API key', { error }));
    }
  }

  private lease(connection: C, reused: boolean): { connection: C; reused: boolean } {
    this.leased.add(connection);
    return { connection, reused };
  }

  /**
   * Ends an invocation's lease. The one rule: a connection is kept for the next invocation only
   * when reuse is on, the invocation did not make it suspect, and no worker may still hold it.
   * Never rejects: a close that fails or outlasts `closeByMs` is logged.
   */
  async release(connection: C, end: LeaseEnd, closeByMs: number, clock: Clock): Promise<'kept' | 'closed' | 'held'> {
    this.leased.delete(connection);
    if (end.heldUntil !== undefined) {
      this.logger.warn(
        `A worker may still hold the Temporal connection: it is closed once that worker settles, and the next ` +
          `invocation connects anew`,
      );
      afterLate(
        end.heldUntil.then(
          () => undefined,
          () => undefined,
        ),
        'Closing the connection of a worker that settled late',
        this.logger,
        () => connection.close(),
      );
      return 'held';
    }
    if (this.reuse && !end.suspect) {
      this.idle.push(connection);
      return 'kept';
    }
    try {
      const closed = await settleBefore(connection.close(), closeByMs, clock);
      if (closed.timedOut)
        this.logger.warn('Closing the Temporal connection did not finish before the deadline; leaving it');
    } catch (error) {
      this.logger.warn('Closing the Temporal connection failed', { error });
    }
    return 'closed';
  }

  private closeQuietly(connection: C): void {
    afterLate(Promise.resolve(), 'Closing a kept Temporal connection', this.logger, () => connection.close());
  }
}
