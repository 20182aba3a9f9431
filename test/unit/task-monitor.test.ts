/** The task monitor on its own: counts, the first task, idle time, Nexus, and what it needs to work. */
import { describe, expect, it } from 'vitest';
import { TaskMonitor } from '../../src/lifecycle/task-monitor';
import { Count } from '../support/fake-sdk';

function worker(withNexus = false) {
  return {
    numInFlightActivations$: new Count(),
    numInFlightActivities$: new Count(),
    ...(withNexus ? { numInFlightNexusOperationsSubject: new Count() } : {}),
  };
}

describe('TaskMonitor', () => {
  it('counts tasks started (rises in the in-flight counts), the first task, and idle time since the last change', () => {
    let now = 1_000;
    const monitor = new TaskMonitor(() => now);
    const w = worker();
    expect(monitor.attach(w, false)).toBe(true);
    now = 1_500;
    w.numInFlightActivations$.add(1);
    w.numInFlightActivities$.add(2);
    expect(monitor.busy).toBe(true);
    expect(monitor.idleForMs()).toBe(0);
    now = 2_000;
    w.numInFlightActivities$.add(-1);
    w.numInFlightActivities$.add(1);
    w.numInFlightActivities$.add(-2);
    w.numInFlightActivations$.add(-1);
    now = 2_700;
    expect(monitor.counts).toEqual({ workflowActivations: 1, activities: 3, nexusOperations: 0 });
    expect(monitor.firstTaskMs).toBe(1_500);
    expect(monitor.busy).toBe(false);
    expect(monitor.idleForMs()).toBe(700);
  });

  it('counts idle time from attach, and from a restart of the clock (a worker that started polling late)', () => {
    let now = 0;
    const monitor = new TaskMonitor(() => now);
    now = 5_000;
    monitor.attach(worker(), false);
    now = 6_000;
    expect(monitor.idleForMs()).toBe(1_000);
    monitor.restartIdleClock();
    now = 6_250;
    expect(monitor.idleForMs()).toBe(250);
  });

  it('watches the Nexus count when the worker has one, and says it cannot work without it when Nexus is served', () => {
    let now = 0;
    const withNexus = new TaskMonitor(() => now);
    const w = worker(true);
    expect(withNexus.attach(w, true)).toBe(true);
    now = 10;
    w.numInFlightNexusOperationsSubject!.add(1);
    expect(withNexus.counts.nexusOperations).toBe(1);
    expect(withNexus.busy).toBe(true);
    expect(new TaskMonitor(() => now).attach(worker(false), true)).toBe(false);
    expect(new TaskMonitor(() => now).attach(worker(false), false)).toBe(true);
    expect(new TaskMonitor(() => now).attach({}, false)).toBe(false);
  });

  it('stops counting once detached', () => {
    const monitor = new TaskMonitor(() => 0);
    const w = worker();
    monitor.attach(w, false);
    monitor.detach();
    w.numInFlightActivities$.add(1);
    expect(monitor.counts.activities).toBe(0);
    expect(monitor.busy).toBe(false);
  });
});
