// The burst bench's function with temporal-lambda-worker. TLW_IDLE_EXIT_MS=off turns idle exit
// off (poll until the deadline, as the official package does); unset keeps the default.
const { runWorker } = require('temporal-lambda-worker');
const activities = require(process.env.BENCH_ACTIVITIES);

exports.handler = runWorker({ deploymentName: process.env.BENCH_DEPLOYMENT, buildId: 'b1' }, (config) => {
  config.workerOptions.taskQueue = process.env.BENCH_TASK_QUEUE;
  config.workerOptions.workflowBundle = { codePath: process.env.BENCH_BUNDLE };
  config.workerOptions.activities = activities;
  if (process.env.TLW_IDLE_EXIT_MS === 'off') config.idleExitMs = false;
});
