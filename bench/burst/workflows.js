// The burst bench's workflow: one activity of a few hundred ms; returns the activity's attempt
// number, so that a retried activity shows in the results.
const { proxyActivities } = require('@temporalio/workflow');

const { work } = proxyActivities({ startToCloseTimeout: '30 seconds' });

async function burst(ms) {
  return await work(ms);
}
exports.burst = burst;
