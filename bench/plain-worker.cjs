// A plain Worker (no Lambda library) with the same options, for the throughput reference.
// argv: <worker module dir> <activities> <bundle> ; env BENCH_TASK_QUEUE, BENCH_DEPLOYMENT, TEMPORAL_ADDRESS, BENCH_RUN_MS
const path = require('node:path');
const { NativeConnection, Worker } = require(path.join(process.argv[2], '@temporalio', 'worker'));
const { oursWorkerOptions } = require('./sdk-options.cjs');

(async () => {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create(
    oursWorkerOptions({
      connection,
      taskQueue: process.env.BENCH_TASK_QUEUE,
      deployment: process.env.BENCH_DEPLOYMENT,
      bundle: process.argv[4],
      activities: require(process.argv[3]),
    }),
  );
  process.on('message', (message) => {
    if (message === 'rss') process.send({ maxRssKb: process.resourceUsage().maxRSS });
  });
  process.send({ ready: true, t0: Date.now() });
  await worker.runUntil(new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_RUN_MS))));
  await connection.close();
  process.send({ done: true, maxRssKb: process.resourceUsage().maxRSS });
})();
