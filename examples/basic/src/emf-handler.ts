// Metrics without a collector: the README's EMF snippet. Temporal's core metrics and each
// invocation's figures go to CloudWatch as Embedded Metric Format lines on stdout; no ADOT layer.
// Build its bundle without makeOtelPlugin if you deploy this one.
import { applyEmfMetrics, runWorker } from 'temporal-lambda-worker';
import * as activities from './activities';
import { TASK_QUEUE } from './workflows';

export const handler = runWorker({ deploymentName: 'sdk-demo', buildId: 'v1' }, (config) => {
  config.workerOptions.taskQueue = TASK_QUEUE;
  config.workerOptions.workflowBundle = { codePath: require.resolve('./workflow-bundle.js') };
  config.workerOptions.activities = activities;
  applyEmfMetrics(config, { namespace: 'SdkDemo/Workers' });
});
