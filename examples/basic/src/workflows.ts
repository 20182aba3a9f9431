import { proxyActivities, setWorkflowOptions } from '@temporalio/workflow';
import type * as activities from './activities';

/** The task queue this worker polls; the Worker Deployment Version serves it. */
export const TASK_QUEUE = 'lambda-example';

const { composeGreeting } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** Greets; short enough to finish within one invocation. */
export async function greet(name: string): Promise<string> {
  return await composeGreeting('Hello', name);
}

// Pinned: a running greeting stays on the Worker Deployment Version (and Lambda version) it started on.
setWorkflowOptions({ versioningBehavior: 'PINNED' }, greet);
