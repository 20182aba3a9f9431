/** The burst bench's series (bench/burst-series.mjs): counts over time from intervals, and thinning. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { countOverTime, sideSeries, thin } from '../../bench/burst-series.mjs';

describe('countOverTime', () => {
  it('steps at each change, nets an end and a start at one moment, and counts open intervals to the end', () => {
    expect(
      countOverTime([
        [0, 10],
        [5, 20],
        [10, 30],
        [25, undefined],
      ]),
    ).toEqual([
      [0, 0],
      [0, 1],
      [5, 2],
      [20, 1],
      [25, 2],
      [30, 1],
    ]);
  });
});

describe('sideSeries', () => {
  it('counts environments from invocations that ran, the backlog from workflow spans, completions as a total', () => {
    const series = sideSeries(
      [
        { environmentId: 1, startMs: 100, endMs: 900 },
        { environmentId: undefined, startMs: 200, endMs: 300 }, // never got an environment
        { environmentId: 2, startMs: 400, endMs: 900 },
      ],
      [
        [0, 500],
        [0, 700],
      ],
      [500, 700],
    );
    expect(series.environments).toEqual([
      [0, 0],
      [100, 1],
      [400, 2],
      [900, 0],
    ]);
    expect(series.backlog).toEqual([
      [0, 0],
      [0, 2],
      [500, 1],
      [700, 0],
    ]);
    expect(series.completed).toEqual([
      [0, 0],
      [500, 1],
      [700, 2],
    ]);
  });
});

describe('thin', () => {
  it('keeps a short series whole and a long one under the limit, with its extremes and its last point', () => {
    const short = [
      [0, 1],
      [1, 2],
    ];
    expect(thin(short, 10)).toBe(short);
    const long = Array.from({ length: 1000 }, (_, i) => [i, i === 500 ? 99 : i % 7]);
    const kept = thin(long, 40);
    expect(kept.length).toBeLessThanOrEqual(40);
    expect(kept[0]).toEqual([0, 0]);
    expect(kept.at(-1)).toEqual(long.at(-1));
    expect(kept).toContainEqual([500, 99]);
    expect(kept.map(([x]: number[]) => x)).toEqual([...kept.map(([x]: number[]) => x)].sort((a, b) => a - b));
  });
});
