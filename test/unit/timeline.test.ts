import { describe, expect, it } from 'vitest';
import { InsufficientTimeError } from '../../src/errors';
import { CLOSE_RESERVE_MS, planInvocation, SETTLE_MARGIN_MS, timingAdvice } from '../../src/timeline';

describe('planInvocation', () => {
  it('counts the deadline from the invocation start and ends work at deadline - buffer', () => {
    const plan = planInvocation({ startMs: 1_000_000, remainingMs: 600_000, shutdownDeadlineBufferMs: 7_000, shutdownGraceTimeMs: 5_000 });
    expect(plan.deadlineMs).toBe(1_600_000);
    expect(plan.workEndMs).toBe(1_593_000);
    expect(plan.workTimeMs).toBe(593_000);
    expect(plan.settleByMs).toBe(1_600_000 - SETTLE_MARGIN_MS);
    expect(plan.hooksEndByMs).toBe(plan.settleByMs - CLOSE_RESERVE_MS);
    expect(plan.lowWorkTime).toBe(false);
  });

  it('forces the worker after its grace time and before the hooks, with the defaults', () => {
    const plan = planInvocation({ startMs: 0, remainingMs: 600_000, shutdownDeadlineBufferMs: 7_000, shutdownGraceTimeMs: 5_000 });
    expect(plan.shutdownForceTimeMs).toBeGreaterThan(5_000);
    expect(plan.workerStopByMs).toBeLessThan(plan.hooksEndByMs);
    expect(plan.hooksEndByMs - plan.workerStopByMs).toBe(1_000);
  });

  it('bounds an in-process activation so that one starting before the forced stop ends before the deadline', () => {
    const defaults = planInvocation({ startMs: 0, remainingMs: 600_000, shutdownDeadlineBufferMs: 7_000, shutdownGraceTimeMs: 5_000 });
    expect(defaults.activationLimitMs).toBe(defaults.settleByMs - defaults.workerStopByMs);
    expect(defaults.activationLimitMs).toBe(1_250);
    const shortForce = planInvocation({ startMs: 0, remainingMs: 600_000, shutdownDeadlineBufferMs: 30_000, shutdownGraceTimeMs: 1_000, userShutdownForceTimeMs: 2_000 });
    expect(shortForce.activationLimitMs).toBe(5_000);
    const tight = planInvocation({ startMs: 0, remainingMs: 12_000, shutdownDeadlineBufferMs: 3_000, shutdownGraceTimeMs: 1_000 });
    expect(tight.activationLimitMs).toBe(1_000);
  });

  it('keeps a user shutdownForceTime that is shorter', () => {
    const plan = planInvocation({ startMs: 0, remainingMs: 60_000, shutdownDeadlineBufferMs: 7_000, shutdownGraceTimeMs: 1_000, userShutdownForceTimeMs: 2_000 });
    expect(plan.shutdownForceTimeMs).toBe(2_000);
  });

  it('fails with the remaining time, the buffer and the fix when 1 s of work or less is left', () => {
    const plan = () => planInvocation({ startMs: 0, remainingMs: 8_000, shutdownDeadlineBufferMs: 7_000, shutdownGraceTimeMs: 5_000 });
    expect(plan).toThrow(InsufficientTimeError);
    expect(plan).toThrow(/8000 ms remain.*7000 ms.*--timeout/);
  });

  it('flags under 5 s of work time, and a grace time the buffer cannot honour', () => {
    expect(planInvocation({ startMs: 0, remainingMs: 11_000, shutdownDeadlineBufferMs: 7_000, shutdownGraceTimeMs: 5_000 }).lowWorkTime).toBe(true);
    expect(planInvocation({ startMs: 0, remainingMs: 60_000, shutdownDeadlineBufferMs: 3_000, shutdownGraceTimeMs: 5_000 }).lowWorkTime).toBe(true);
  });
});

describe('timingAdvice', () => {
  it('is silent for the guide settings (600 s timeout, defaults)', () => {
    expect(timingAdvice({ remainingMs: 600_000, shutdownDeadlineBufferMs: 7_000, shutdownGraceTimeMs: 5_000 })).toEqual([]);
  });

  it('names the buffer when the grace time is not below it', () => {
    const [advice] = timingAdvice({ remainingMs: 600_000, shutdownDeadlineBufferMs: 5_000, shutdownGraceTimeMs: 5_000 });
    expect(advice).toMatch(/config\.shutdownDeadlineBufferMs to at least 7000/);
  });

  it('names the function timeout when little work time is left after the buffer', () => {
    const [advice] = timingAdvice({ remainingMs: 9_000, shutdownDeadlineBufferMs: 7_000, shutdownGraceTimeMs: 5_000 });
    expect(advice).toMatch(/--timeout/);
  });
});
