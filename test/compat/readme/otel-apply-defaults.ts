// applyDefaults: the Serverless Workers page (after the worker options), then the package README
// (before them).
import { runWorker } from 'temporal-lambda-worker';
import { applyDefaults } from 'temporal-lambda-worker/otel';
import * as activities from './activities';
import { TASK_QUEUE } from './workflows';

export const handler = runWorker({ deploymentName: 'sdk-demo', buildId: 'v1' }, (config) => {
  config.workerOptions.taskQueue = TASK_QUEUE;
  config.workerOptions.workflowBundle = {
    codePath: require.resolve('./workflow-bundle.js'),
  };
  config.workerOptions.activities = activities;
  applyDefaults(config);
});

export const readmeHandler = runWorker({ deploymentName: 'my-service', buildId: 'v1.0' }, (config) => {
  applyDefaults(config);
  config.workerOptions.taskQueue = 'my-task-queue';
  config.workerOptions.workflowBundle = { code: require('./workflow-bundle.js') };
  config.workerOptions.activities = activities;
});
