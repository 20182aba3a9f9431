import { describe, expect, it } from 'vitest';
import { logged, parseLogLines } from '../support/logs';

describe('the log matchers of the test support', () => {
  it("read JSON lines, also behind the Lambda runtime client's console prefix, and skip the rest", () => {
    const lines = [
      '{"message":"plain","level":"INFO"}',
      '2026-12-02T07:00:00.000Z\t3f1c0e4a-1111-2222-3333-444455556666\tINFO\t{"message":"test hook ran","at":1}',
      'START RequestId: 3f1c0e4a (cold, environment 1)',
      '2026-12-02T07:00:00.000Z\t3f1c0e4a\tINFO\tnot json at all',
      '{"message":"cut',
    ];
    expect(parseLogLines(lines)).toEqual([
      { message: 'plain', level: 'INFO' },
      { message: 'test hook ran', at: 1 },
    ]);
    expect(logged(lines, { message: 'test hook ran' })).toHaveLength(1);
    expect(logged(lines, { message: /^plain$/, level: 'INFO' })).toHaveLength(1);
    expect(logged(lines, { message: 'plain', level: 'WARN' })).toHaveLength(0);
  });
});
