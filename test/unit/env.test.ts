import { describe, expect, it } from 'vitest';
import { definedEnv, readEnv } from '../../src/config/env';
import { JsonLogger } from '../../src/logging/logger';

describe('the env reader', () => {
  it('reads a blank variable as unset, and keeps a set one as it is', () => {
    expect(readEnv({ A: '', B: '  ', C: ' x ' }, 'A')).toBeUndefined();
    expect(readEnv({ A: '', B: '  ', C: ' x ' }, 'B')).toBeUndefined();
    expect(readEnv({ A: '', B: '  ', C: ' x ' }, 'C')).toBe(' x ');
    expect(readEnv({}, 'D')).toBeUndefined();
  });

  it('hands envconfig only the variables that are set, blank ones left out entirely', () => {
    expect(Object.keys(definedEnv({ TEMPORAL_API_KEY: '', TEMPORAL_ADDRESS: 'h:1', X: undefined }))).toEqual([
      'TEMPORAL_ADDRESS',
    ]);
  });

  it("gives the logger the function's name from AWS_LAMBDA_FUNCTION_NAME, outside an invocation", () => {
    const lines: string[] = [];
    new JsonLogger({ env: { AWS_LAMBDA_FUNCTION_NAME: 'my-fn' }, write: (line) => void lines.push(line) }).info('hi');
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'hi', functionName: 'my-fn' });
  });
});
