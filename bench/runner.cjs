// Hosts one handler in its own process, as a Lambda execution environment would, and invokes it
// when the parent asks (IPC): { invoke: remainingMs } -> { t0, settledMs, deadlineMs, error, maxRssKb }.
// Under bench/waterfall-probe.cjs each reply also carries what the probe recorded (`waterfall`), and
// with BENCH_CPU_PROFILE=1 the first (cold) one's also the CPU self time per function from its start to
// its first poll.
const { randomUUID } = require('node:crypto');
const { selfTimeBetween } = require('./cpu-profile.cjs');

const probe = globalThis.__tlwWaterfall;
let profileNext = process.env.BENCH_CPU_PROFILE === '1';
const loadStart = performance.timeOrigin + performance.now();
const { handler } = require(process.argv[2]);
probe?.mark('handler module load', loadStart);
process.send({ ready: true, waterfall: probe?.take() });

process.on('message', async ({ invoke }) => {
  const t0 = Date.now();
  const start = performance.timeOrigin + performance.now();
  const deadlineMs = t0 + invoke;
  const context = {
    awsRequestId: randomUUID(),
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
    memoryLimitInMB: '256',
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  const profiler = profileNext ? await startProfiler() : undefined;
  profileNext = false;
  let error;
  try {
    await handler({}, context);
  } catch (caught) {
    error = String(caught?.name ?? caught);
  }
  probe?.mark('invocation', start);
  const waterfall = probe?.take();
  const poll = waterfall?.marks.find((mark) => mark.name === 'first workflow poll (to its task)');
  const cpuToFirstPoll = profiler && poll ? await profiler.stop(start, poll.start) : undefined;
  const reply = { t0, settledMs: Date.now(), deadlineMs, error, maxRssKb: process.resourceUsage().maxRSS, waterfall };
  process.send({ ...reply, cpuToFirstPoll });
});

/**
 * With BENCH_CPU_PROFILE=1: V8's sampling profiler over the cold invocation (every 100 us); `stop`
 * gives the self time per function of the window asked for.
 */
async function startProfiler() {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (e, result) => (e ? reject(e) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  const startedAtMs = performance.timeOrigin + performance.now();
  return {
    async stop(fromMs, toMs) {
      const { profile } = await post('Profiler.stop');
      session.disconnect();
      return selfTimeBetween(profile, startedAtMs, fromMs, toMs);
    },
  };
}
