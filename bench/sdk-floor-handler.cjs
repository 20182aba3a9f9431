// The first-poll floor of any library built on the SDK: a Lambda handler with nothing but the SDK
// (the root's @temporalio 1.24, unbundled), ours' worker options with workflows in the handler's
// thread, its modules loaded at init and its connection made once and kept, as ours does. Each
// invocation creates a Worker and runs it for 1.5 s. What ours adds to a first poll is the
// difference from this; what is left is the SDK's own first Worker.create and run.
// env: BENCH_TASK_QUEUE, BENCH_DEPLOYMENT, BENCH_BUNDLE, BENCH_ACTIVITIES, TEMPORAL_ADDRESS
const path = require('node:path');
const { NativeConnection, Worker } = require(path.join(__dirname, '..', 'node_modules', '@temporalio', 'worker'));
const { oursWorkerOptions } = require('./sdk-options.cjs');
const activities = require(process.env.BENCH_ACTIVITIES);

const RUN_MS = 1_500;
let connecting;

exports.handler = async (_event, context) => {
  connecting ??= NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create(
    oursWorkerOptions({
      connection: await connecting,
      taskQueue: process.env.BENCH_TASK_QUEUE,
      deployment: process.env.BENCH_DEPLOYMENT,
      bundle: process.env.BENCH_BUNDLE,
      activities,
      inProcess: true,
    }),
  );
  const runMs = Math.min(RUN_MS, context.getRemainingTimeInMillis() - 1_000);
  await worker.runUntil(new Promise((resolve) => setTimeout(resolve, runMs)));
};
