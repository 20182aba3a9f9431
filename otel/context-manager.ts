/**
 * A context manager on Node's `AsyncLocalStorage`, registered when nothing else registered one (the
 * ADOT layer registers its own). The Temporal interceptors run each activity and Nexus handler inside
 * `context.with(contextFromHeaders, ...)`: without a manager that call is a no-op and the span loses
 * its parent. Written against `@opentelemetry/api` alone, so that no `@opentelemetry/context-async-hooks`
 * package of a matching major is needed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, ContextManager } from '@opentelemetry/api';

/** Keeps the active OpenTelemetry context across `await` and callbacks. */
export class LocalStorageContextManager implements ContextManager {
  private storage = new AsyncLocalStorage<Context>();

  constructor(private readonly root: Context) {}

  active(): Context {
    return this.storage.getStore() ?? this.root;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(context, () => fn.apply(thisArg, args));
  }

  /** Binds functions to `context`; other targets (event emitters) are returned as they are. */
  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (...args: unknown[]): unknown =>
      this.storage.run(context, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    this.storage = new AsyncLocalStorage<Context>();
    return this;
  }
}
