/** The cold-start bench's CPU profile arithmetic (bench/cpu-profile.cjs): self time in a window, means over runs. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const { keyOf, meanSelfTime, selfTimeBetween } = createRequire(import.meta.url)('../../bench/cpu-profile.cjs') as {
  keyOf: (frame: { functionName: string; url: string; lineNumber: number }) => string;
  meanSelfTime: (runs: Record<string, number>[], count: number) => [string, number][];
  selfTimeBetween: (profile: object, startedAtMs: number, fromMs: number, toMs: number) => Record<string, number>;
};

const frame = (functionName: string, url = '/task/handler.cjs', lineNumber = 9) => ({
  functionName,
  url,
  lineNumber,
  scriptId: '0',
  columnNumber: 0,
});

/** Root (1), then a (2) and b (3) under it; samples every 1 ms from the profile's start. */
const profile = {
  startTime: 5_000_000, // us, V8's own clock
  nodes: [
    { id: 1, callFrame: frame('(root)', '', -1) },
    { id: 2, callFrame: frame('decode') },
    { id: 3, callFrame: frame('', 'node:vm', 83) },
  ],
  samples: [2, 2, 3, 2, 3, 3],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
};

describe('keyOf', () => {
  it('names the function and its file and line (1-based), anonymous ones too, and leaves out a missing place', () => {
    expect(keyOf(frame('decode', '/var/task/lib/index.js', 9))).toBe('decode (index.js:10)');
    expect(keyOf(frame('', 'node:vm', 83))).toBe('(anonymous) (node:vm:84)');
    expect(keyOf(frame('(garbage collector)', '', -1))).toBe('(garbage collector)');
  });
});

describe('selfTimeBetween', () => {
  it('charges each sample the interval to the next one, inside the window only', () => {
    // Samples at 1..6 ms after the start (epoch 100_000 ms); the window [102, 105) holds those at 2, 3 and 4 ms.
    expect(selfTimeBetween(profile, 100_000, 100_002, 100_005)).toEqual({
      'decode (handler.cjs:10)': 1 + 1,
      '(anonymous) (node:vm:84)': 1,
    });
  });

  it('gives nothing for a window before the profile or after it', () => {
    expect(selfTimeBetween(profile, 100_000, 99_000, 100_000)).toEqual({});
    expect(selfTimeBetween(profile, 100_000, 100_007, 100_100)).toEqual({});
  });
});

describe('meanSelfTime', () => {
  it('averages over every run (absent counts 0), largest first, the first `count`', () => {
    const runs: Record<string, number>[] = [
      { a: 4, b: 1 },
      { a: 2, c: 9 },
    ];
    expect(meanSelfTime(runs, 2)).toEqual([
      ['c', 4.5],
      ['a', 3],
    ]);
  });
});
