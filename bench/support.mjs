// Small helpers the bench scripts share.

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes build b1 of `deploymentName` current once the server knows it (after its first poll). */
export async function makeCurrent(client, deploymentName) {
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(200)) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: 'default',
        deploymentName,
        buildId: 'b1',
        ignoreMissingTaskQueues: true,
      });
      return;
    } catch {
      // not registered yet
    }
  }
  throw new Error(`${deploymentName} never became current`);
}
