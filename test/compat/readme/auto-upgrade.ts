// The package README's versioning block, inside the configure callback it belongs in.
import { runWorker } from 'temporal-lambda-worker';

export const handler = runWorker({ deploymentName: 'my-service', buildId: 'v1.0' }, (config) => {
  config.workerOptions.taskQueue = 'my-task-queue';
  config.workerOptions.workerDeploymentOptions = {
    defaultVersioningBehavior: 'AUTO_UPGRADE',
  };
});
