// The burst bench's series over time (environments, backlog, completions) from its records, and
// their thinning for a chart: pure functions, kept apart to be tested.

/** Points per series in a chart: a few per pixel of the 900 px chart. */
export const CHART_POINTS = 400;

/**
 * How many of the intervals ([fromMs, toMs], no toMs: still open) are open over time: a point at
 * each moment the count changes (an end and a start at the same moment net out), from 0 at the start.
 */
export function countOverTime(intervals) {
  const changes = [];
  for (const [fromMs, toMs] of intervals) {
    changes.push([fromMs, 1]);
    if (toMs !== undefined) changes.push([toMs, -1]);
  }
  changes.sort((a, b) => a[0] - b[0]);
  const points = [[Math.min(0, changes[0]?.[0] ?? 0), 0]];
  let count = 0;
  for (const [atMs, delta] of changes) {
    count += delta;
    // The first point stays the 0 the count rises from.
    if (points.length > 1 && points[points.length - 1][0] === atMs) points[points.length - 1][1] = count;
    else points.push([atMs, count]);
  }
  return points.filter((point, i) => i === 0 || point[1] !== points[i - 1][1]);
}

/**
 * The side's measures over time, ms after the first start. An environment runs one invocation at a
 * time, so invocations in progress count environments; one that failed to start had none.
 */
export function sideSeries(invocations, spans, completedAtMs) {
  const ran = invocations.filter((i) => i.environmentId !== undefined && Number.isFinite(i.startMs + i.endMs));
  return {
    environments: countOverTime(ran.map((i) => [i.startMs, i.endMs])),
    backlog: countOverTime(spans),
    completed: countOverTime(completedAtMs.map((atMs) => [atMs])), // never closed: a running total
  };
}

/**
 * At most `limit` points of a step series, its shape kept: in each slice of time, the first point
 * overall, and each slice's lowest, highest and last (the value carried into the next slice).
 */
export function thin(points, limit = CHART_POINTS) {
  if (points.length <= limit) return points;
  const slices = Math.floor((limit - 1) / 3);
  const x0 = points[0][0];
  const span = points[points.length - 1][0] - x0 || 1;
  const kept = new Set([0]);
  let slice; // indexes into points: { index, low, high, last }
  const keep = () => slice && [slice.low, slice.high, slice.last].forEach((i) => kept.add(i));
  points.forEach(([x, y], i) => {
    const index = Math.min(slices - 1, Math.floor(((x - x0) / span) * slices));
    if (slice?.index !== index) {
      keep();
      slice = { index, low: i, high: i, last: i };
    }
    if (y < points[slice.low][1]) slice.low = i;
    if (y > points[slice.high][1]) slice.high = i;
    slice.last = i;
  });
  keep();
  return [...kept].sort((a, b) => a - b).map((i) => points[i]);
}
