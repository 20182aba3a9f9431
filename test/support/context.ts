/** One fake Lambda Context for all tests: its remaining time follows the (real or fake) clock. */
import { randomUUID } from 'node:crypto';
import type { LambdaContext } from '../../src/lifecycle/invocation';

export interface FakeContext extends LambdaContext {
  deadlineMs: number;
}

/** A context with `remainingMs` left by `clock` (the process clock unless a fake one is given). */
export function makeContext(
  remainingMs: number,
  overrides: Partial<LambdaContext> = {},
  clock: { now(): number } = Date,
): FakeContext {
  const deadlineMs = clock.now() + remainingMs;
  const functionName = overrides.functionName ?? 'test-function';
  return {
    awsRequestId: randomUUID(),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    ...overrides,
    deadlineMs,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - clock.now()),
  };
}
