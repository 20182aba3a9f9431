/**
 * The cold-start bench's arithmetic (bench/waterfall.mjs) on probe records written out by hand:
 * segments from the spawn, the time between core calls, medians, folding and chart groups.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { groupedSegments, runSegments, sideSummary, SMALL_LOAD_MS } from '../../bench/waterfall.mjs';

type Segment = { name: string; start: number; end: number };
const POLL = 'first workflow poll (to its task)';

/** A process spawned at 1000: Node's clock starts at 1040, boots to 1090, loads the handler 1095-1300. */
function record(loads: Array<{ name: string; ms: number }>, shift = 0) {
  return {
    spawnedAt: 1000,
    init: {
      boot: { origin: 1040, bootstrapComplete: 1090 },
      loads,
      marks: [{ name: 'handler module load', start: 1095, end: 1300 }],
    },
    invocations: [
      {
        marks: [
          { name: 'connect', start: 1320 + shift, end: 1330 + shift },
          { name: 'worker create', start: 1340 + shift, end: 1342 + shift },
          { name: POLL, start: 1350 + shift, end: 1370 + shift },
          { name: 'invocation', start: 1310, end: 6000 },
        ],
      },
      {
        marks: [
          { name: 'worker create', start: 7010, end: 7012 },
          { name: POLL, start: 7020, end: 7030 },
          { name: 'invocation', start: 7000, end: 9000 },
        ],
      },
    ],
  };
}

describe('runSegments', () => {
  const run = runSegments(
    record([
      { name: 'load @temporalio/proto', ms: 120 },
      { name: 'load app', ms: 60 },
    ]),
  );

  it('lays init out from the spawn: exec, bootstrap, the runner, then each load in order', () => {
    expect(run.cold.segments.slice(0, 5)).toEqual([
      { name: 'process exec (before Node starts its clock)', start: 0, end: 40 },
      { name: 'Node bootstrap', start: 40, end: 90 },
      { name: 'probe and bench runner', start: 90, end: 95 },
      { name: 'load @temporalio/proto', start: 95, end: 215 },
      { name: 'load app', start: 215, end: 275 },
    ]);
    expect(run.cold.totals.ready).toBe(300);
  });

  it('fills the time between core calls, up to the first poll, and stops there', () => {
    const invocation = run.cold.segments.slice(5);
    expect(invocation.map((s: Segment) => [s.name, s.start, s.end])).toEqual([
      ['JS between core calls', 310, 320],
      ['connect', 320, 330],
      ['JS between core calls', 330, 340],
      ['worker create', 340, 342],
      ['JS between core calls', 342, 350],
      [POLL, 350, 370],
    ]);
    expect(run.cold.totals).toMatchObject({ firstPoll: 40, firstTask: 60 });
  });

  it('counts the warm invocation from its own start', () => {
    expect(run.warm.segments[0]).toEqual({ name: 'JS between core calls', start: 0, end: 10 });
    expect(run.warm.totals).toEqual({ firstPoll: 20, firstTask: 30 });
  });
});

describe('sideSummary', () => {
  const small = SMALL_LOAD_MS - 1;
  const runs = [0, 10, 40].map((shift) =>
    runSegments(
      record(
        [
          { name: 'load @temporalio/proto', ms: 100 + shift },
          { name: 'load tiny-a', ms: small },
          { name: 'load app', ms: 50 },
          { name: 'load tiny-b', ms: small },
        ],
        shift,
      ),
    ),
  );
  const { cold } = sideSummary(runs);

  it('takes the median of each segment over the runs', () => {
    expect(cold.table.get('load @temporalio/proto')).toBe(110);
    expect(cold.table.get('JS between core calls')).toBe(10 + 10 + 8 + 10);
    expect(cold.totals.firstPoll).toBe(50);
  });

  it('folds package loads under the threshold into one segment, after the other loads', () => {
    const names = cold.segments.map((s: Segment) => s.name);
    expect(names).not.toContain('load tiny-a');
    expect(cold.table.get('load other packages')).toBe(2 * small);
    expect(names.indexOf('load other packages')).toBe(names.indexOf('load app') + 1);
  });

  it('lays the medians end to end', () => {
    cold.segments.forEach((segment: Segment, i: number) => {
      expect(segment.end - segment.start).toBe(cold.table.get(segment.name));
      if (i > 0) expect(segment.start).toBe(cold.segments[i - 1].end);
    });
  });
});

describe('groupedSegments', () => {
  it('renames segments to their chart group and joins touching neighbours of one group', () => {
    expect(
      groupedSegments([
        { name: 'load @temporalio/proto', start: 0, end: 100 },
        { name: 'load protobufjs', start: 100, end: 110 },
        { name: 'load @temporalio/common', start: 110, end: 130 },
        { name: 'connect', start: 140, end: 150 },
        { name: 'worker create', start: 150, end: 152 },
        { name: POLL, start: 160, end: 170 },
      ]),
    ).toEqual([
      { name: 'load: protobuf (schema and runtime)', start: 0, end: 110 },
      { name: 'load: other Temporal SDK', start: 110, end: 130 },
      { name: 'core: Runtime, connect, worker', start: 140, end: 152 },
      { name: POLL, start: 160, end: 170 },
    ]);
  });
});
