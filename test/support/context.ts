/** One fake Lambda Context for all tests: its remaining time follows the (real or fake) clock. */
import { randomUUID } from 'node:crypto';
import type { LambdaContext } from '../../src/invocation';

export interface FakeContext extends LambdaContext {
  deadlineMs: number;
}

export function makeContext(remainingMs: number, overrides: Partial<LambdaContext> = {}): FakeContext {
  const deadlineMs = Date.now() + remainingMs;
  const functionName = overrides.functionName ?? 'test-function';
  return {
    awsRequestId: randomUUID(),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    ...overrides,
    deadlineMs,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
}
