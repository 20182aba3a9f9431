// The burst bench's activity: sleeps `ms` (I/O, as a call to another service would) and returns
// its attempt number.
const { Context } = require('@temporalio/activity');

exports.work = async (ms) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return Context.current().info.attempt;
};
