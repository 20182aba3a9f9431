/**
 * Setup file of the suites that run the real handler (integration, serverless): fails the test
 * during which anything rejected unhandled, naming the rejection. On Lambda such a rejection
 * makes the runtime exit on a later thaw, failing an unrelated invocation.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

const rejections: unknown[] = [];
const record = (reason: unknown) => void rejections.push(reason);

beforeAll(() => void process.on('unhandledRejection', record));
afterAll(() => void process.off('unhandledRejection', record));

afterEach(async () => {
  // A rejection is reported after the microtask queue drains: give it one macrotask turn.
  await new Promise((resolve) => setImmediate(resolve));
  const seen = rejections
    .splice(0)
    .map((reason) => (reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)));
  expect(seen, 'unhandled rejections during this test').toEqual([]);
});
