// The handler of the spec's OpenTelemetry snippet, with only the import paths changed to
// temporal-lambda-worker: metrics and traces go to the ADOT collector layer on localhost:4317.
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
