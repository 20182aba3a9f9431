// The same worker with the official @temporalio/lambda-worker 1.23.0 (bench/node_modules).
const { runWorker } = require('@temporalio/lambda-worker');
const activities = require(process.env.BENCH_ACTIVITIES);

exports.handler = runWorker({ deploymentName: process.env.BENCH_DEPLOYMENT, buildId: 'b1' }, (config) => {
  config.workerOptions.taskQueue = process.env.BENCH_TASK_QUEUE;
  config.workerOptions.workflowBundle = { codePath: process.env.BENCH_BUNDLE };
  config.workerOptions.activities = activities;
});
