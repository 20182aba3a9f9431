// One execution environment for bench/metrics-paths.mjs: a handler from the built package with
// one metrics path (BENCH_METRICS = none | emf | otlp), invoked over IPC like bench/runner.cjs,
// reporting per invocation the CPU time used and what the metrics path cost at its end.
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { runWorker, applyEmfMetrics } = require('../dist/index.cjs');

const variant = process.env.BENCH_METRICS;
let lastSummary;
let emfStartMs;
let emfCostMs;
const handler = runWorker({ deploymentName: process.env.BENCH_DEPLOYMENT, buildId: 'b1' }, (config) => {
  config.workerOptions.taskQueue = process.env.BENCH_TASK_QUEUE;
  config.workerOptions.workflowBundle = { codePath: process.env.BENCH_BUNDLE };
  config.workerOptions.activities = require(path.join(__dirname, '../examples/basic/lib/activities.js'));
  config.idleExitMs = 1_000;
  if (variant === 'emf') {
    // The EMF writer is a summary hook: its cost is the time between the hooks around it.
    config.summaryHooks.push(() => void (emfStartMs = performance.now()));
    applyEmfMetrics(config);
    config.summaryHooks.push(() => void (emfCostMs = performance.now() - emfStartMs));
  }
  if (variant === 'otlp')
    require('../dist/otel/index.cjs').applyMetrics(config, { endpoint: process.env.BENCH_OTLP_ENDPOINT });
  config.summaryHooks.push((summary) => void (lastSummary = summary)); // after the EMF writer's
});
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
    await handler({}, context);
  } catch (caught) {
    error = String(caught?.name ?? caught);
  }
  const used = process.cpuUsage(cpu);
  process.send({
    error,
    cpuMs: (used.user + used.system) / 1000,
    // The OTLP flush runs as a shutdown hook (the only one here); the EMF write after the summary.
    endCostMs: variant === 'otlp' ? lastSummary.hooksMs : variant === 'emf' ? emfCostMs : 0,
    tasks: lastSummary.tasks,
  });
});
