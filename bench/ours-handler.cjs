// The same worker with temporal-lambda-worker (copied next to its activities and bundle, then packed).
const path = require('node:path');
const { runWorker } = require('temporal-lambda-worker');
const activities = require('./activities.js');

exports.handler = runWorker({ deploymentName: process.env.BENCH_DEPLOYMENT, buildId: 'b1' }, (config) => {
  config.workerOptions.taskQueue = process.env.BENCH_TASK_QUEUE;
  config.workerOptions.workflowBundle = { codePath: path.join(__dirname, 'workflow-bundle.js') };
  config.workerOptions.activities = activities;
});
