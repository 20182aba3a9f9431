// The worker options ours runs the example with (src/defaults.ts's Lambda defaults, the version,
// no eager activities), for the SDK-alone references: the plain Worker of the throughput rows and
// the SDK floor of the first-poll rows. `inProcess` adds what ours sets by default to run workflows
// in the handler's thread (debugMode with a bounded activation time) instead of a worker thread.
exports.oursWorkerOptions = ({ connection, taskQueue, deployment, bundle, activities, inProcess = false }) => ({
  connection,
  taskQueue,
  workflowBundle: { codePath: bundle },
  activities,
  maxConcurrentActivityTaskExecutions: 2,
  maxConcurrentWorkflowTaskExecutions: 10,
  maxConcurrentLocalActivityExecutions: 2,
  workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 2 },
  activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 1 },
  maxCachedWorkflows: 30,
  shutdownGraceTime: 5_000,
  maxEagerActivityReservationsPerWorkflowTask: 0,
  workerDeploymentOptions: {
    version: { deploymentName: deployment, buildId: 'b1' },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'PINNED',
  },
  ...(inProcess ? { debugMode: true, isolateExecutionTimeout: 5_000 } : {}),
});
