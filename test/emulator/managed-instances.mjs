// The emulator's Lambda Managed Instances mode: a fixed set of `environments` started (and their
// init run) up front, as publishing a function version launches its instances before the
// version is active; each runs up to `maxConcurrency` invocations at once in `threads` runtime
// threads (managed-environment.mjs). Lambda Managed Instances do not scale on invocation (they
// scale asynchronously on CPU and concurrency saturation, which this does not model): no cold
// start, no reaper, no freeze. When every slot is taken an invocation waits in the queue (a
// direct or Event invoke) or is throttled (a RequestResponse invoke of the Lambda API). Billing is
// per instance-time, so the summary reports each environment's live wall time, not GB-seconds.
import { EnvironmentPool } from './environment-pool.mjs';
import { startManagedEnvironment } from './managed-environment.mjs';

const OPTIONS = ['threads', 'maxConcurrency', 'environments'];
/** Lambda launches three execution environments by default, for Availability Zone resiliency. */
const DEFAULT_ENVIRONMENTS = 3;
/**
 * How long start-up waits for the other threads once each environment has one polling (Lambda's
 * init is complete then): all threads polling makes tests deterministic, but a threadpool smaller
 * than the thread count lets only some long-polls through, and the rest may never arrive.
 */
const OTHER_THREADS_GRACE_MS = 3_000;

/**
 * The `managedInstances` option of startLambdaEmulator, checked: positive integers, no unknown
 * keys, and none of the default mode's scaling options beside it.
 */
export function managedInstancesSettings(value, options) {
  const where = 'startLambdaEmulator: managedInstances';
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${where} must be { threads, maxConcurrency, environments }, received ${JSON.stringify(value)}`);
  const unknown = Object.keys(value).filter((key) => !OPTIONS.includes(key));
  if (unknown.length > 0)
    throw new Error(`${where} has unknown option(s) ${unknown.join(', ')}: use ${OPTIONS.join(', ')}`);
  const settings = { environments: DEFAULT_ENVIRONMENTS, ...value };
  for (const key of OPTIONS) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1)
      throw new Error(`${where}.${key} must be a positive integer, received ${JSON.stringify(settings[key])}`);
  }
  const defaultModeOnly = ['concurrency', 'reapAfterMs'].filter((key) => options[key] !== undefined);
  if (defaultModeOnly.length > 0)
    throw new Error(
      `startLambdaEmulator: ${defaultModeOnly.join(' and ')} ${defaultModeOnly.length > 1 ? 'do' : 'does'} not apply ` +
        'with managedInstances, which runs a fixed set of `environments`, each up to `maxConcurrency` invocations at ' +
        'once: remove it',
    );
  return settings;
}

export class ManagedInstancesPool extends EnvironmentPool {
  allEnvironments = []; // every environment started, live or dead: their wall time is billed
  peakInFlight = new Map(); // environment id -> most invocations given to it at once
  readyWaiters = [];
  graceTimer = undefined;

  /** Several invocations share an environment: a line's request id is the one the runtime client logged. */
  requestIdOf(line) {
    if (!line.startsWith('{')) return undefined;
    try {
      return JSON.parse(line).requestId;
    } catch {
      return undefined;
    }
  }

  /**
   * Starts the environments and waits for their init: every thread polling or failed, in each, or
   * once each has one thread polling, OTHER_THREADS_GRACE_MS more at most.
   */
  async startEnvironments() {
    const { environments } = this.managedInstances;
    await Promise.all(Array.from({ length: environments }, () => this.startEnvironment()));
    this.stats.peakEnvironments = this.environments.size;
    await new Promise((resolve) => {
      this.readyWaiters.push(resolve);
      this.onProgress();
    });
  }

  async startEnvironment() {
    const id = `env-${this.nextEnvironmentId++}`;
    this.stats.environmentsCreated += 1;
    const environment = await startManagedEnvironment({
      id,
      fn: this.fn(),
      log: this.log,
      onDead: (dead) => this.onDead(dead),
      onProgress: () => this.onProgress(),
      threads: this.managedInstances.threads,
      maxConcurrency: this.managedInstances.maxConcurrency,
    });
    this.allEnvironments.push(environment);
    this.peakInFlight.set(id, 0);
    if (this.stopped) return environment.kill();
    this.environments.add(environment);
  }

  onProgress() {
    this.schedule();
    if (this.readyWaiters.length === 0 || this.allEnvironments.length < this.managedInstances.environments) return;
    if (this.allEnvironments.every((environment) => environment.initSettled)) return this.ready();
    if (this.graceTimer === undefined && this.allEnvironments.every((environment) => environment.initComplete)) {
      this.graceTimer = setTimeout(() => {
        for (const environment of this.allEnvironments.filter((each) => !each.initSettled))
          this.log(
            `only ${environment.pollersPeak} of ${environment.threads} runtime threads polled after ${OTHER_THREADS_GRACE_MS} ms (UV_THREADPOOL_SIZE too small?)`,
            'emulator',
            environment,
          );
        this.ready();
      }, OTHER_THREADS_GRACE_MS);
    }
  }

  ready() {
    clearTimeout(this.graceTimer);
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  busyCount() {
    return [...this.environments].filter((environment) => environment.load > 0).length;
  }

  /**
   * The least-loaded environment with a free slot (the first started among equals): spreading
   * keeps each environment's load, and so its latency and memory, as even as a load balancer
   * would, and makes a bench's per-environment figures predictable. Packing (the most recent
   * first, as the default mode does to let idle environments be reaped) has no purpose here:
   * nothing is reaped.
   */
  freeEnvironment() {
    const open = [...this.environments].filter((environment) => environment.freeSlots() > 0);
    return open.sort((a, b) => a.load - b.load || this.allEnvironments.indexOf(a) - this.allEnvironments.indexOf(b))[0];
  }

  hasCapacity() {
    return this.freeEnvironment() !== undefined;
  }

  schedule() {
    while (!this.stopped && this.queue.length > 0) {
      const environment = this.freeEnvironment();
      if (environment === undefined) break;
      this.run(environment, this.queue.shift());
    }
    // Environments are not replaced: with none left, queued invocations fail instead of hanging.
    const started = this.allEnvironments.length === this.managedInstances.environments;
    if (!this.stopped && started && this.environments.size === 0) {
      const error = new Error('no execution environment is left (each one failed its init or exited)');
      for (const invocation of this.queue.splice(0)) this.failToStart(invocation, error);
    }
  }

  run(environment, invocation) {
    environment.run(invocation).then(() => {
      this.schedule();
      this.settleWaiters();
    });
    this.peakInFlight.set(environment.id, Math.max(this.peakInFlight.get(environment.id), environment.load));
    this.stats.peakBusy = Math.max(this.stats.peakBusy, this.busyCount());
  }

  armReaper() {
    // Managed Instances keep their environments: nothing is reaped.
  }

  throttleReason() {
    const { environments, maxConcurrency } = this.managedInstances;
    return `every slot busy (${environments} environment(s) x maxConcurrency ${maxConcurrency})`;
  }

  /**
   * The default mode's figures (billed ms kept per invocation for information) with instance-time
   * billing: `instanceMs`, each environment's wall time from its start to its end (or now), summed
   * over all of them, whatever `since` says; no GB-seconds.
   */
  summary(since = 0) {
    const { gbSeconds, ...figures } = super.summary(since);
    const now = Date.now();
    const instanceMs = this.allEnvironments.reduce((sum, e) => sum + ((e.endedAt ?? now) - e.createdAt), 0);
    const ended = this.invocations.slice(since);
    return {
      ...figures,
      mode: 'managedInstances',
      instanceMs,
      instanceSeconds: +(instanceMs / 1000).toFixed(3),
      lateEnds: ended.filter((invocation) => invocation.lateEndMs !== undefined).length,
      peakInFlightPerEnvironment: Object.fromEntries(this.peakInFlight),
    };
  }
}
