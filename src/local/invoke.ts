/**
 * Runs a Lambda handler locally with a Lambda-like context and a real deadline, against any
 * Temporal server, so users can try their worker before deploying. Like Lambda, a handler that
 * has not settled by the deadline is reported as "Task timed out".
 */
import { randomUUID } from 'node:crypto';
import { AWS_LAMBDA_FUNCTION_NAME, readEnv } from '../config/env';
import type { LambdaContext } from '../lifecycle/invocation';

/** Options of {@link invokeLocally}. */
export interface LocalInvokeOptions {
  /** The function timeout, as `--timeout` in seconds would be on Lambda. @default 60_000 */
  timeoutMs?: number;
  /** The event passed to the handler. @default `{}` */
  event?: unknown;
  /** @default `process.env.AWS_LAMBDA_FUNCTION_NAME`, else `'local-function'` */
  functionName?: string;
  /** @default `'us-east-1'` */
  region?: string;
}

/** What happened in a local invocation. */
export interface LocalInvokeResult {
  requestId: string;
  /** `'ok'`, `'error'` (the handler threw) or `'timeout'` (it had not settled by the deadline). */
  outcome: 'ok' | 'error' | 'timeout';
  error?: unknown;
  durationMs: number;
  /** Deadline minus settle time; negative never happens: a timeout is reported at the deadline. */
  marginBeforeDeadlineMs: number;
}

/** A Lambda-like context whose remaining time follows the clock. */
export function makeLocalContext(
  timeoutMs: number,
  functionName: string,
  region = 'us-east-1',
): LambdaContext & { deadlineMs: number } {
  const deadlineMs = Date.now() + timeoutMs;
  return {
    awsRequestId: randomUUID(),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    deadlineMs,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
}

/**
 * Invokes `handler` once with a real deadline `timeoutMs` from now.
 *
 * @example
 * ```ts
 * import { handler } from './lib/index.js';
 * const result = await invokeLocally(handler, { timeoutMs: 30_000 });
 * console.log(result.outcome, result.marginBeforeDeadlineMs);
 * ```
 */
export async function invokeLocally(
  handler: (event: unknown, context: LambdaContext) => unknown,
  options: LocalInvokeOptions = {},
): Promise<LocalInvokeResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const context = makeLocalContext(
    timeoutMs,
    options.functionName ?? readEnv(process.env, AWS_LAMBDA_FUNCTION_NAME) ?? 'local-function',
    options.region,
  );
  const startMs = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const run = Promise.resolve()
    .then(() => handler(options.event ?? {}, context))
    .then(
      () => ({ outcome: 'ok' as const }),
      (error: unknown) => ({ outcome: 'error' as const, error }),
    );
  const settled = await Promise.race([run, timedOut]);
  clearTimeout(timer);
  const endMs = Date.now();
  const base = {
    requestId: context.awsRequestId,
    durationMs: endMs - startMs,
    marginBeforeDeadlineMs: context.deadlineMs - endMs,
  };
  return settled === 'timeout' ? { ...base, outcome: 'timeout', marginBeforeDeadlineMs: 0 } : { ...base, ...settled };
}
