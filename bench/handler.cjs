// The example's handler (examples/basic/lib, built by npm run build:example) with the idle exit
// taken from TLW_IDLE_EXIT_MS (unset: off, work until the deadline), for bench/idle-exit.mjs.
const path = require('node:path');
const { runWorker } = require('temporal-lambda-worker');
const { applyDefaults } = require('temporal-lambda-worker/otel');
const activities = require('../examples/basic/lib/activities.js');

exports.handler = runWorker({ deploymentName: 'bench', buildId: 'b1' }, (config) => {
  config.workerOptions.taskQueue = 'lambda-example';
  config.workerOptions.workflowBundle = {
    codePath: path.join(__dirname, '..', 'examples', 'basic', 'lib', 'workflow-bundle.js'),
  };
  config.workerOptions.activities = activities;
  config.idleExitMs = process.env.TLW_IDLE_EXIT_MS ? Number(process.env.TLW_IDLE_EXIT_MS) : false;
  applyDefaults(config);
});
