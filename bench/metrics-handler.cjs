// One execution environment for bench/metrics-paths.mjs: the function of bench/metrics-function.cjs,
// invoked over IPC like bench/runner.cjs, reporting per invocation the CPU time used and what the
// telemetry path cost at its end.
const { randomUUID } = require('node:crypto');
const fn = require('./metrics-function.cjs');

const variant = process.env.BENCH_METRICS;
process.send({ ready: true });

process.on('message', async ({ invoke }) => {
  const deadlineMs = Date.now() + invoke;
  const context = {
    awsRequestId: randomUUID(),
    functionName: 'bench',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  const cpu = process.cpuUsage();
  let error;
  try {
    await fn.handler({}, context);
  } catch (caught) {
    error = String(caught?.name ?? caught);
  }
  const used = process.cpuUsage(cpu);
  const { lastSummary, emfCostMs } = fn.state;
  process.send({
    error,
    cpuMs: (used.user + used.system) / 1000,
    // The OTLP flush runs as a shutdown hook (the only one here); the EMF write after the summary.
    endCostMs: variant === 'emf' ? emfCostMs : variant === 'none' ? 0 : lastSummary.hooksMs,
    tasks: lastSummary.tasks,
  });
});
