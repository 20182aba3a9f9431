/**
 * One invocation, as explicit phases over one state object: plan the timeline from the absolute
 * deadline, lease a connection (the kept one when it still answers), create the worker, run it
 * until work end or idle, run the shutdown hooks, end the lease, and build the summary once.
 * The handler settles before the deadline on every path; a cleanup error is logged and never
 * replaces the original error; a step that finishes after the invocation stopped waiting for it
 * is cleaned up then, and can never reject unhandled.
 */
import type { Logger } from '@temporalio/common';
import type { NativeConnectionOptions, TunerHolder, WorkerOptions } from '@temporalio/worker';
import { isKeyRefusal, type ApiKeyKeeper } from './api-key';
import { settleBefore } from './bounded';
import type { Clock } from './clock';
import type { ConnectionCache, ConnectionFactory, ConnectionLike } from './connection-cache';
import { ConnectionFailedError, describeError, StartupTimeoutError } from '../errors';
import { runShutdownHooks, type ShutdownHook, type ShutdownHookResult } from './hooks';
import type { Member, SharedWorker } from './shared-worker';
import { SLOT_LIMITS, type CompiledWorkerSettings } from '../config/lambda-config';
import { memberTuner } from './member-slots';
import { withActivationLimit } from '../sdk-internals';
import { runSummaryHooks, summaryContext, type InvocationSummary, type SummaryHook } from './summary';
import { TaskMonitor, type TaskCounts } from './task-monitor';
import { CLOSE_RESERVE_MS, planInvocation, SETTLE_MARGIN_MS, shutdownWindowMs, type InvocationPlan } from './timeline';
import { disposeLateWorker, runUntilWorkEnd, type WorkEnd, type WorkerLike } from './worker-run';

/** The part of the Lambda `Context` the handler reads. Structurally compatible with `aws-lambda`'s. */
export interface LambdaContext {
  awsRequestId: string;
  invokedFunctionArn: string;
  functionName: string;
  functionVersion?: string;
  /** Milliseconds left before Lambda's deadline. */
  getRemainingTimeInMillis(): number;
}

/** How an invocation connects and creates its worker; injectable for unit tests. */
export interface InvocationDeps<
  C extends ConnectionLike = ConnectionLike,
  W extends WorkerLike = WorkerLike,
> extends ConnectionFactory<C> {
  createWorker(options: WorkerOptions & { connection: C }): Promise<W>;
}

/** Everything an invocation needs that was prepared once per process. */
export interface PreparedWorker {
  settings: CompiledWorkerSettings;
  connectionOptions: NativeConnectionOptions;
  connections: ConnectionCache;
  /** The API key read from `config.apiKeySource`, when set. */
  apiKeys?: ApiKeyKeeper;
  /** Set when invocations that run at once share one worker (`config.shareWorker`). */
  shared?: SharedWorker;
  namespace: string;
  hooks: readonly ShutdownHook[];
  /** Run with the summary before the handler returns. @default none */
  summaryHooks?: readonly SummaryHook[];
  logger: Logger;
}

/** What one invocation knows, filled in phase by phase. */
interface InvocationState {
  readonly startMs: number;
  readonly monitor: TaskMonitor;
  lease?: { connection: ConnectionLike; reused: boolean };
  /** The connection was kept from an earlier invocation (or belongs to a shared worker this one joined). */
  reused?: boolean;
  /** This invocation's part in a shared worker: it started the worker or joined it. */
  member?: Member;
  /** The tasks counted for this invocation when it shares a worker (else the monitor's). */
  tasks?: TaskCounts;
  /** Settles when no worker of this invocation can hold the lease's connection any more. */
  heldUntil?: Promise<unknown>;
  firstPollMs?: number;
  end?: WorkEnd;
  workEndedMs?: number;
  failure?: unknown;
  /** When the failure happened: the shutdown of a failed invocation starts then. */
  failedMs?: number;
  hooks?: { results: ShutdownHookResult[]; ms: number };
}

/** The per-invocation inputs of every phase. */
interface Run {
  prepared: PreparedWorker;
  context: LambdaContext;
  deps: InvocationDeps;
  plan: InvocationPlan;
  state: InvocationState;
}

/**
 * Runs one invocation of the worker described by `prepared`.
 * @throws the first error of planning, connect, worker creation or the worker's run, after cleanup.
 */
export async function runInvocation(
  prepared: PreparedWorker,
  context: LambdaContext,
  deps: InvocationDeps,
  coldStart = false,
): Promise<void> {
  const { clock } = deps;
  const state: InvocationState = { startMs: clock.now(), monitor: new TaskMonitor(() => clock.now()) };
  const remainingMs = context.getRemainingTimeInMillis();
  let plan: InvocationPlan;
  try {
    plan = planInvocation({ startMs: state.startMs, remainingMs, ...prepared.settings });
  } catch (error) {
    // Too little time to work: the hooks still run, in what is left before the deadline.
    state.failure = error;
    const deadlineMs = state.startMs + remainingMs;
    const windowMs = shutdownWindowMs(prepared.settings.shutdownDeadlineBufferMs);
    await runHooks(
      prepared,
      state,
      Math.min(deadlineMs - SETTLE_MARGIN_MS - CLOSE_RESERVE_MS, state.startMs + windowMs),
      clock,
    );
    finish({ prepared, context, state, plan: undefined, deadlineMs, coldStart, clock, extra: { remainingMs } });
    throw error;
  }
  if (plan.lowWorkTimeWarning !== undefined) {
    prepared.logger.warn(plan.lowWorkTimeWarning, {
      workTimeMs: plan.workTimeMs,
      shutdownDeadlineBufferMs: prepared.settings.shutdownDeadlineBufferMs,
      shutdownGraceTimeMs: prepared.settings.shutdownGraceTimeMs,
    });
  }
  const run: Run = { prepared, context, deps, plan, state };
  try {
    if (prepared.shared === undefined) {
      await connect(run);
      const worker = await createWorker(run);
      await work(run, worker);
    } else {
      await share(run, prepared.shared);
    }
  } catch (error) {
    state.failure = error;
    state.failedMs = clock.now();
    // A worker the server stopped taking the key from: the next invocation reads it again at once.
    if (isKeyRefusal(error)) prepared.apiKeys?.markRefused();
    if (state.firstPollMs !== undefined) state.workEndedMs = state.failedMs;
  } finally {
    state.monitor.detach();
    const shutdownStartMs = state.end?.shutdownStartMs ?? state.failedMs ?? clock.now();
    await runHooks(prepared, state, Math.min(plan.hooksEndByMs, shutdownStartMs + plan.shutdownWindowMs), clock);
    await release(run);
    finish({ prepared, context, state, plan, deadlineMs: plan.deadlineMs, coldStart, clock });
  }
  if (state.failure !== undefined) throw state.failure;
}

/**
 * Phase: lease a connection before work end (the cache closes one that arrives later). With an
 * API key source, the key is read first when due, and once more when the server refuses it.
 */
async function connect({ prepared, deps, plan, state }: Run): Promise<void> {
  const { apiKeys } = prepared;
  const address = prepared.connectionOptions.address ?? 'localhost:7233';
  const failed = (error: unknown, advice?: string) =>
    new ConnectionFailedError(
      `Cannot connect to Temporal at ${address}: ${(error as Error)?.message ?? String(error)}. ` +
        (advice ??
          `Check TEMPORAL_ADDRESS (or address in temporal.toml), TLS and the API key, and that the function can ` +
            `reach the server.`),
      { cause: error },
    );
  await apiKeys?.ready(plan.workEndMs);
  let lease;
  try {
    lease = await prepared.connections.acquire(deps, plan.workEndMs);
  } catch (error) {
    if (apiKeys === undefined || !isKeyRefusal(error)) throw failed(error);
    if (!(await apiKeys.afterRefusal(plan.workEndMs))) throw failed(error, apiKeys.refusalAdvice());
    lease = await prepared.connections.acquire(deps, plan.workEndMs).catch((again: unknown) => {
      throw failed(again);
    });
  }
  if (lease === undefined) {
    throw new StartupTimeoutError(
      `Connecting to Temporal at ${address} did not finish within the work window (${plan.workTimeMs} ms from ` +
        `invocation start). On Lambda this is most often a network path that drops packets: a function in a VPC ` +
        `needs a NAT gateway or a VPC endpoint to reach the server, and security groups and network ACLs that allow ` +
        `outbound traffic to its port. Check TEMPORAL_ADDRESS (or address in temporal.toml) and TLS too: a server ` +
        `that expects TLS does not answer plaintext.`,
    );
  }
  state.lease = lease;
  state.reused = lease.reused;
}

/**
 * Phase: create the worker before work end. A worker created later is disposed of when it
 * arrives, and its connection is held (not reused, not closed) until then. A shared worker's
 * `tuner` takes the place of the slot limits.
 */
async function createWorker({ prepared, context, deps, plan, state }: Run, tuner?: TunerHolder): Promise<WorkerLike> {
  const { settings } = prepared;
  const options = {
    ...(tuner === undefined ? settings.workerOptions : withTuner(settings.workerOptions, tuner)),
    connection: state.lease!.connection,
    namespace: prepared.namespace,
    identity: settings.workerOptions.identity ?? `${context.awsRequestId}@${context.invokedFunctionArn}`,
    shutdownForceTime: plan.shutdownForceTimeMs,
  } as WorkerOptions & { connection: ConnectionLike };
  const creating = deps.createWorker(
    settings.inProcessWorkflows ? withActivationLimit(options, plan.activationLimitMs) : options,
  );
  const bounded = await settleBefore(creating, plan.workEndMs, deps.clock);
  if (bounded.timedOut) {
    state.heldUntil = creating.then(
      (late) => disposeLateWorker(late, deps.clock, prepared.logger),
      () => undefined,
    );
    throw new StartupTimeoutError(
      `Creating the worker did not finish within the work window (${plan.workTimeMs} ms from invocation start). ` +
        `Check the namespace and the worker options (workflow bundle, task queue, plugins), and raise the function ` +
        `timeout.`,
    );
  }
  return bounded.value;
}

/** Worker options with `tuner` in place of the slot limits (the SDK takes one or the other). */
function withTuner<T extends Partial<WorkerOptions>>(options: T, tuner: TunerHolder): T {
  const out: T = { ...options, tuner };
  for (const field of SLOT_LIMITS) delete out[field];
  return out;
}

/** The worker serves Nexus operations: its idle exit then waits for them too. */
function servesNexus(settings: CompiledWorkerSettings): boolean {
  return (settings.workerOptions.nexusServices?.length ?? 0) > 0;
}

/** Phase: poll until work end or idle, then stop the worker; an abandoned worker holds its connection. */
async function work({ prepared, deps, plan, state }: Run, worker: WorkerLike): Promise<void> {
  const { settings, logger } = prepared;
  const watched = state.monitor.attach(worker, servesNexus(settings));
  if (!watched && settings.idleExitMs !== undefined) {
    logger.warn(
      `Idle exit is off for this invocation: this @temporalio/worker version does not expose its in-flight task ` +
        `counts; the worker runs until the deadline`,
    );
  }
  state.firstPollMs = deps.clock.now();
  logger.info('Worker polling', {
    taskQueue: settings.workerOptions.taskQueue,
    startupMs: state.firstPollMs - state.startMs,
    connectionReused: state.lease!.reused,
    workEndInMs: plan.workEndMs - state.firstPollMs,
    activationLimitMs: settings.inProcessWorkflows ? plan.activationLimitMs : undefined,
  });
  const idleExitMs = watched ? settings.idleExitMs : undefined;
  state.end = await runUntilWorkEnd(worker, { plan, monitor: state.monitor, idleExitMs, clock: deps.clock, logger });
  state.heldUntil = state.end.abandoned;
  state.workEndedMs = deps.clock.now();
}

/**
 * Phase, in place of connect, create and work when invocations share a worker: join the worker
 * that polls, or start one (connect and create, as a lone invocation does), and stay until this
 * invocation's work end; the last to leave drains the worker and ends the connection's lease.
 */
async function share(run: Run, shared: SharedWorker): Promise<void> {
  const { prepared, deps, plan, state } = run;
  const member: Member = { plan, monitor: state.monitor };
  state.member = member;
  // An invocation that joins connects nothing, but still reads a key that is due: a shared worker
  // can outlive many key ages while invocations keep joining it, and takes the new key from here.
  await prepared.apiKeys?.ready(plan.workEndMs);
  const served = await shared.serve(member, async (members) => {
    await connect(run);
    const slots = memberTuner(prepared.settings.workerOptions, members);
    const worker = await createWorker(run, slots?.tuner);
    const { connection } = state.lease!;
    // The worker's connection is the shared worker's from here: its owner ends the lease.
    state.lease = undefined;
    return {
      worker,
      servesNexus: servesNexus(prepared.settings),
      release: (end, closeByMs) => prepared.connections.release(connection, end, closeByMs, deps.clock),
      membersChanged: slots?.membersChanged,
    };
  });
  if (served.joined) state.reused = true;
  state.firstPollMs = served.pollingSinceMs;
  prepared.logger.info(served.joined ? 'Joined the running worker' : 'Worker polling', {
    taskQueue: prepared.settings.workerOptions.taskQueue,
    startupMs: state.firstPollMs - state.startMs,
    connectionReused: state.reused,
    sharedWorker: served.joined ? 'joined' : 'started',
  });
  state.end = served.end;
  state.tasks = served.tasks;
  state.heldUntil = served.end.abandoned;
  state.workEndedMs = deps.clock.now();
}

/** Phase: the shutdown hooks, in order, each isolated, all done by `endByMs`. */
async function runHooks(
  prepared: PreparedWorker,
  state: InvocationState,
  endByMs: number,
  clock: Clock,
): Promise<void> {
  const startMs = clock.now();
  const results = await runShutdownHooks(prepared.hooks, endByMs, prepared.logger, clock);
  state.hooks = { results, ms: clock.now() - startMs };
}

/**
 * Phase: end the lease (kept, closed, or closed once its worker settles): this invocation's own,
 * or a shared worker's when this invocation owns its end.
 */
async function release({ prepared, deps, plan, state }: Run): Promise<void> {
  const suspect = state.failure !== undefined || state.end?.unfinalized === true;
  if (state.lease === undefined) {
    await state.member?.release?.({ suspect, heldUntil: state.heldUntil }, plan.settleByMs);
    return;
  }
  await prepared.connections.release(
    state.lease.connection,
    { suspect, heldUntil: state.heldUntil },
    plan.settleByMs,
    deps.clock,
  );
}

/** What {@link finish} summarises. */
interface Finish {
  prepared: PreparedWorker;
  context: LambdaContext;
  state: InvocationState;
  plan: InvocationPlan | undefined;
  deadlineMs: number;
  coldStart: boolean;
  clock: Clock;
  /** Logged beside the summary, not part of it. */
  extra?: Record<string, unknown>;
}

/** Phase: the summary, built in one place, logged, and handed to the summary hooks. */
function finish({ prepared, context, state, plan, deadlineMs, coldStart, clock, extra }: Finish): void {
  const { end, failure, firstPollMs, workEndedMs, startMs } = state;
  const summary: InvocationSummary = {
    endReason: failure === undefined ? (end?.reason ?? 'worker-stopped') : 'error',
    workTimeMs: plan?.workTimeMs,
    startupMs: firstPollMs === undefined ? undefined : firstPollMs - startMs,
    connectionReused: state.reused,
    sharedWorker: state.member === undefined ? undefined : state.member.joined ? 'joined' : 'started',
    timeToFirstTaskMs: state.monitor.firstTaskMs === undefined ? undefined : state.monitor.firstTaskMs - startMs,
    tasks: state.tasks ?? state.monitor.counts,
    activeMs: workEndedMs === undefined ? undefined : (end?.shutdownStartMs ?? workEndedMs) - startMs,
    shutdownMs:
      workEndedMs === undefined || end?.shutdownStartMs === undefined ? undefined : workEndedMs - end.shutdownStartMs,
    hooksMs: state.hooks?.ms ?? 0,
    hooksFailed: state.hooks?.results.filter((hook) => hook.outcome !== 'ok').length ?? 0,
    marginBeforeDeadlineMs: deadlineMs - clock.now(),
    error: failure === undefined ? undefined : describeError(failure),
  };
  prepared.logger.log(failure === undefined ? 'INFO' : 'ERROR', 'Invocation summary', { ...summary, ...extra });
  if (!prepared.summaryHooks?.length) return;
  const version = prepared.settings.workerOptions.workerDeploymentOptions?.version;
  const who = summaryContext(context, prepared.settings.workerOptions.taskQueue, version, coldStart);
  runSummaryHooks(prepared.summaryHooks, summary, who, prepared.logger);
}
