// Registers a Worker Deployment Version whose compute config points the Temporal Worker
// Controller at a Lambda function (provider aws-lambda, scaler no-sync), through the raw
// workflow-service RPCs (the high-level client has no compute-config API yet), waits until the
// version's task queues are registered (by the controller's first invoke of the function), and
// sets it current. Also starts a Temporal server with the controller on, pointed at a loopback
// Lambda API.
import { randomUUID } from 'node:crypto';
import { startTestServer } from '../../scripts/testserver.mjs';

/** A Temporal server with the Worker Controller on, calling the Lambda API at `lambdaApiUrl`. */
export function startServerWithWorkerController({ lambdaApiUrl, args = [] }) {
  return startTestServer({
    args: [
      '-dynamic',
      'workercontroller.enabled=true',
      '-dynamic',
      'workercontroller.compute_providers.enabled=["aws-lambda"]',
      '-dynamic',
      'workercontroller.scaling_algorithms.enabled=["no-sync"]',
      '-dynamic',
      'workercontroller.compute_providers.aws.require_role_and_external_id=false',
      ...args,
    ],
    env: {
      AWS_ENDPOINT_URL: lambdaApiUrl,
      AWS_ACCESS_KEY_ID: 'loopback',
      AWS_SECRET_ACCESS_KEY: 'loopback',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
    },
  });
}

const jsonPayload = (value) => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(value)),
});

function isAlreadyExists(error) {
  return /already exists|AlreadyExists/i.test(String(error?.message ?? error)) || error?.code === 6;
}

/** Creates the deployment and its version with a Lambda compute config, then makes it current. */
export async function registerServerlessVersion(
  connection,
  { namespace = 'default', deploymentName, buildId, functionArn, timeoutMs = 60_000, log = () => {} },
) {
  const service = connection.workflowService;
  const identity = 'temporal-lambda-worker-setup';
  try {
    await service.createWorkerDeployment({ namespace, deploymentName, identity, requestId: randomUUID() });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  log(`Creating version ${deploymentName}/${buildId} with compute provider aws-lambda (${functionArn})`);
  await service.createWorkerDeploymentVersion({
    namespace,
    deploymentVersion: { deploymentName, buildId },
    computeConfig: {
      scalingGroups: {
        default: {
          provider: { type: 'aws-lambda', details: jsonPayload({ arn: functionArn }) },
          scaler: { type: 'no-sync' },
        },
      },
    },
    identity,
    requestId: randomUUID(),
  });
  const until = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const described = await service.describeWorkerDeploymentVersion({
        namespace,
        deploymentVersion: { deploymentName, buildId },
      });
      if ((described.workerDeploymentVersionInfo?.taskQueueInfos ?? []).length > 0) break;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > until)
      throw new Error(
        `The version's task queues were not registered within ${timeoutMs} ms: ${lastError ?? 'no task queue yet'}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await service.setWorkerDeploymentCurrentVersion({
    namespace,
    deploymentName,
    buildId,
    identity,
    ignoreMissingTaskQueues: true,
  });
  log(`Version ${deploymentName}/${buildId} is current`);
}
