/**
 * Every reach into `@temporalio/*` beyond its documented API, in one place. Each function here
 * is pinned by `test/unit/sdk-internals.test.ts` against the installed SDK, so that an SDK
 * upgrade that moves one of them breaks one named test, loudly, instead of a behaviour quietly.
 */
import { statSync } from 'node:fs';
import { IllegalStateError, type Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { Runtime, Worker } from '@temporalio/worker';

/** The Runtime installed in this process, if any, without installing one (`Runtime.instance()` would). */
export function installedRuntime(): Runtime | undefined {
  return Runtime._instance;
}

/** A duration option (`'5s'`, `5000`) in milliseconds, as the SDK itself reads it. */
export function durationToMs(duration: Duration): number {
  return msToNumber(duration);
}

/**
 * Worker option read by `Worker.create` though `WorkerOptions` does not list it: the longest run
 * of one workflow activation before the SDK fails it as a potential deadlock.
 */
export function withActivationLimit<T extends object>(
  options: T,
  limitMs: number,
): T & { isolateExecutionTimeout: number } {
  return { ...options, isolateExecutionTimeout: limitMs };
}

/** An observable count, as the worker exposes its in-flight counts. */
export interface CountObservable {
  subscribe(next: (count: number) => void): { unsubscribe(): void };
}

/**
 * The worker's count of in-flight Nexus operations: `@temporalio/worker` keeps it on a protected
 * `BehaviorSubject` and has no public observable for it. `undefined` when it is not there.
 */
export function nexusOperationsInFlight(worker: object): CountObservable | undefined {
  const subject = (worker as { numInFlightNexusOperationsSubject?: Partial<CountObservable> })
    .numInFlightNexusOperationsSubject;
  return typeof subject?.subscribe === 'function' ? (subject as CountObservable) : undefined;
}

/**
 * Whether `Worker.run` failed because the native worker could not be finalized while a poll or
 * completion call still held it: core-bridge's `IllegalStateError` "Worker still in use:
 * Expected 1 reference, but got 2". The class is exported; only the message tells this case
 * from the SDK's other illegal states.
 */
export function isWorkerStillInUse(error: unknown): boolean {
  return error instanceof IllegalStateError && /\bstill in use\b/.test(error.message);
}

/**
 * Calls `onStart` synchronously when the worker starts polling: after every plugin's `runWorker`
 * (a `SimplePlugin`'s `runContext`, for one) has called on, and before the first poll. `Worker`
 * has no public event for this; `run()` calls the private `runInternal` at that moment.
 * Returns false when this worker has no such method (then the caller must watch its state).
 */
export function onWorkerStart(worker: object, onStart: () => void): boolean {
  const target = worker as { runInternal?: (...args: unknown[]) => Promise<void> };
  const runInternal = target.runInternal;
  if (typeof runInternal !== 'function') return false;
  target.runInternal = function (this: unknown, ...args: unknown[]) {
    const running = runInternal.apply(this, args);
    onStart();
    return running;
  };
  return true;
}

type BundleOptions = { workflowBundle?: { code?: string; codePath?: string } };
type GetOrCreateBundle = (compiledOptions: BundleOptions, ...rest: unknown[]) => Promise<unknown>;
const REUSES_PARSED_BUNDLES = Symbol.for('temporal-lambda-worker.reusesParsedBundles');

/**
 * `Worker.create` parses its workflow bundle each time: reads the file, decodes the inline source
 * map, and compiles the code once in a throwaway context (for debuggers), before the worker's own
 * sandbox compiles it again; about half of a warm invocation's CPU before its first poll with the
 * example's 1.6 MB bundle. From this call on, the process keeps the last parse and hands it to
 * the next worker given the same bundle: the same `code`, or the same `codePath` with the same size
 * and modification time. The SDK reads the parse and does not change it. Patches the private static
 * `Worker.getOrCreateBundle` once; returns false when the SDK has none.
 */
export function reuseParsedWorkflowBundles(): boolean {
  const target = Worker as unknown as { getOrCreateBundle?: GetOrCreateBundle; [REUSES_PARSED_BUNDLES]?: true };
  const parse = target.getOrCreateBundle;
  if (typeof parse !== 'function') return false;
  if (target[REUSES_PARSED_BUNDLES]) return true;
  let last: { key: string; parsed: Promise<unknown> } | undefined;
  target.getOrCreateBundle = function (this: unknown, compiledOptions, ...rest) {
    const key = bundleKey(compiledOptions.workflowBundle);
    if (key === undefined) return parse.call(this, compiledOptions, ...rest);
    if (last?.key !== key) {
      const parsed = parse.call(this, compiledOptions, ...rest);
      last = { key, parsed };
      parsed.catch(() => (last?.parsed === parsed ? (last = undefined) : undefined));
    }
    return last.parsed;
  };
  target[REUSES_PARSED_BUNDLES] = true;
  return true;
}

/** What identifies a bundle's content without reading it; undefined when nothing does (no bundle). */
function bundleKey(bundle: BundleOptions['workflowBundle']): string | undefined {
  if (typeof bundle?.code === 'string') return bundle.code; // the same string: compared by identity first
  if (typeof bundle?.codePath !== 'string') return undefined;
  try {
    const { size, mtimeMs } = statSync(bundle.codePath);
    return `\u0000${bundle.codePath}:${size}:${mtimeMs}`; // no bundle starts with NUL
  } catch {
    return undefined; // the SDK reports the missing file itself
  }
}
