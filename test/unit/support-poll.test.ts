/** The tests' shared wait (test/support/poll.ts): it returns what the check found, or fails naming what it awaited. */
import { describe, expect, it } from 'vitest';
import { pollUntil, PollTimeoutError } from '../support/poll';

describe('pollUntil', () => {
  it('returns the first answer, 0 included, after as many checks as it took', async () => {
    let calls = 0;
    const found = await pollUntil(() => (++calls < 3 ? undefined : 0), {
      timeoutMs: 5_000,
      intervalMs: 1,
      what: 'a zero',
    });
    expect(found).toBe(0);
    expect(calls).toBe(3);
  });

  it('waits through false, null and thrown errors', async () => {
    const answers: Array<() => unknown> = [
      () => false,
      () => null,
      () => {
        throw new Error('not up yet');
      },
      () => 'up',
    ];
    let index = 0;
    await expect(
      pollUntil(() => answers[index++]!(), { timeoutMs: 5_000, intervalMs: 1, what: 'the server' }),
    ).resolves.toBe('up');
    expect(index).toBe(4);
  });

  it('fails at the bound with what it waited for, what it saw and the last error as the cause', async () => {
    const startedMs = Date.now();
    const cause = new Error('connection refused');
    const failure = pollUntil(
      () => {
        throw cause;
      },
      { timeoutMs: 200, intervalMs: 20, what: '3 points at the receiver', seen: () => '1 point' },
    );
    await expect(failure).rejects.toThrow(PollTimeoutError);
    await expect(failure).rejects.toThrow(/Timed out after \d+ ms \(\d+ checks\) waiting for 3 points at the receiver/);
    await expect(failure).rejects.toThrow(/; seen: 1 point; last error: Error: connection refused$/);
    await expect(failure).rejects.toMatchObject({ cause });
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(200);
    expect(Date.now() - startedMs).toBeLessThan(2_000);
  });
});
