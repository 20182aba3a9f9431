// The burst bench's counts from the server: waiting for the workflows to close, then listing them
// from visibility (completed, lost, duplicated, retried, latencies), never from the client.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const tsMs = (ts) => (ts instanceof Date ? ts.getTime() : Number(ts));

/** Waits until the server counts `total` closed workflows on the task queue; `say` reports the count as it moves. */
export async function drained(client, taskQueue, total, { limitMs, say }) {
  const until = Date.now() + limitMs;
  let last = -1;
  for (;;) {
    const { count } = await client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running'`);
    if (count !== last) say(`  ${count}/${total} closed`);
    last = count;
    if (count >= total) return;
    if (Date.now() > until)
      throw new Error(`only ${count} of ${total} workflows closed within ${limitMs / 60_000} minutes`);
    await sleep(2000);
  }
}

/** Lists the task queue's workflows from visibility: completions, losses, duplicates, latencies. */
export async function census(client, taskQueue, ids, startedAt) {
  const runs = new Map();
  for await (const info of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    runs.set(info.workflowId, [...(runs.get(info.workflowId) ?? []), info]);
  }
  const latencies = [];
  const spans = []; // [start, close] of every run, ms after startedAt; close undefined while it runs
  const completedAtMs = [];
  let completed = 0;
  let lastCloseMs = 0;
  for (const infos of runs.values()) {
    for (const info of infos) {
      const closeMs = info.closeTime == null ? undefined : tsMs(info.closeTime) - startedAt;
      spans.push([tsMs(info.startTime) - startedAt, closeMs]);
      if (info.status.name !== 'COMPLETED') continue;
      completed += 1;
      completedAtMs.push(closeMs);
      latencies.push(tsMs(info.closeTime) - tsMs(info.startTime));
      lastCloseMs = Math.max(lastCloseMs, tsMs(info.closeTime));
    }
  }
  latencies.sort((a, b) => a - b);
  const lost = ids.filter((id) => !(runs.get(id) ?? []).some((info) => info.status.name === 'COMPLETED')).length;
  const duplicated = [...runs.values()].filter(
    (infos) => infos.filter((info) => info.status.name === 'COMPLETED').length > 1,
  ).length;
  let retried = 0; // activities that ran more than once (the workflow returns the attempt)
  for (let i = 0; i < ids.length; i += 25) {
    const attempts = await Promise.all(
      ids.slice(i, i + 25).map((id) =>
        client.workflow
          .getHandle(id)
          .result()
          .catch(() => 1),
      ),
    );
    retried += attempts.filter((attempt) => attempt > 1).length;
  }
  return {
    completed,
    lost,
    duplicated,
    retried,
    firstStartToLastCloseMs: lastCloseMs - startedAt,
    p50LatencyMs: percentile(latencies, 50),
    p99LatencyMs: percentile(latencies, 99),
    spans,
    completedAtMs,
  };
}
