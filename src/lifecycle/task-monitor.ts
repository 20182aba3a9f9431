/**
 * Watches one invocation's worker: tasks started (workflow activations, activities, Nexus
 * operations), what is in flight, when the first task arrived and when the worker was last busy.
 * Drives the idle exit and the invocation summary.
 */

import { nexusOperationsInFlight, type CountObservable } from '../sdk-internals';

export type { CountObservable };

/** The observables of a `Worker` that the monitor reads; all optional for fakes. */
export interface ObservableWorker {
  numInFlightActivations$?: CountObservable;
  /** Activities in flight, local ones included. */
  numInFlightActivities$?: CountObservable;
}

/** Tasks an invocation processed. */
export interface TaskCounts {
  workflowActivations: number;
  activities: number;
  nexusOperations: number;
}

/** No task of any kind: where every count starts. */
export function noTasks(): TaskCounts {
  return { workflowActivations: 0, activities: 0, nexusOperations: 0 };
}

export class TaskMonitor {
  readonly counts: TaskCounts = noTasks();
  /** Clock reading of the first task, if any. */
  firstTaskMs: number | undefined;
  private readonly inFlight: TaskCounts = noTasks();
  private lastBusyMs: number;
  private readonly subscriptions: Array<{ unsubscribe(): void }> = [];

  constructor(private readonly now: () => number) {
    this.lastBusyMs = now();
  }

  /**
   * Starts counting the tasks that start from now; the idle time counts from here (polling
   * starts), not from the invocation start. Returns false when the worker does not expose what
   * idle exit needs (idle exit is then off): the activation and activity counts, and the Nexus
   * count when `servesNexus`.
   */
  attach(worker: ObservableWorker, servesNexus: boolean): boolean {
    this.lastBusyMs = this.now();
    const watch = (observable: CountObservable | undefined, kind: keyof TaskCounts) => {
      if (observable === undefined) return false;
      // The count the observable gives as it is subscribed is what was in flight before: not
      // this monitor's tasks (a worker shared by invocations may be busy when one joins it).
      let subscribing = true;
      this.subscriptions.push(
        observable.subscribe((count) => {
          const previous = this.inFlight[kind];
          if (count > previous && !subscribing) {
            this.counts[kind] += count - previous;
            this.firstTaskMs ??= this.now();
          }
          this.inFlight[kind] = count;
          this.lastBusyMs = this.now();
        }),
      );
      subscribing = false;
      return true;
    };
    const activations = watch(worker.numInFlightActivations$, 'workflowActivations');
    const activities = watch(worker.numInFlightActivities$, 'activities');
    const nexus = watch(nexusOperationsInFlight(worker), 'nexusOperations');
    return activations && activities && (nexus || !servesNexus);
  }

  /** True while any task is in flight. */
  get busy(): boolean {
    return this.inFlight.workflowActivations > 0 || this.inFlight.activities > 0 || this.inFlight.nexusOperations > 0;
  }

  /** Counts the idle time from now: for a worker that started polling only now. */
  restartIdleClock(): void {
    this.lastBusyMs = Math.max(this.lastBusyMs, this.now());
  }

  /** How long the worker has had nothing in flight (0 while busy). */
  idleForMs(): number {
    return this.busy ? 0 : this.now() - this.lastBusyMs;
  }

  detach(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }
}
