/**
 * Faults at scale, in the real serverless loop: the Worker Controller scales the function over
 * several execution environments of the Lambda emulator (the real runtime client in each), and
 * the tests break things the way Lambda and networks break them. Bursts stay at 20 workflows or
 * fewer so that each case runs in well under two minutes on a 2-core CI machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
// @ts-expect-error plain ESM script without types
import { startLambdaEmulator } from '../emulator/lambda-emulator.mjs';
// @ts-expect-error plain ESM script without types
import { registerServerlessVersion, startServerWithWorkerController } from '../emulator/controller.mjs';
import { pollUntil } from '../support/poll';
import { closedAddress, uniqueName } from '../support/temporal';
import { templateAsyncConfig } from '../support/template';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures');
const bundlePath = inject('workflowBundlePath');
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Invocation {
  requestId: string;
  environmentId: string;
  cold: boolean;
  outcome?: string;
  errorType?: string;
  marginMs: number;
  source: string;
}
interface Environment {
  id: string;
  state: string;
  kill(): void;
}
interface Emulated {
  invoke(event?: unknown): Promise<Invocation>;
  invocations: Invocation[];
  logs: Array<{ line: string; requestId?: string; environmentId?: string }>;
  apiInvokes: Array<{ at: number; type: string; throttled: boolean }>;
  functionArn: string;
  lambdaApiUrl: string;
  environments(): Environment[];
  summary(): {
    peakBusy: number;
    throttles: number;
    invocations: number;
    errors: number;
    timeouts: number;
    retries: number;
    lateEnds?: number;
    instanceSeconds?: number;
  };
  sample(options: { serverPort: number }): Array<{ id: string; connections: number; rssPeakMb: number }>;
  setEnv(vars: Record<string, string>): void;
  reclaim(): void;
  idle(): Promise<void>;
  stop(): Promise<void>;
}
interface Server {
  address: string;
  stop(): Promise<void>;
}

/** The loop: emulator, server with the controller, a registered version; returns the client. */
async function serverlessLoop(
  options: Record<string, unknown>,
  serverArgs: string[] = [],
  env: Record<string, string> = {},
) {
  const deploymentName = uniqueName('dep');
  const taskQueue = uniqueName('scale');
  // Managed Instances start their environments up front, with the function's env as it is then:
  // the server's address must be known first, so the server gets a port chosen now.
  const address = options.managedInstances === undefined ? undefined : await closedAddress();
  const emu = (await startLambdaEmulator({
    taskRoot: fixtures,
    handler: 'lambda-handler.handler',
    timeoutSeconds: 20,
    ...options,
    env: {
      TLW_WORKFLOW_BUNDLE: bundlePath,
      TLW_DEPLOYMENT_NAME: deploymentName,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TLW_IDLE_EXIT_MS: '3000',
      ...(address === undefined ? {} : { TEMPORAL_ADDRESS: address }),
      ...env,
    },
  })) as Emulated;
  cleanups.push(() => emu.stop());
  const holder: { server: Server } = {
    server: await startServerWithWorkerController({
      lambdaApiUrl: emu.lambdaApiUrl,
      args: [...serverArgs, ...(address === undefined ? [] : ['-port', address.split(':')[1]!])],
    }),
  };
  cleanups.push(() => holder.server.stop());
  emu.setEnv({ TEMPORAL_ADDRESS: holder.server.address });
  const connection = await Connection.connect({ address: holder.server.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection });
  await registerServerlessVersion(connection, { deploymentName, buildId: 'b1', functionArn: emu.functionArn });
  return { emu, client, taskQueue, holder };
}

/** Each workflow's runs as the server lists them: completed exactly once, none lost. */
async function completions(client: Client, taskQueue: string) {
  const byId = new Map<string, number>();
  for await (const info of client.workflow.list({
    query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`,
  })) {
    byId.set(info.workflowId, (byId.get(info.workflowId) ?? 0) + 1);
  }
  return byId;
}

/** Starts `count` slowGreeting workflows of `ms` each at once. */
async function slowBurst(client: Client, taskQueue: string, prefix: string, count: number, ms: number) {
  const ids = Array.from({ length: count }, (_, i) => uniqueName(`${prefix}-${i}`));
  const handles = await Promise.all(
    ids.map((workflowId) => client.workflow.start('slowGreeting', { taskQueue, workflowId, args: [workflowId, ms] })),
  );
  return { ids, handles };
}

/** The log entry of the first activity that started, in whichever environment ran it. */
function firstActivity(emu: Emulated) {
  return pollUntil(() => emu.logs.find((entry) => entry.line.includes('activity started')), {
    timeoutMs: 60_000,
    what: 'an activity to start in one of the environments',
  });
}

describe('faults at scale, under the Worker Controller', () => {
  it('an environment SIGKILLed mid-activity during a burst: its tasks are retried elsewhere, nothing lost', async () => {
    const { emu, client, taskQueue } = await serverlessLoop({ concurrency: 3 });
    await emu.idle();
    const { ids, handles } = await slowBurst(client, taskQueue, 'kill', 15, 2_000);
    const started = await firstActivity(emu);
    const victimId = started.environmentId;
    const victim = emu.environments().find((environment) => environment.id === victimId)!;
    const killedRequest = emu.invocations.find(
      (invocation) => invocation.environmentId === victimId && invocation.outcome === undefined,
    )!;
    victim.kill();

    const results = await Promise.all(handles.map((handle) => handle.result()));
    await emu.idle();
    const retried = results.filter((result) => !result.endsWith('(attempt 1)'));
    const byId = await completions(client, taskQueue);
    console.log(
      `SIGKILL mid-activity: ${results.length} completed, ${retried.length} activities retried elsewhere, ${emu.invocations.length} invocations, peak ${emu.summary().peakBusy} busy environments`,
    );
    expect(killedRequest.outcome).toBe('error');
    expect(killedRequest.errorType).toBe('Runtime.ExitError');
    expect(retried.length).toBeGreaterThan(0);
    expect(ids.every((id) => byId.get(id) === 1)).toBe(true); // none lost, none completed twice
    expect(emu.summary().peakBusy).toBeGreaterThanOrEqual(2);
  }, 150_000);

  it('throttling at the concurrency limit: the controller is answered 429, retries, and nothing is lost', async () => {
    // One environment with one activity slot: a backlog builds, the controller invokes again and
    // again, and every invoke beyond the one running is throttled (asyncQueue: false answers 429).
    const { emu, client, taskQueue } = await serverlessLoop({ concurrency: 1, asyncQueue: false }, [], {
      TLW_MAX_ACTIVITIES: '1',
    });
    await emu.idle();
    const { ids, handles } = await slowBurst(client, taskQueue, 'throttle', 12, 500);
    await Promise.all(handles.map((handle) => handle.result()));
    await emu.idle();
    const firstThrottle = emu.apiInvokes.find((call) => call.throttled);
    const byId = await completions(client, taskQueue);
    console.log(
      `throttling: ${emu.apiInvokes.length} Invoke calls, ${emu.summary().throttles} answered 429, ${emu.summary().invocations} invocations`,
    );
    // The controller's asynchronous invoke, answered 429.
    expect(firstThrottle).toMatchObject({ type: 'Event', throttled: true });
    expect(emu.apiInvokes.some((call) => call.at > firstThrottle!.at)).toBe(true); // called again after a 429
    expect(ids.every((id) => byId.get(id) === 1)).toBe(true);
  }, 150_000);

  it('an environment frozen while the server restarts is reused warm: its kept connection is checked, and it ends before its deadline', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tlw-frozen-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const db = path.join(dir, 'temporal.db');
    const { emu, client, taskQueue, holder } = await serverlessLoop({ concurrency: 1 }, ['-db', db]);
    expect(
      await client.workflow.execute('greeting', { taskQueue, workflowId: uniqueName('before'), args: ['before'] }),
    ).toBe('Hello, before!');
    await emu.idle(); // the environment is now frozen, holding its kept connection
    const [frozen] = emu.environments();
    expect(frozen?.state).toBe('idle');

    const port = holder.server.address.split(':')[1]!;
    await holder.server.stop();
    holder.server = await startServerWithWorkerController({
      lambdaApiUrl: emu.lambdaApiUrl,
      args: ['-db', db, '-port', port],
    });
    await new Promise((resolve) => setTimeout(resolve, 5_000)); // frozen a while longer on the new server

    const before = emu.invocations.length;
    const connection = await Connection.connect({ address: holder.server.address });
    cleanups.push(() => connection.close());
    const after = new Client({ connection });
    expect(
      await after.workflow.execute('greeting', { taskQueue, workflowId: uniqueName('after'), args: ['after'] }),
    ).toBe('Hello, after!');
    await emu.idle();
    const thawed = emu.invocations.slice(before);
    const lines = emu.logs
      .filter((entry) => thawed.some((invocation) => invocation.requestId === entry.requestId))
      .map((entry) => entry.line)
      .join('\n');
    console.log(
      `frozen through a server restart: ${thawed.length} invocation(s) ${JSON.stringify(thawed.map((i) => ({ outcome: i.outcome, cold: i.cold, env: i.environmentId, marginMs: i.marginMs })))}; check: ${/failed its check|did not answer/.test(lines) ? 'kept connection replaced' : 'kept connection answered'}`,
    );
    // An invoke the controller sends while the server restarts may fail (clearly, before its
    // deadline); the one that served the workflow ran warm in the frozen environment.
    expect(
      thawed.some(
        (invocation) => invocation.outcome === 'ok' && !invocation.cold && invocation.environmentId === frozen!.id,
      ),
    ).toBe(true);
    expect(thawed.every((invocation) => invocation.marginMs > 0)).toBe(true);
    // The native connection reconnects by itself to a server back on the same address: the check
    // after the thaw passes and the kept connection is reused.
    expect(lines).toMatch(/"connectionReused":true/);

    // Thawed while the server is down: the check fails within its bound, the connection is
    // replaced (connecting fails too), and the invocation still ends before its deadline.
    await holder.server.stop();
    const down = await emu.invoke({});
    const downLines = emu.logs
      .filter((entry) => entry.requestId === down.requestId)
      .map((entry) => entry.line)
      .join('\n');
    console.log(`thawed with the server down: ${down.outcome}, margin ${down.marginMs} ms`);
    expect(down.environmentId).toBe(frozen!.id);
    expect(down.marginMs).toBeGreaterThan(0);
    expect(downLines).toMatch(/Kept Temporal connection (failed its check|did not answer)/);
  }, 150_000);

  it('a Managed Instances burst: each thread shares one worker, nothing lost, every invocation before its deadline', async () => {
    // One environment of one thread, so that an invocation the controller sends while a worker
    // runs lands beside it; two activity slots a member, so that a backlog builds and the
    // controller invokes again.
    const threads = 1;
    const { emu, client, taskQueue, holder } = await serverlessLoop(
      { managedInstances: { threads, maxConcurrency: 16, environments: 1 } },
      [],
      { TLW_MAX_ACTIVITIES: '2' },
    );
    await emu.idle();
    const serverPort = Number(holder.server.address.split(':').at(-1));
    let peakConnections = 0;
    const sampler = setInterval(() => {
      for (const environment of emu.sample({ serverPort }))
        peakConnections = Math.max(peakConnections, environment.connections);
    }, 200);
    const { ids, handles } = await slowBurst(client, taskQueue, 'mi', 30, 1_000).catch((error: unknown) => {
      clearInterval(sampler);
      throw error;
    });
    try {
      await Promise.all(handles.map((handle) => handle.result()));
      await emu.idle();
    } finally {
      clearInterval(sampler);
    }
    const byId = await completions(client, taskQueue);
    const summary = emu.summary();
    const lines = emu.logs.map((entry) => entry.line);
    const joined = lines.filter((line) => line.includes('"Joined the running worker"')).length;
    const started = lines.filter(
      (line) => line.includes('"sharedWorker":"started"') && line.includes('Worker polling'),
    );
    console.log(
      `Managed Instances burst (1 environment x ${threads} thread x 16): ${summary.invocations} invocations, ` +
        `${started.length} workers started, ${joined} joined, peak ${peakConnections} connections to the server per ` +
        `environment, ${summary.instanceSeconds} instance-seconds`,
    );
    expect(ids.every((id) => byId.get(id) === 1)).toBe(true); // none lost, none completed twice
    expect([summary.errors, summary.timeouts, summary.lateEnds]).toEqual([0, 0, 0]);
    expect(emu.invocations.every((invocation) => invocation.marginMs > 0)).toBe(true);
    expect(started.length).toBeGreaterThan(0);
    expect(joined, 'no invocation joined a running worker').toBeGreaterThan(0);
    // One worker per thread, and one more connection beside a worker that drains.
    expect(peakConnections).toBeLessThanOrEqual(2 * threads);
  }, 150_000);

  it('a Managed Instances environment SIGKILLed mid-activity: the other serves its tasks, nothing lost', async () => {
    const { emu, client, taskQueue } = await serverlessLoop(
      { managedInstances: { threads: 1, maxConcurrency: 16, environments: 2 } },
      [],
      { TLW_MAX_ACTIVITIES: '2' },
    );
    await emu.idle();
    const { ids, handles } = await slowBurst(client, taskQueue, 'mi-kill', 12, 2_000);
    const started = await firstActivity(emu);
    const victim = emu.environments().find((environment) => environment.id === started.environmentId)!;
    const inVictim = emu.invocations.filter(
      (invocation) => invocation.environmentId === victim.id && invocation.outcome === undefined,
    );
    victim.kill();
    const results = await Promise.all(handles.map((handle) => handle.result()));
    await emu.idle();
    const byId = await completions(client, taskQueue);
    const retried = results.filter((result) => !result.endsWith('(attempt 1)'));
    console.log(
      `Managed Instances, an environment SIGKILLed: ${inVictim.length} invocation(s) in it failed, ` +
        `${retried.length} activities retried in the other, ${emu.invocations.length} invocations`,
    );
    expect(inVictim.length).toBeGreaterThan(0);
    expect(inVictim.every((invocation) => invocation.outcome === 'error')).toBe(true);
    expect(retried.length).toBeGreaterThan(0);
    expect(ids.every((id) => byId.get(id) === 1)).toBe(true);
    expect(emu.environments().map((environment) => environment.id)).not.toContain(victim.id);
  }, 150_000);

  it('a configuration error under a burst: Lambda retries each failed event twice by default, not with the template', async () => {
    const counts: Array<{ invocations: number; invokes: number; retries: number }> = [];
    const policies: Array<{ maximumRetryAttempts?: number }> = [{}, templateAsyncConfig()];
    for (const policy of policies) {
      const { emu, client, taskQueue } = await serverlessLoop({
        concurrency: 2,
        retryDelaysMs: [1_000, 2_000],
        ...policy,
      });
      await emu.idle();
      // A deploy that breaks the configuration: a setting the library refuses at init (idleExitMs
      // -1), so every invocation fails the same way. New environments get it.
      emu.setEnv({ TLW_IDLE_EXIT_MS: '-1' });
      emu.reclaim();
      const before = emu.invocations.length;
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          client.workflow.start('greeting', { taskQueue, workflowId: uniqueName(`config-${i}`), args: ['x'] }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      await emu.idle();
      // An event keeps its request id through Lambda's retries: attempts per event, as ended now.
      const ended = emu.invocations.slice(before).filter((invocation) => invocation.outcome !== undefined);
      const attempts = new Map<string, number>();
      for (const invocation of ended) attempts.set(invocation.requestId, (attempts.get(invocation.requestId) ?? 0) + 1);
      counts.push({ invocations: ended.length, invokes: attempts.size, retries: emu.summary().retries });
      expect(ended.every((invocation) => invocation.outcome === 'error')).toBe(true);
      expect(Math.max(...attempts.values())).toBe(1 + (policy.maximumRetryAttempts ?? 2));
    }
    const [lambdaDefaults, template] = counts as [(typeof counts)[0], (typeof counts)[0]];
    const perInvoke = (c: (typeof counts)[0]) => c.invocations / c.invokes;
    console.log(
      `a configuration error under a burst: ${lambdaDefaults.invocations} invocations for ${lambdaDefaults.invokes} ` +
        `controller invokes with Lambda's defaults (${perInvoke(lambdaDefaults).toFixed(2)} each), ` +
        `${template.invocations} for ${template.invokes} with the template's EventInvokeConfig ` +
        `(${perInvoke(template).toFixed(2)} each): ${(perInvoke(template) / perInvoke(lambdaDefaults)).toFixed(2)}x`,
    );
    expect(perInvoke(lambdaDefaults)).toBeGreaterThan(2.5);
    expect(template.retries).toBe(0);
    expect(perInvoke(template)).toBe(1);
  }, 150_000);

  it('an API key rotated mid-burst: the old key refused by the server, the new one read, nothing lost', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tlw-rotate-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const [oldKey, newKey] = ['tlw-burst-key-old-5d2c81', 'tlw-burst-key-new-a93f07'];
    const accepted = path.join(dir, 'accepted');
    const store = path.join(dir, 'store');
    writeFileSync(accepted, `${oldKey}\n`);
    writeFileSync(store, oldKey);
    const { emu, client, taskQueue } = await serverlessLoop({ concurrency: 3 }, ['-api-keys-file', accepted], {
      TLW_API_KEY_FILE: store,
      TLW_API_KEY_MAX_AGE_MS: '2000',
      TEMPORAL_TLS: 'false',
    });
    await emu.idle();
    const { ids, handles } = await slowBurst(client, taskQueue, 'rotate', 20, 500);
    const results = handles.map((handle) => handle.result());
    await Promise.all(results.slice(0, 5));
    // Rotation with no overlap, mid-burst: the store holds the new key, the server refuses the old.
    const rotatedAt = emu.invocations.length;
    writeFileSync(store, newKey);
    writeFileSync(accepted, `${newKey}\n`);
    await Promise.all(results);
    await emu.idle();
    // The burst may end on the workers that ran at the rotation; the next backlog after it
    // invokes again, and that invocation reads the key that is due, in a warm environment.
    const later = await slowBurst(client, taskQueue, 'after-rotation', 5, 200);
    await Promise.all(later.handles.map((handle) => handle.result()));
    await emu.idle();
    const byId = await completions(client, taskQueue);
    const after = emu.invocations.slice(rotatedAt);
    const failed = emu.invocations.filter((invocation) => invocation.outcome !== 'ok');
    const lines = emu.logs.map((entry) => entry.line).join('\n');
    console.log(
      `an API key rotated mid-burst: ${emu.invocations.length} invocations, ${after.length} after the rotation, ` +
        `${failed.length} failed (${failed.map((i) => i.errorType).join(', ') || 'none'}), ` +
        `${(lines.match(/Temporal API key rotated/g) ?? []).length} environment(s) read the new key`,
    );
    expect([...ids, ...later.ids].every((id) => byId.get(id) === 1)).toBe(true);
    expect(lines).toMatch(/Temporal API key rotated: a new key from the test key file is in use/);
    expect(lines.includes(oldKey) || lines.includes(newKey), 'a key reached a log line').toBe(false);
    expect(emu.invocations.every((invocation) => invocation.marginMs > 0)).toBe(true);
  }, 150_000);
});
