/**
 * The timeline, checked against literal times worked out by hand from the rules docs/configuration.md
 * states (settle 250 ms before the deadline; the close, the hooks and the force slack each keep
 * at most a quarter of the shutdown window: 250, 1000 and 250 ms), not against the module's
 * own constants.
 */
import { describe, expect, it } from 'vitest';
import { InsufficientTimeError } from '../../src/errors';
import { planInvocation, timingAdvice } from '../../src/lifecycle/timeline';

const at = (
  remainingMs: number,
  shutdownDeadlineBufferMs: number,
  shutdownGraceTimeMs: number,
  userShutdownForceTimeMs?: number,
) =>
  planInvocation({
    startMs: 1_000_000,
    remainingMs,
    shutdownDeadlineBufferMs,
    shutdownGraceTimeMs,
    userShutdownForceTimeMs,
  });

describe('planInvocation', () => {
  it('plans the guide settings (600 s, 7000 ms buffer, 5 s grace) to the millisecond', () => {
    expect(at(600_000, 7_000, 5_000)).toEqual({
      startMs: 1_000_000,
      deadlineMs: 1_600_000,
      workEndMs: 1_593_000,
      workTimeMs: 593_000,
      shutdownForceTimeMs: 5_250,
      workerStopByMs: 1_598_500,
      hooksEndByMs: 1_599_500,
      shutdownWindowMs: 6_500,
      settleByMs: 1_599_750,
      activationLimitMs: 1_250,
      lowWorkTimeWarning: undefined,
    });
  });

  it('shares a small buffer in quarters, so that the worker is told to stop and waited for before the handler settles', () => {
    // 500 ms buffer: a 250 ms window after the settle margin, 62.5 ms each for close, hooks and slack.
    const plan = at(60_000, 500, 0);
    expect(plan.workEndMs).toBe(1_059_500);
    expect(plan.shutdownForceTimeMs).toBe(62);
    expect(plan.workerStopByMs).toBe(1_059_624.5);
    expect(plan.hooksEndByMs).toBe(1_059_687.5);
    expect(plan.settleByMs).toBe(1_059_750);
  });

  it('bounds an in-process activation between 1 s and 5 s', () => {
    expect(at(600_000, 30_000, 1_000, 2_000).activationLimitMs).toBe(5_000);
    expect(at(12_000, 3_000, 1_000).activationLimitMs).toBe(1_000);
  });

  it('keeps a user shutdownForceTime that is shorter, and stops waiting for the worker 250 ms after it', () => {
    const plan = at(60_000, 7_000, 1_000, 2_000);
    expect(plan.shutdownForceTimeMs).toBe(2_000);
    expect(plan.workerStopByMs).toBe(1_053_000 + 2_000 + 250);
  });

  it("fails with the official message's opening, the remaining time, the buffer and the fix when 1 s of work or less is left", () => {
    const plan = () => at(8_000, 7_000, 5_000);
    expect(plan).toThrow(InsufficientTimeError);
    expect(plan).toThrow(
      /^Insufficient time for Lambda worker: 8000 ms remain.*7000 ms.*1000 ms of work time.*--timeout/,
    );
    expect(() => at(8_001, 7_000, 5_000)).not.toThrow();
  });

  it('warns of a short work time with the official opening, and names the function timeout', () => {
    const warning = at(11_000, 7_000, 5_000).lowWorkTimeWarning;
    expect(warning).toMatch(/^Low work time available for Lambda worker: only 4000 ms of work time/);
    expect(warning).toMatch(/raise the function timeout/);
    expect(at(12_000, 7_000, 5_000).lowWorkTimeWarning).toBeUndefined();
  });

  it('warns of a grace time the forced stop cuts short, and never advises a smaller buffer for it', () => {
    const warning = at(60_000, 3_000, 5_000).lowWorkTimeWarning!;
    expect(warning).toMatch(
      /^Low work time available for Lambda worker: shutdownGraceTime \(5000 ms\) is longer than the 1562 ms/,
    );
    expect(warning).toMatch(/raise config\.shutdownDeadlineBufferMs to at least 7000 ms/);
    expect(warning).not.toMatch(/lower config\.shutdownDeadlineBufferMs/);
  });

  it('advises a smaller buffer for a short work time only when the grace time still fits', () => {
    expect(at(4_000, 2_000, 0).lowWorkTimeWarning).toMatch(/lower config\.shutdownDeadlineBufferMs toward/);
    expect(at(4_000, 500, 5_000).lowWorkTimeWarning).not.toMatch(/lower config\.shutdownDeadlineBufferMs/);
  });
});

describe('timingAdvice', () => {
  it('is silent for the guide settings (600 s timeout, defaults)', () => {
    expect(timingAdvice({ remainingMs: 600_000, shutdownDeadlineBufferMs: 7_000, shutdownGraceTimeMs: 5_000 })).toEqual(
      [],
    );
  });

  it('names the buffer when the grace time is not below it', () => {
    const advice = timingAdvice({ remainingMs: 600_000, shutdownDeadlineBufferMs: 5_000, shutdownGraceTimeMs: 5_000 });
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatch(/config\.shutdownDeadlineBufferMs to at least 7000/);
  });

  it('names the function timeout when little work time is left after the buffer', () => {
    const advice = timingAdvice({ remainingMs: 9_000, shutdownDeadlineBufferMs: 7_000, shutdownGraceTimeMs: 5_000 });
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatch(/leaves 2 s of work.*--timeout/);
  });
});

describe('the timing messages, word for word, at their boundaries', () => {
  it('too little time: the remaining time, the buffer, the work time, and a timeout well above buffer + 5 s', () => {
    expect(() => at(8_000, 7_000, 5_000)).toThrow(
      new InsufficientTimeError(
        'Insufficient time for Lambda worker: 8000 ms remain in this invocation and shutdownDeadlineBufferMs is ' +
          '7000 ms, leaving 1000 ms of work time (more than 1000 ms is needed). Raise the function timeout ' +
          '(--timeout) well above 12 s, or lower config.shutdownDeadlineBufferMs together with ' +
          'config.workerOptions.shutdownGraceTime.',
      ),
    );
  });

  it('a short work time with a grace time equal to the forced-stop time: only the function timeout', () => {
    expect(at(4_500, 3_000, 1_562).lowWorkTimeWarning).toBe(
      'Low work time available for Lambda worker: only 1500 ms of work time (under 5000 ms) after the 3000 ms ' +
        'shutdown buffer: raise the function timeout (--timeout).',
    );
  });

  it('a short work time and a grace time the forced stop cuts short: both causes, each with its fix', () => {
    expect(at(4_500, 3_000, 5_000).lowWorkTimeWarning).toBe(
      'Low work time available for Lambda worker: only 1500 ms of work time (under 5000 ms) after the 3000 ms ' +
        'shutdown buffer: raise the function timeout (--timeout); and shutdownGraceTime (5000 ms) is longer than ' +
        'the 1562 ms the 3000 ms shutdown buffer leaves before the forced stop, so in-flight tasks lose the end of ' +
        'their grace time: raise config.shutdownDeadlineBufferMs to at least 7000 ms (and the function timeout ' +
        'with it), or lower config.workerOptions.shutdownGraceTime.',
    );
  });

  it('the advice of a grace time not below the buffer, and none for work time exactly at its floor', () => {
    expect(timingAdvice({ remainingMs: 600_000, shutdownDeadlineBufferMs: 5_000, shutdownGraceTimeMs: 5_000 })).toEqual(
      [
        'shutdownGraceTime (5000 ms) is not below shutdownDeadlineBufferMs (5000 ms): in-flight tasks cannot get ' +
          'their grace time before the deadline. Raise config.shutdownDeadlineBufferMs to at least 7000 or lower ' +
          'config.workerOptions.shutdownGraceTime.',
      ],
    );
    // 5000 ms of work is both the 5 s floor and a quarter of the 20 s: enough.
    expect(timingAdvice({ remainingMs: 20_000, shutdownDeadlineBufferMs: 15_000, shutdownGraceTimeMs: 5_000 })).toEqual(
      [],
    );
  });
});
