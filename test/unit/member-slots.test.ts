/**
 * The slots of a shared worker, which grow with its members: the supplier's reservations,
 * waiting, release, abort and members joining or leaving; the tuner built from the worker
 * options; and the shared worker of the fake world created with it in place of the slot limits.
 */
import { describe, expect, it } from 'vitest';
import type { SlotReserveContext } from '@temporalio/worker';
import { MemberSlots, memberTuner } from '../../src/lifecycle/member-slots';
import { LAMBDA_WORKER_DEFAULTS } from '../../src/defaults';
import { fakeHandler } from '../support/fake-handler';
import { stdoutOfEachTest } from '../support/output-capture';

stdoutOfEachTest();

const context = {} as SlotReserveContext;
const settled = async <T>(promise: Promise<T>) => {
  let state = 'pending';
  promise.then(
    () => (state = 'granted'),
    () => (state = 'rejected'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
};

describe('MemberSlots', () => {
  it('grants each member its slots, one member at least, and makes the rest wait for a release', async () => {
    let members = 0;
    const slots = new MemberSlots(2, () => members);
    expect(slots.capacity).toBe(2);
    members = 3;
    expect(slots.capacity).toBe(6);
    members = 1;
    const signal = new AbortController().signal;
    const first = [slots.reserveSlot(context, signal), slots.reserveSlot(context, signal)];
    expect(await Promise.all(first.map(settled))).toEqual(['granted', 'granted']);
    const third = slots.reserveSlot(context, signal);
    expect(await settled(third)).toBe('pending');
    expect(slots.tryReserveSlot()).toBeNull();
    slots.releaseSlot();
    expect(await settled(third)).toBe('granted');
    expect(slots.reserved).toBe(2);
  });

  it('grants the waiting reservations when a member joins, and shrinks when one leaves', async () => {
    let members = 1;
    const slots = new MemberSlots(1, () => members);
    const signal = new AbortController().signal;
    await slots.reserveSlot(context, signal);
    const waiting = [slots.reserveSlot(context, signal), slots.reserveSlot(context, signal)];
    members = 2;
    slots.grantWaiting();
    expect(await Promise.all(waiting.map(settled))).toEqual(['granted', 'pending']);
    members = 1; // the member left: the slots in use stay, no new one until below one member's
    slots.releaseSlot();
    expect(await settled(waiting[1]!)).toBe('pending');
    expect(slots.tryReserveSlot()).toBeNull();
    slots.releaseSlot();
    expect(await settled(waiting[1]!)).toBe('granted');
    expect(slots.tryReserveSlot()).toBeNull();
    slots.releaseSlot();
    expect(slots.tryReserveSlot()).toEqual({});
  });

  it('rejects an aborted reservation with the abort reason, and gives its place up', async () => {
    const slots = new MemberSlots(1, () => 1);
    const controller = new AbortController();
    await slots.reserveSlot(context, controller.signal);
    const aborted = slots.reserveSlot(context, controller.signal);
    const next = slots.reserveSlot(context, new AbortController().signal);
    const reason = new Error('worker shutting down');
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    slots.releaseSlot();
    expect(await settled(next)).toBe('granted');
    expect(slots.reserved).toBe(1);
  });
});

describe('memberTuner', () => {
  it('sizes each slot type per member from the worker options; Nexus keeps a fixed number', () => {
    let members = 2;
    const built = memberTuner({ ...LAMBDA_WORKER_DEFAULTS, maxConcurrentActivityTaskExecutions: 3 }, () => members)!;
    const { tuner } = built;
    expect((tuner.workflowTaskSlotSupplier as MemberSlots<never>).capacity).toBe(20);
    expect((tuner.activityTaskSlotSupplier as MemberSlots<never>).capacity).toBe(6);
    expect((tuner.localActivityTaskSlotSupplier as MemberSlots<never>).capacity).toBe(4);
    expect(tuner.nexusTaskSlotSupplier).toEqual({ type: 'fixed-size', numSlots: 5 });
    members = 1;
    expect((tuner.activityTaskSlotSupplier as MemberSlots<never>).capacity).toBe(3);
    expect(memberTuner({}, () => 1)!.tuner.nexusTaskSlotSupplier).toEqual({ type: 'fixed-size', numSlots: 1 });
  });

  it("leaves a user's tuner alone", () => {
    const tuner = { tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 } };
    expect(memberTuner({ tuner }, () => 1)).toBeUndefined();
  });

  it('is what a shared worker is created with, in place of the slot limits; a lone worker keeps its limits', async () => {
    const shared = fakeHandler({}, (config) => void (config.shareWorker = true));
    await shared.invoke(10_000);
    const [options] = shared.world.createdWith;
    expect(options!.tuner).toBeDefined();
    expect(Object.keys(options!).filter((key) => key.startsWith('maxConcurrent'))).toEqual([]);

    const lone = fakeHandler({}, (config) => void (config.shareWorker = false));
    await lone.invoke(10_000);
    expect(lone.world.createdWith[0]!.tuner).toBeUndefined();
    expect(lone.world.createdWith[0]!.maxConcurrentActivityTaskExecutions).toBe(2);
  });
});
