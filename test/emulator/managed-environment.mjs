// One execution environment of a Lambda Managed Instances function: one process of the real
// aws-lambda-ric in its multi-concurrent mode, which runs the handler in `threads` worker threads
// (AWS_LAMBDA_NODEJS_WORKER_COUNT), each with its own init and its own GET /invocation/next
// outstanding at all times. The runtime client never caps concurrency itself (it only checks that
// AWS_LAMBDA_MAX_CONCURRENCY is set), so this Runtime API server does: it answers a waiting `next`
// only while fewer than `maxConcurrency` invocations are in flight here. Unlike the default mode
// (environment.mjs), the environment runs continuously (never frozen), and an invocation past its
// deadline is recorded `timeout` without stopping anything: its code keeps running, as in Lambda
// Managed Instances, and a later answer is recorded as `lateEndMs`.
//
// UV_THREADPOOL_SIZE: each thread's `next` is a blocking curl call on libuv's threadpool, which is
// process-wide and 4 threads by default, so with 4 or more threads the long-polls take every pool
// thread and fs.promises, dns.lookup, async crypto and zlib in a handler wait until an invocation
// arrives (docs/design/issue-20-research.md, section 1). The runtime gets `threads` + 4 unless the
// function's env sets UV_THREADPOOL_SIZE (a way to reproduce the starvation on purpose).
import { performance } from 'node:perf_hooks';
import { ExecutionEnvironment, RUNTIME_PREFIX, readBody, send } from './environment.mjs';

const ANSWER_PATH = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/;
/** Threadpool threads beyond one per runtime thread's long-poll: room for a handler's fs, dns, crypto, zlib. */
export const SPARE_THREADPOOL_THREADS = 4;

class ManagedInstanceEnvironment extends ExecutionEnvironment {
  coldFirstInvocation = false; // init runs before the function version is active: no cold start
  inFlight = new Map(); // request id -> invocation handed to a runtime thread, not yet ended
  pending = []; // invocations given to this environment, waiting for a thread's `next`
  waiters = []; // the runtime threads' waiting GET /invocation/next, oldest first
  overrunning = new Map(); // request id -> invocation past its deadline whose code may still answer
  initErrors = 0; // POST /init/error calls: one per runtime thread whose init failed
  pollersPeak = 0; // most `next` calls waiting at once: the threads that finished their init

  constructor(id, fn, log, onDead, { threads, maxConcurrency, onProgress }) {
    super(id, fn, log, onDead);
    Object.assign(this, { threads, maxConcurrency, onProgress });
  }

  /** Invocations given to this environment and not ended (its share of `maxConcurrency`). */
  get load() {
    return this.inFlight.size + this.pending.length;
  }

  /** How many more invocations it takes now: none while its init runs or once it is dead. */
  freeSlots() {
    return this.state === 'idle' || this.state === 'busy' ? this.maxConcurrency - this.load : 0;
  }

  /** Lambda's rule: init is complete once one runtime thread polls (or it is over: the environment is gone). */
  get initComplete() {
    return this.state === 'dead' || this.pollersPeak > 0;
  }

  /** Every runtime thread has either polled or failed its init, or the environment is gone. */
  get initSettled() {
    return this.state === 'dead' || this.pollersPeak + this.initErrors >= this.threads;
  }

  runtimeEnvironment(runtimePort, runtime) {
    return {
      UV_THREADPOOL_SIZE: String(this.threads + SPARE_THREADPOOL_THREADS),
      ...super.runtimeEnvironment(runtimePort, runtime), // the function's env may set UV_THREADPOOL_SIZE
      AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances',
      AWS_LAMBDA_MAX_CONCURRENCY: String(this.maxConcurrency),
      AWS_LAMBDA_NODEJS_WORKER_COUNT: String(this.threads),
    };
  }

  async handleRuntimeApi(request, response) {
    const url = request.url ?? '';
    if (request.method === 'GET' && url === `${RUNTIME_PREFIX}/invocation/next`) return this.onNext(response);
    const answer = url.match(ANSWER_PATH);
    if (request.method === 'POST' && answer)
      return this.onAnswer(answer[1], answer[2], await readBody(request), response);
    if (request.method === 'POST' && url === `${RUNTIME_PREFIX}/init/error`)
      return this.onInitError(await readBody(request), response);
    send(response, 404, { errorMessage: `unknown runtime API path ${url}` });
  }

  /** A thread asks for work: init is complete at the first one (Lambda's rule for this mode). */
  onNext(response) {
    if (this.state === 'dead') return send(response, 410, { errorMessage: 'environment is gone' });
    if (this.initMs === undefined) this.initMs = +(performance.now() - this.spawnedAt).toFixed(3);
    if (this.state === 'starting') this.state = 'idle';
    // A thread that dies with its `next` waiting closes the connection: never hand it an invocation.
    response.on('close', () => {
      const index = this.waiters.indexOf(response);
      if (index >= 0) this.waiters.splice(index, 1);
    });
    this.waiters.push(response);
    this.pollersPeak = Math.max(this.pollersPeak, this.waiters.length);
    this.dispatch();
    this.onProgress(this);
  }

  /** A /response or /error: for an in-flight invocation, one past its deadline, or an unknown id. */
  onAnswer(requestId, kind, body, response) {
    const outcome = kind === 'response' ? 'ok' : 'error';
    const invocation = this.inFlight.get(requestId);
    if (invocation !== undefined) {
      send(response, 202, { status: 'OK' });
      return this.finishInvocation(invocation, outcome, body);
    }
    const late = this.overrunning.get(requestId);
    if (late !== undefined) {
      send(response, 202, { status: 'OK' });
      this.overrunning.delete(requestId);
      Object.assign(late, { lateEndMs: Date.now(), lateOutcome: outcome });
      this.say(`late ${kind} for RequestId: ${requestId}, ${late.lateEndMs - late.deadlineMs} ms after its deadline`);
      return;
    }
    this.say(`${kind} for unknown or ended RequestId: ${requestId}, ignored`);
    send(response, 400, {
      errorMessage: `no invocation in flight with id ${requestId}`,
      errorType: 'InvalidRequestID',
    });
  }

  /** One thread's init failed; the others keep serving. The environment dies when all have failed. */
  onInitError(body, response) {
    send(response, 202, { status: 'OK' });
    this.initErrors += 1;
    this.say(`init error in a runtime thread (${this.initErrors} of ${this.threads}): ${body}`);
    if (this.initErrors >= this.threads) {
      this.say('every runtime thread failed its init: the environment is unhealthy');
      this.kill();
    }
    this.onProgress(this);
  }

  /** Pairs waiting `next` calls with pending invocations, oldest first, while a slot is free. */
  dispatch() {
    while (this.waiters.length > 0 && this.pending.length > 0 && this.inFlight.size < this.maxConcurrency) {
      const invocation = this.pending.shift();
      this.inFlight.set(invocation.requestId, invocation);
      this.answerNext(this.waiters.shift(), invocation);
    }
  }

  /** Runs `invocation` here (the pool gives it only while a slot is free); resolves when it ends. */
  run(invocation) {
    if (this.freeSlots() <= 0) throw new Error(`environment ${this.id} has no free slot (${this.state})`);
    this.state = 'busy';
    this.beginRecord(invocation);
    invocation.timer = setTimeout(() => this.timeOut(invocation), this.fn.timeoutMs);
    this.pending.push(invocation);
    this.dispatch();
    return invocation.done;
  }

  /** At the deadline: the invocation failed (its slot is free again), but its code is not stopped. */
  timeOut(invocation) {
    const waiting = this.pending.indexOf(invocation);
    if (waiting >= 0) this.pending.splice(waiting, 1);
    else if (this.inFlight.delete(invocation.requestId)) this.overrunning.set(invocation.requestId, invocation);
    this.finishInvocation(invocation, 'timeout', this.timeoutBody(), 'Sandbox.Timedout');
  }

  finishInvocation(invocation, outcome, body, errorType) {
    if (invocation.outcome !== undefined) return;
    this.inFlight.delete(invocation.requestId);
    const waiting = this.pending.indexOf(invocation);
    if (waiting >= 0) this.pending.splice(waiting, 1);
    this.endRecord(invocation, outcome, body, errorType);
    this.lastUsedAt = Date.now();
    if (this.state === 'busy' && this.load === 0) this.state = 'idle';
    this.dispatch();
    invocation.resolve(invocation);
  }

  /** The process is gone: every invocation given to it fails, and the environment with it. */
  onRuntimeExit(code, signal) {
    this.say(`runtime exited (code ${code}, signal ${signal})`);
    this.waiters = [];
    const body = JSON.stringify({ errorMessage: `Runtime exited with error: ${signal ?? code}` });
    for (const invocation of [...this.pending, ...this.inFlight.values()])
      this.finishInvocation(invocation, 'error', body, 'Runtime.ExitError');
    this.overrunning.clear();
    this.markDead();
  }

  freeze() {
    // Managed Instances run continuously: never frozen between invocations.
  }
}

/** Starts a Managed Instances environment; resolves once its runtime is spawned (its init then runs). */
export function startManagedEnvironment({ id, fn, log, onDead, threads, maxConcurrency, onProgress }) {
  return new ManagedInstanceEnvironment(id, fn, log, onDead, { threads, maxConcurrency, onProgress }).start();
}
