// The function of bench/metrics-paths.mjs: a handler with one telemetry path (BENCH_METRICS):
// none | emf | otlp (applyMetrics) | trace1x | trace2x (applyTracing on OpenTelemetry JS 1.x or
// 2.x) | adot (applyTracing under the ADOT layer's distro, loaded before this module). The package
// comes from BENCH_PACKAGE_DIR when set (an app with another OpenTelemetry line), else from dist/.
// Loaded by bench/metrics-handler.cjs through require, so that the distro's Lambda instrumentation
// wraps `handler` as it wraps a function's handler module.
const path = require('node:path');

const fromApp = (name) => require(require.resolve(name, { paths: [process.env.BENCH_PACKAGE_DIR] }));
const lib = process.env.BENCH_PACKAGE_DIR ? fromApp('temporal-lambda-worker') : require('../dist/index.cjs');
const otel = () =>
  process.env.BENCH_PACKAGE_DIR ? fromApp('temporal-lambda-worker/otel') : require('../dist/otel/index.cjs');

const variant = process.env.BENCH_METRICS;
const state = { lastSummary: undefined, emfStartMs: 0, emfCostMs: 0 };
exports.state = state;

exports.handler = lib.runWorker({ deploymentName: process.env.BENCH_DEPLOYMENT, buildId: 'b1' }, (config) => {
  config.workerOptions.taskQueue = process.env.BENCH_TASK_QUEUE;
  config.workerOptions.workflowBundle = { codePath: process.env.BENCH_BUNDLE };
  config.workerOptions.activities = require(path.join(__dirname, '../examples/basic/lib/activities.js'));
  config.idleExitMs = 1_000;
  if (variant === 'emf') {
    // The EMF writer is a summary hook: its cost is the time between the hooks around it.
    config.summaryHooks.push(() => void (state.emfStartMs = performance.now()));
    lib.applyEmfMetrics(config);
    config.summaryHooks.push(() => void (state.emfCostMs = performance.now() - state.emfStartMs));
  }
  const options = { endpoint: process.env.BENCH_OTLP_ENDPOINT };
  if (variant === 'otlp') otel().applyMetrics(config, options);
  if (variant === 'trace1x' || variant === 'trace2x' || variant === 'adot') otel().applyTracing(config, options);
  config.summaryHooks.push((summary) => void (state.lastSummary = summary)); // after the EMF writer's
});
