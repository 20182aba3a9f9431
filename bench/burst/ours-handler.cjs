// The burst bench's function with temporal-lambda-worker. TLW_IDLE_EXIT_MS=off turns idle exit
// off (poll until the deadline, as the official package does); unset keeps the default.
// TLW_SHARE_WORKER=off sets config.shareWorker = false: under Lambda Managed Instances each
// invocation then runs its own worker (its own connection and pollers) instead of joining the
// one its runtime thread shares; unset keeps the default (shared under Managed Instances).
// TLW_WORKER_OPTIONS='<JSON>' is merged into workerOptions (slots, pollers), for a probe of what
// bounds a shared worker's throughput.
// The package is this repository's own (its root, dist/), not whatever node_modules links to: in a
// git worktree whose node_modules is a symlink, `temporal-lambda-worker` resolves to the other tree.
const { runWorker } = require('../..');
const activities = require(process.env.BENCH_ACTIVITIES);

exports.handler = runWorker({ deploymentName: process.env.BENCH_DEPLOYMENT, buildId: 'b1' }, (config) => {
  config.workerOptions.taskQueue = process.env.BENCH_TASK_QUEUE;
  config.workerOptions.workflowBundle = { codePath: process.env.BENCH_BUNDLE };
  config.workerOptions.activities = activities;
  if (process.env.TLW_IDLE_EXIT_MS === 'off') config.idleExitMs = false;
  if (process.env.TLW_SHARE_WORKER === 'off') config.shareWorker = false;
  if (process.env.TLW_WORKER_OPTIONS) Object.assign(config.workerOptions, JSON.parse(process.env.TLW_WORKER_OPTIONS));
});
