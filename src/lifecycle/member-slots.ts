/**
 * Task slots that grow with the members of a shared worker. The Worker Controller scales a
 * function by invoking it while a backlog lasts; with one worker per invocation, each invocation
 * adds a worker's slots. A shared worker keeps that: each member brings the slots a worker of its
 * own would have had (`maxConcurrentActivityTaskExecutions` and the others), and takes them away
 * when it leaves (a task that runs keeps its slot until it ends). Nexus tasks keep a fixed number
 * of slots: the SDK does not take custom slot suppliers for them.
 */
import type {
  CustomSlotSupplier,
  SlotInfo,
  SlotPermit,
  SlotReserveContext,
  TunerHolder,
  WorkerOptions,
} from '@temporalio/worker';
import type { SLOT_LIMITS } from '../config/lambda-config';

/** A slot supplier whose capacity is `perMember` slots for each member, and one member's at least. */
export class MemberSlots<SI extends SlotInfo> implements CustomSlotSupplier<SI> {
  readonly type = 'custom';
  /** Slots reserved and not yet released (a poller's reservation included). */
  reserved = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly perMember: number,
    private readonly members: () => number,
  ) {}

  get capacity(): number {
    return this.perMember * Math.max(1, this.members());
  }

  reserveSlot(_context: SlotReserveContext, abortSignal: AbortSignal): Promise<SlotPermit> {
    if (this.reserved < this.capacity) {
      this.reserved += 1;
      return Promise.resolve({});
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        abortSignal.removeEventListener('abort', abort);
        this.reserved += 1;
        resolve({});
      };
      // The SDK aborts a reservation it no longer needs (a worker shutting down): give up the place.
      const abort = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(abortSignal.reason);
      };
      this.waiting.push(grant);
      abortSignal.addEventListener('abort', abort, { once: true });
    });
  }

  tryReserveSlot(): SlotPermit | null {
    if (this.reserved >= this.capacity) return null;
    this.reserved += 1;
    return {};
  }

  markSlotUsed(): void {}

  releaseSlot(): void {
    this.reserved -= 1;
    this.grantWaiting();
  }

  /** Grants the waiting reservations that fit now: after a release, or when a member joined. */
  grantWaiting(): void {
    while (this.waiting.length > 0 && this.reserved < this.capacity) this.waiting.shift()!();
  }
}

/** A shared worker's tuner, and what to call when its members change. */
export interface MemberTuner {
  tuner: TunerHolder;
  membersChanged(): void;
}

/**
 * The tuner of a shared worker whose options are `options`: each slot limit per member. None when
 * the options already have a tuner (the user's sizing wins).
 */
export function memberTuner(options: Partial<WorkerOptions>, members: () => number): MemberTuner | undefined {
  if (options.tuner !== undefined) return undefined;
  const limit = (field: (typeof SLOT_LIMITS)[number]) => options[field] ?? 1;
  const workflow = new MemberSlots(limit('maxConcurrentWorkflowTaskExecutions'), members);
  const activity = new MemberSlots(limit('maxConcurrentActivityTaskExecutions'), members);
  const localActivity = new MemberSlots(limit('maxConcurrentLocalActivityExecutions'), members);
  return {
    tuner: {
      workflowTaskSlotSupplier: workflow,
      activityTaskSlotSupplier: activity,
      localActivityTaskSlotSupplier: localActivity,
      nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: limit('maxConcurrentNexusTaskExecutions') },
    },
    membersChanged: () => [workflow, activity, localActivity].forEach((slots) => slots.grantWaiting()),
  };
}
