// CPU self time per function from a V8 CPU profile (node:inspector's Profiler.stop), restricted to
// a window of wall-clock time: what ran between an invocation's start and its first poll.
// Shared by bench/runner.cjs (which takes the profile) and its unit test.

/** A function's name and place, short enough for a table: bundled code keeps its function names. */
function keyOf({ functionName, url, lineNumber }) {
  const file = url ? url.slice(url.lastIndexOf('/') + 1) : '';
  const place = file ? ` (${file}${lineNumber >= 0 ? `:${lineNumber + 1}` : ''})` : '';
  return `${functionName || '(anonymous)'}${place}`;
}

/**
 * Self time in ms per function of the samples taken from `fromMs` to `toMs` (epoch ms), given the
 * epoch ms at which the profile started (`startedAtMs`, for its `startTime`).
 */
function selfTimeBetween(profile, startedAtMs, fromMs, toMs) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = {};
  let atUs = profile.startTime;
  profile.samples.forEach((id, index) => {
    atUs += profile.timeDeltas[index];
    const atMs = startedAtMs + (atUs - profile.startTime) / 1000;
    // A sample stands for the interval up to the next one.
    const spanMs = (profile.timeDeltas[index + 1] ?? 0) / 1000;
    if (atMs < fromMs || atMs >= toMs) return;
    const key = keyOf(nodes.get(id).callFrame);
    self[key] = (self[key] ?? 0) + spanMs;
  });
  return self;
}

/**
 * The mean self time per function over runs (a function absent from a run counts 0 there), the
 * largest first, the first `count`.
 */
function meanSelfTime(runs, count) {
  const sums = {};
  for (const run of runs) for (const [key, ms] of Object.entries(run)) sums[key] = (sums[key] ?? 0) + ms;
  return Object.entries(sums)
    .map(([key, ms]) => [key, ms / runs.length])
    .sort((a, b) => b[1] - a[1])
    .slice(0, count);
}

module.exports = { keyOf, meanSelfTime, selfTimeBetween };
