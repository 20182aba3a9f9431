// The Lambda Managed Instances sides of the burst bench (bench/burst.mjs): the slots, a relay for
// the Lambda API, the one-second sampler of connections, memory and pollers, and the section of
// bench/RESULTS.md with its ratios.
import { createServer, request as httpRequest } from 'node:http';

/**
 * 2 environments x 2 runtime threads x up to 32 invocations each. Two threads per environment, one
 * per core of the 2-core bench machine: each thread loads its own Temporal Runtime (about 40 MB and
 * a tokio pool per thread, docs/design/issue-20-research.md section 1), and 2 keeps the runtime's
 * long-polls under libuv's 4 default threadpool threads (the starvation seen from 4 threads up; the
 * emulator gives the runtime threads + 4 anyway). Two environments, not Lambda's default 3, so that
 * the 4 runtime threads of the function are not more than twice the cores; 2 still shows the
 * per-environment figures and the spreading. maxConcurrency 32 per environment: 64 slots in all,
 * more than one worker per invocation holds at once in a 1000-workflow burst (about 35), so those
 * sides differ by what one invocation costs, not by queueing; a shared worker's members stay until
 * the worker ends and can fill them (then invokes wait: the invocations record shows it).
 */
export const MI_SLOTS = slotsFromEnv(process.env.BURST_MI_SLOTS) ?? { threads: 2, maxConcurrency: 32, environments: 2 };

/**
 * BURST_MI_SLOTS=<threads>x<maxConcurrency>x<environments> (4x32x1, say) replaces the slots, for a
 * probe; BURST_MI_UV_THREADPOOL_SIZE sets the runtime's UV_THREADPOOL_SIZE (the emulator's default
 * is threads + 4) to reproduce the threadpool starvation of section 1 of the research notes.
 */
function slotsFromEnv(value) {
  if (value === undefined || value === '') return undefined;
  const numbers = value.split('x').map(Number);
  if (numbers.length !== 3 || !numbers.every((n) => Number.isInteger(n) && n > 0))
    throw new Error(`BURST_MI_SLOTS must be <threads>x<maxConcurrency>x<environments>, received '${value}'`);
  const [threads, maxConcurrency, environments] = numbers;
  return { threads, maxConcurrency, environments };
}

/**
 * The function env the Managed Instances sides add: UV_THREADPOOL_SIZE when BURST_MI_UV_THREADPOOL_SIZE
 * is set, and TLW_WORKER_OPTIONS (ours only: JSON merged into workerOptions) when BURST_MI_WORKER_OPTIONS is.
 */
export const MI_FUNCTION_ENV = {
  ...(process.env.BURST_MI_UV_THREADPOOL_SIZE ? { UV_THREADPOOL_SIZE: process.env.BURST_MI_UV_THREADPOOL_SIZE } : {}),
  ...(process.env.BURST_MI_WORKER_OPTIONS ? { TLW_WORKER_OPTIONS: process.env.BURST_MI_WORKER_OPTIONS } : {}),
};

export const MI_SIDE_NAMES = {
  'ours-mi': 'ours, shared worker (the default under MI)',
  'ours-mi-per-invocation': 'ours, one worker per invocation (shareWorker = false)',
  'official-mi': 'official 1.23.0',
};

/** A poller counts as live while its last poll arrived within this (a busy worker polls again at once). */
const POLLER_FRESH_MS = 10_000;
const TASK_QUEUE_TYPES = { workflow: 1, activity: 2 }; // temporal.api.enums.v1.TaskQueueType

/**
 * An HTTP relay to the emulator's Lambda API. Managed Instances start their environments (and so
 * read TEMPORAL_ADDRESS) inside startLambdaEmulator, but the server needs the Lambda API's URL to
 * start: the server is given the relay's URL first, and the relay the emulator's once it runs.
 */
export async function startLambdaApiRelay() {
  let target;
  const server = createServer((request, response) => {
    if (target === undefined) {
      response.writeHead(503).end('the emulator is not up yet');
      return;
    }
    const upstream = httpRequest(
      new URL(request.url ?? '/', target),
      { method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => response.writeHead(502).end(String(error)));
    request.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    setTarget: (url) => {
      target = url;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The identities the server lists polling the task queue (workflow and activity tasks), with their last poll. */
async function listedPollers(connection, taskQueue) {
  const lastPollMs = new Map();
  for (const taskQueueType of Object.values(TASK_QUEUE_TYPES)) {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      taskQueueType,
    });
    for (const { identity, lastAccessTime } of pollers ?? []) {
      const atMs = Number(lastAccessTime?.seconds ?? 0) * 1000 + Math.floor((lastAccessTime?.nanos ?? 0) / 1e6);
      lastPollMs.set(identity, Math.max(lastPollMs.get(identity) ?? 0, atMs));
    }
  }
  return lastPollMs;
}

/**
 * Samples every second, until `stop()`: per environment, TCP connections to the server's port and
 * peak RSS (emulator.sample); the pollers the server lists on the task queue, counting only polls
 * made after the burst started. Pollers: `peak` is the most identities at one sample whose last
 * poll is under POLLER_FRESH_MS old (the server keeps an identity listed for
 * matching.PollerHistoryTTL, 5 minutes, after its last poll), `seen` every identity (one per worker).
 */
export function startBurstSampler({ emulator, connection, taskQueue, serverPort, startedAt }) {
  const environments = new Map(); // id -> { connections, rssPeakMb } peaks
  const seen = new Set();
  const pollers = { peak: 0, failures: 0 };
  let peakConnectionsAtOnce = 0;
  let rssPeakMbAtStart; // per environment, the first sample's: what the registration and init left
  const sampleOnce = async () => {
    const samples = emulator.sample({ serverPort });
    rssPeakMbAtStart ??= Object.fromEntries(samples.map(({ id, rssPeakMb }) => [id, rssPeakMb]));
    for (const { id, connections, rssPeakMb } of samples) {
      const peak = environments.get(id) ?? { connections: 0, rssPeakMb: 0 };
      environments.set(id, {
        connections: Math.max(peak.connections, connections),
        rssPeakMb: Math.max(peak.rssPeakMb, rssPeakMb),
      });
    }
    peakConnectionsAtOnce = Math.max(
      peakConnectionsAtOnce,
      samples.reduce((sum, each) => sum + each.connections, 0),
    );
    try {
      const now = Date.now();
      let fresh = 0;
      for (const [identity, atMs] of await listedPollers(connection, taskQueue)) {
        if (atMs < startedAt) continue; // a worker of the version's registration, before the burst
        seen.add(identity);
        if (now - atMs < POLLER_FRESH_MS) fresh += 1;
      }
      pollers.peak = Math.max(pollers.peak, fresh);
    } catch {
      pollers.failures += 1;
    }
  };
  let running = sampleOnce();
  const timer = setInterval(() => {
    running = running.then(sampleOnce);
  }, 1000);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await sampleOnce();
      const perEnvironment = [...environments].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
      return {
        peakConnectionsPerEnvironment: perEnvironment.map(([, peak]) => peak.connections),
        peakConnectionsAtOnce,
        peakRssMbPerEnvironment: perEnvironment.map(([, peak]) => peak.rssPeakMb),
        peakRssMbAtStartPerEnvironment: perEnvironment.map(([id]) => rssPeakMbAtStart?.[id] ?? 0),
        peakPollers: pollers.peak,
        workersSeen: seen.size,
        pollerSampleFailures: pollers.failures,
      };
    },
  };
}

const sum = (values) => values.reduce((total, each) => total + each, 0);
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

/** The Managed Instances section of bench/RESULTS.md: a table of the MI sides and the shared worker's ratios. */
export function managedInstancesSection(results, { workflows, activityMs, timeoutSeconds }) {
  const s = (ms) => (ms / 1000).toFixed(1);
  const { threads, maxConcurrency, environments } = MI_SLOTS;
  const rows = results.map(
    (r) =>
      `| ${MI_SIDE_NAMES[r.side]} | ${r.completed} | ${r.lost} | ${r.duplicated} | ${r.retried} | ${s(r.firstStartToLastCloseMs)} | ${s(r.p50LatencyMs)} | ${s(r.p99LatencyMs)} | ${r.invocations} | ${r.timeouts} | ${r.lateEnds} | ${r.errors} | ${r.peakConnectionsPerEnvironment.join(' / ')} | ${r.peakPollers} | ${r.workersSeen} | ${r.peakRssMbAtStartPerEnvironment.map((mb) => mb.toFixed(0)).join(' / ')} | ${r.peakRssMbPerEnvironment.map((mb) => mb.toFixed(0)).join(' / ')} | ${r.burstInstanceSeconds.toFixed(1)} |`,
  );
  const bySide = Object.fromEntries(results.map((r) => [r.side, r]));
  const shared = bySide['ours-mi'];
  const ratios = [];
  for (const [other, label] of [
    ['ours-mi-per-invocation', 'one worker per invocation'],
    ['official-mi', 'official'],
  ]) {
    const base = bySide[other];
    if (shared === undefined || base === undefined) continue;
    ratios.push(
      `| shared / ${label} | ${ratio(sum(shared.peakConnectionsPerEnvironment), sum(base.peakConnectionsPerEnvironment))} | ${ratio(sum(shared.peakRssMbPerEnvironment), sum(base.peakRssMbPerEnvironment))} | ${ratio(shared.firstStartToLastCloseMs, base.firstStartToLastCloseMs)} |`,
    );
  }
  return [
    '## Burst under Lambda Managed Instances: a shared worker against one per invocation',
    '',
    `\`node bench/burst.mjs ${workflows} <concurrency> ${timeoutSeconds} ours-mi,ours-mi-per-invocation,official-mi\` (${new Date().toISOString().slice(0, 10)}): ${workflows} workflows started at once, each one activity of ${activityMs} ms, with no`,
    'invocation running; the real Worker Controller invokes the function in the emulator in its Managed Instances mode (the',
    `real aws-lambda-ric, multi-concurrent): ${environments} environments started up front, ${threads} runtime threads each, up to ${maxConcurrency} invocations at once`,
    `per environment (UV_THREADPOOL_SIZE ${MI_FUNCTION_ENV.UV_THREADPOOL_SIZE ?? `${threads + 4}, the emulator's threads + 4`}), ${timeoutSeconds} s timeout recorded but not enforced (late ends`,
    `counted); Node 22.${MI_FUNCTION_ENV.TLW_WORKER_OPTIONS ? ` Ours with workerOptions ${MI_FUNCTION_ENV.TLW_WORKER_OPTIONS} (a probe).` : ''} Each side on a fresh server.`,
    'Sampled every second during the burst: TCP connections from each runtime process to the server, peak RSS of each',
    "runtime process (VmHWM, so it includes the version's registration before the burst), and the server's DescribeTaskQueue",
    'pollers (workflow and activity types, by identity: each worker polls with its own), counting only polls made after the',
    'first start. Peak pollers: the most identities at one sample whose last poll was under 10 s old (the server lists an',
    'identity for 5 minutes after its last poll); workers seen: every identity that polled. Instance-seconds: environments x wall time from',
    'the first start to the end of the last invocation the burst caused.',
    '',
    '| Side | Completed | Lost | Duplicated | Activities retried | First start to last close (s) | p50 latency (s) | p99 latency (s) | Invocations | Timed out | Late ends | Errors | Peak connections per environment | Peak pollers | Workers seen | Peak RSS per environment at the first start (MB) | Peak RSS per environment (MB) | Instance-s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(ratios.length === 0
      ? []
      : [
          'Ratios (connections and RSS: the per-environment peaks summed):',
          '',
          '| | Connections | RSS | First start to last close |',
          '|---|---|---|---|',
          ...ratios,
        ]),
  ].join('\n');
}
