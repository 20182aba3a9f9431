/**
 * One worker for the invocations that run at once in one thread, as Lambda Managed Instances
 * runs them: the first invocation connects and creates the worker, the ones that arrive while it
 * polls join it, each leaves at its own work end, and the last one to leave shuts the worker down
 * and waits for the drain, so that no task is held by a worker once every invocation it served
 * has returned. When the worker stops on its own (idle exit, a failure), every member waits for
 * the drain, each no later than its own forced-stop time, and the member with the latest deadline
 * owns the end. A worker that is shutting down takes no one: the next invocation starts another
 * one, on another connection (core refuses a second worker of a task queue on one connection).
 */
import type { Logger } from '@temporalio/common';
import { settleBefore } from './bounded';
import { every, type Clock } from './clock';
import type { LeaseEnd } from './connection-cache';
import { StartupTimeoutError } from '../errors';
import { noTasks, type TaskCounts, type TaskMonitor } from './task-monitor';
import type { InvocationPlan } from './timeline';
import { idleCheckPeriodMs, settleRun, Stopper, type WorkEnd, type WorkerLike } from './worker-run';

/** What the invocation that starts a shared worker hands over once the worker exists. */
export interface StartedWorker {
  worker: WorkerLike;
  /** The worker serves Nexus: its idle check then waits for Nexus operations too. */
  servesNexus: boolean;
  /** Ends the lease of the worker's connection. */
  release(end: LeaseEnd, closeByMs: number): Promise<unknown>;
  /** Called when members join or leave: the worker's slots grow and shrink with them. */
  membersChanged?: () => void;
}

/** One invocation's part in a shared worker. */
export interface Member {
  readonly plan: InvocationPlan;
  /** Watches the worker while the invocation is a member (its first task). */
  readonly monitor: TaskMonitor;
  /** Set by {@link SharedWorker.serve}: the invocation joined a worker another one started. */
  joined?: boolean;
  /**
   * Set by {@link SharedWorker.serve} when this member owns the end of the worker: it then ends
   * the connection's lease, after its shutdown hooks, as a lone invocation does.
   */
  release?: (end: LeaseEnd, closeByMs: number) => Promise<unknown>;
}

/** How an invocation's part in a shared worker ended. */
export interface Served {
  end: WorkEnd;
  /** The invocation joined a worker that another invocation had started. */
  joined: boolean;
  /** When the worker polled for this invocation: when it joined, or when the worker started. */
  pollingSinceMs: number;
  /**
   * The tasks the worker started since the member before this one left (or since it started):
   * each task is counted once, by one member, so that the counts of all members add up to the
   * worker's. A task has no owner among the members, so no finer split is true.
   */
  tasks: TaskCounts;
}

/** The options of every worker of a {@link SharedWorker}. */
export interface SharedWorkerOptions {
  /** Stop once nothing was in flight this long; `undefined`: when the last member leaves. */
  idleExitMs: number | undefined;
  clock: Clock;
  logger: Logger;
}

/** One shared worker, from its start to the end of its drain. */
class Session {
  /** The member that owns the end: the last to leave, or the latest deadline when the worker stops. */
  owner: Member | undefined;
  started: StartedWorker | undefined;
  /** Set once the worker was told to stop or stopped on its own: its end, and why. */
  closing: Promise<WorkEnd> | undefined;
  closeReason: WorkEnd['reason'] | undefined;
  /** Resolves when closing begins. */
  readonly closingBegan: Promise<void>;
  private signalClosing!: () => void;
  private stopper: Stopper | undefined;
  private run: Promise<void> | undefined;
  private idleWatch: { stop(): void } | undefined;
  private readonly counted: TaskCounts = noTasks();

  constructor(
    readonly members: Set<Member>,
    readonly ready: Promise<StartedWorker>,
    private readonly options: SharedWorkerOptions,
    private readonly idleMonitor: TaskMonitor,
    private readonly onClosing: () => void,
  ) {
    this.closingBegan = new Promise((resolve) => (this.signalClosing = resolve));
    // A start that fails ends the session: nobody joins it, and each member throws the failure.
    ready.then(
      (started) => this.begin(started),
      () => this.onClosing(),
    );
  }

  /** The tasks started since the last call: each task goes to exactly one leaving member. */
  takeCounts(): TaskCounts {
    const taken = { ...this.idleMonitor.counts };
    for (const kind of Object.keys(taken) as Array<keyof TaskCounts>) {
      taken[kind] -= this.counted[kind];
      this.counted[kind] += taken[kind];
    }
    return taken;
  }

  get accepting(): boolean {
    return this.closing === undefined;
  }

  /** Members joined or left: the started worker's slots follow. */
  membersChanged(): void {
    this.started?.membersChanged?.();
  }

  private begin(started: StartedWorker): void {
    this.started = started;
    this.membersChanged();
    const { clock, logger, idleExitMs } = this.options;
    const watched = this.idleMonitor.attach(started.worker, started.servesNexus);
    this.stopper = new Stopper(started.worker, clock, logger, () => this.idleMonitor.restartIdleClock());
    this.run = started.worker.run();
    this.stopper.watchUntil(this.run);
    if (!watched && idleExitMs !== undefined) {
      logger.warn(
        `Idle exit is off for this shared worker: this @temporalio/worker version does not expose its in-flight task ` +
          `counts; it runs until its last member's work end`,
      );
    } else if (idleExitMs !== undefined) {
      this.idleWatch = every(clock, idleCheckPeriodMs(idleExitMs), () => {
        if (this.stopper!.polling && this.idleMonitor.idleForMs() >= idleExitMs)
          void this.close('idle', `No task for ${idleExitMs} ms: shutting the shared worker down early`);
      });
    }
    // A worker that stops or fails by itself ends the session as well.
    const ended = () => void this.close('worker-stopped', 'The shared worker stopped');
    this.run.then(ended, ended);
  }

  /**
   * Tells the worker to stop, once, and waits for its drain bounded by the owner's plan: the
   * member given, or the one with the latest deadline. Returns the end every member waits for.
   */
  close(reason: WorkEnd['reason'], message: string, owner?: Member): Promise<WorkEnd> {
    if (this.closing !== undefined) return this.closing;
    this.owner = owner ?? latestDeadline(this.members);
    this.closeReason = reason;
    const plan = this.owner!.plan;
    const { clock, logger } = this.options;
    this.idleWatch?.stop();
    this.onClosing();
    const stopper = this.stopper!;
    // Told to stop here, so settleRun has nothing to add when the wait runs out. The monitor's
    // subscriptions go with the worker: nothing else holds them.
    stopper.request(reason, message, { shutdownForceTimeMs: plan.shutdownForceTimeMs, members: this.members.size });
    this.closing = settleRun(this.started!.worker, this.run!, { stopper, plan, clock, logger });
    this.signalClosing();
    return this.closing;
  }
}

/** The member whose deadline is the latest. */
function latestDeadline(members: Set<Member>): Member | undefined {
  let latest: Member | undefined;
  for (const member of members)
    if (latest === undefined || member.plan.deadlineMs > latest.plan.deadlineMs) latest = member;
  return latest;
}

/** The shared worker of one thread's invocations (one per prepared setup). */
export class SharedWorker {
  private current: Session | undefined;

  constructor(
    private readonly options: SharedWorkerOptions,
    private readonly newMonitor: () => TaskMonitor,
  ) {}

  /**
   * Serves one invocation: joins the worker that polls, or starts one with `start` (which bounds
   * itself by this invocation's work end, and sizes the worker's slots by `members`). Resolves
   * when the invocation leaves: at its work end, after the drain when it was the last member; or
   * once the worker stopped on its own.
   * @throws why the worker could not start (to every invocation waiting for it), or why it failed.
   */
  async serve(member: Member, start: (members: () => number) => Promise<StartedWorker>): Promise<Served> {
    const { clock } = this.options;
    let session = this.current;
    const joined = session !== undefined;
    member.joined = joined;
    if (session === undefined) {
      // A session stops being the current one only by its own closing (or failed start), once.
      const members = new Set<Member>();
      session = new Session(
        members,
        start(() => members.size),
        this.options,
        this.newMonitor(),
        () => {
          this.current = undefined;
        },
      );
      this.current = session;
    }
    session.members.add(member);
    session.membersChanged();
    let started: StartedWorker;
    try {
      // The invocation that starts the worker waits for it unbounded: `start` bounds itself, and
      // so the starter is still a member when the worker begins to poll.
      started = joined ? await this.whenReady(session, member) : await session.ready;
    } catch (error) {
      session.members.delete(member);
      session.membersChanged();
      throw error;
    }
    const pollingSinceMs = clock.now();
    member.monitor.attach(started.worker, started.servesNexus);
    try {
      const end = await this.stay(session, member);
      return { end, joined, pollingSinceMs, tasks: session.takeCounts() };
    } finally {
      member.monitor.detach();
      if (session.owner === member) member.release = (end, closeByMs) => started.release(end, closeByMs);
    }
  }

  /** Waits for a worker another invocation is starting, no later than the member's work end. */
  private async whenReady(session: Session, member: Member): Promise<StartedWorker> {
    const ready = await settleBefore(session.ready, member.plan.workEndMs, this.options.clock);
    if (!ready.timedOut) return ready.value;
    throw new StartupTimeoutError(
      `The shared worker that another invocation is starting did not poll within this invocation's work window ` +
        `(${member.plan.workTimeMs} ms from its start). Raise the function timeout.`,
    );
  }

  /** Waits for the member's work end or for the worker's end, whichever comes first. */
  private async stay(session: Session, member: Member): Promise<WorkEnd> {
    const { clock } = this.options;
    let timer: unknown;
    const workEnd = new Promise<void>(
      (resolve) => (timer = clock.setTimeout(resolve, member.plan.workEndMs - clock.now())),
    );
    await Promise.race([workEnd, session.closingBegan]);
    clock.clearTimeout(timer);
    session.members.delete(member);
    session.membersChanged();
    if (session.accepting) {
      if (session.members.size > 0) return { reason: 'deadline' };
      return session.close('deadline', 'Work window ended: shutting the shared worker down', member);
    }
    if (session.owner === member) return session.closing!;
    // Another member owns the end: wait for the drain no later than this member's own bound.
    const bounded = await settleBefore(session.closing!, member.plan.workerStopByMs, clock);
    return bounded.timedOut ? { reason: session.closeReason! } : bounded.value;
  }
}
