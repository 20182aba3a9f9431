// Hosts one handler in its own process, as a Lambda execution environment would, and invokes it
// when the parent asks (IPC): { invoke: remainingMs } -> { t0, settledMs, deadlineMs, error, maxRssKb }.
// Under bench/waterfall-probe.cjs each reply also carries what the probe recorded (`waterfall`).
const { randomUUID } = require('node:crypto');

const probe = globalThis.__tlwWaterfall;
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
  let error;
  try {
    await handler({}, context);
  } catch (caught) {
    error = String(caught?.name ?? caught);
  }
  probe?.mark('invocation', start);
  const waterfall = probe?.take();
  process.send({ t0, settledMs: Date.now(), deadlineMs, error, maxRssKb: process.resourceUsage().maxRSS, waterfall });
});
