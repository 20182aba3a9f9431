/**
 * The EMF metrics path with a real server: the documents written before the handler returned are
 * valid EMF and carry the figures of what the test itself did and measured, never figures read
 * from the invocation summary (the same code wrote both): the workflows it started and saw
 * complete, the activities it counted as they ran, the workflow tasks in their histories, its own
 * clock around the handler call, and the handler's settings. The same through a real Powertools
 * Metrics instance; and beside the OTLP path, both getting Temporal's core metrics from the one
 * shared buffer.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { applyMetrics } from '../../otel/index';
// @ts-expect-error plain ESM script without types
import { startOtlpReceiver } from '../../scripts/testserver.mjs';
import { applyEmfMetrics } from '../../src/metrics/emf';
import type { EmfOptions } from '../../src/metrics/emf';
import * as activities from '../fixtures/activities';
import { emfViolations } from '../support/emf-schema';
import { testHandler } from '../support/handler';
import { invoke, reportMargin } from '../support/invoke';
import { counterTotal, metricPoints, type ReceivedLine } from '../support/otel';
import { pollUntil } from '../support/poll';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';

const address = inject('temporalAddress');
const bundlePath = inject('workflowBundlePath');
const WORKFLOWS = 3;
const IDLE_EXIT_MS = 1_500;
const REMAINING_MS = 20_000;

let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await connectClient(address));
});
afterAll(async () => {
  await closeClient();
});

type Run = Awaited<ReturnType<typeof runInvocation>>;

/**
 * Runs one invocation that completes WORKFLOWS `greeting` workflows (one `greet` activity each)
 * and ends on idle exit; counts the activities as they run and the workflow tasks the server
 * recorded.
 */
async function runInvocation(
  emf: (lines: string[]) => EmfOptions,
  extra?: Parameters<typeof testHandler>[0]['configure'],
) {
  const emfLines: string[] = [];
  const ran = { activities: 0 };
  const t = testHandler({
    bundlePath,
    env: { TEMPORAL_ADDRESS: address },
    configure: (config) => {
      config.idleExitMs = IDLE_EXIT_MS;
      const greet = async (name: string) => {
        ran.activities++;
        return activities.greet(name);
      };
      config.workerOptions.activities = { ...activities, greet };
      applyEmfMetrics(config, { coreDimensions: ['task_queue'], ...emf(emfLines) });
      extra?.(config);
    },
  });
  const invocation = invoke(t.handler, REMAINING_MS);
  await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
  const workflowIds = Array.from({ length: WORKFLOWS }, () => uniqueName('wf'));
  const results = await Promise.all(
    workflowIds.map((workflowId, i) =>
      client.workflow.execute('greeting', { taskQueue: t.taskQueue, workflowId, args: [`n${i}`] }),
    ),
  );
  const record = await invocation;
  const written = emfLines.slice(); // what was there when the handler returned
  let workflowTasks = 0;
  for (const workflowId of workflowIds) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    workflowTasks += history.events!.filter((event) => event.workflowTaskCompletedEventAttributes != null).length;
  }
  expect(results).toEqual(Array.from({ length: WORKFLOWS }, (_, i) => `Hello, n${i}!`));
  return { t, record, written, ran, workflowTasks };
}

/** The documents of the invocation; the summary's is the one with EndReason. */
function documents(lines: string[]) {
  const docs = lines.map((line) => JSON.parse(line) as Record<string, any>);
  const summaryDocs = docs.filter((doc) => doc.EndReason !== undefined);
  expect(summaryDocs).toHaveLength(1);
  return { docs, summaryDoc: summaryDocs[0]! };
}

/** The figures of the summary's metrics, checked against what the test did and measured. */
function expectFigures(doc: Record<string, any>, run: Run): void {
  const { t, record, ran, workflowTasks } = run;
  expect(record.error).toBeUndefined();
  expect(ran.activities).toBe(WORKFLOWS);
  expect(doc).toMatchObject({
    FunctionName: record.context.functionName,
    TaskQueue: t.taskQueue,
    DeploymentVersion: `${t.version.deploymentName}.${t.version.buildId}`,
    EndReason: 'idle', // idle exit at 1.5 s, long before the 20 s deadline
    Invocations: 1,
    ColdStart: 1, // the first invocation of a new handler, no provisioned concurrency
    Errors: 0,
    ConnectionReused: 0,
    Activities: ran.activities,
    NexusOperations: 0,
    ShutdownHooksFailed: 0,
  });
  // One activation per workflow task the server recorded, and at most one more per workflow
  // (its eviction from the cache).
  expect(doc.WorkflowActivations).toBeGreaterThanOrEqual(workflowTasks);
  expect(doc.WorkflowActivations).toBeLessThanOrEqual(workflowTasks + WORKFLOWS);
  // Times, against the test's clock around the handler call.
  const durationMs = record.settledMs - record.startedMs;
  for (const name of ['StartupTime', 'TimeToFirstTask', 'ActiveTime', 'ShutdownTime', 'ShutdownHooksTime']) {
    expect(doc[name], name).toBeGreaterThanOrEqual(0);
    expect(doc[name], name).toBeLessThanOrEqual(durationMs);
  }
  expect(doc.TimeToFirstTask).toBeGreaterThanOrEqual(doc.StartupTime); // no task before polling
  expect(doc.ActiveTime).toBeGreaterThanOrEqual(IDLE_EXIT_MS); // idle exit waits that long after polling starts
  expect(doc._aws.Timestamp).toBeGreaterThanOrEqual(record.startedMs);
  expect(doc._aws.Timestamp).toBeLessThanOrEqual(record.settledMs);
  // The work and the shutdown came before the document was written.
  expect(doc.ActiveTime + doc.ShutdownTime).toBeLessThanOrEqual(doc._aws.Timestamp - record.startedMs + 1);
  // The margin was taken before the handler returned, just before the document was written
  // (hooks run synchronously; 250 ms covers a busy 2-core machine).
  expect(doc.MarginBeforeDeadline).toBeGreaterThanOrEqual(record.marginMs);
  const marginAtWriteMs = record.context.deadlineMs - doc._aws.Timestamp;
  expect(Math.abs(doc.MarginBeforeDeadline - marginAtWriteMs)).toBeLessThanOrEqual(250);
}

/** The document of Temporal's core metrics for the test's task queue. */
function coreDocument(docs: Array<Record<string, any>>, run: Run): Record<string, any> {
  const core = docs.filter(
    (doc) => doc.task_queue === run.t.taskQueue && doc.temporal_workflow_completed !== undefined,
  );
  expect(core).toHaveLength(1);
  expect(core[0]!.temporal_workflow_completed).toBe(WORKFLOWS);
  return core[0]!;
}

describe('applyEmfMetrics with a real server', () => {
  it("writes valid EMF before the handler returns, with the invocation's figures and the core metrics", async () => {
    const run = await runInvocation((lines) => ({ namespace: 'TLW/Test', write: (line) => void lines.push(line) }));
    const { record, written, ran } = run;
    reportMargin('emf invocation', record);
    expect(written.length).toBeGreaterThanOrEqual(2);
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const { docs, summaryDoc } = documents(written);
    expectFigures(summaryDoc, run);
    expect(summaryDoc.requestId).toBe(record.context.awsRequestId);
    expect(docs.every((doc) => doc._aws.CloudWatchMetrics[0].Namespace === 'TLW/Test')).toBe(true);
    const core = coreDocument(docs, run);
    expect(core._aws.CloudWatchMetrics[0].Metrics).toContainEqual({
      Name: 'temporal_activity_execution_latency',
      Unit: 'Milliseconds',
    });
    expect([core.temporal_activity_execution_latency].flat()).toHaveLength(ran.activities); // one per execution
    const metricCount = docs.reduce((n, doc) => n + doc._aws.CloudWatchMetrics[0].Metrics.length, 0);
    console.log(
      `emf: ${written.length} documents, ${metricCount} metrics; summary document: ${JSON.stringify(summaryDoc)}`,
    );
  });

  it('publishes the same through a real Powertools Metrics instance', async () => {
    const metrics = new Metrics({ namespace: 'TLW/Powertools', serviceName: 'emf-test' });
    const captured: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (!text.includes('"_aws"')) return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      captured.push(...text.split('\n').filter((line) => line.includes('"_aws"')));
      return true;
    }) as typeof process.stdout.write;
    let run: Run;
    try {
      run = await runInvocation(() => ({ powertools: metrics }));
    } finally {
      process.stdout.write = original;
    }
    expect(captured.length).toBeGreaterThanOrEqual(2);
    for (const line of captured) expect(emfViolations(line)).toEqual([]);
    const docs = captured.map((line) => JSON.parse(line) as Record<string, any>);
    expect(
      docs.every((doc) => doc._aws.CloudWatchMetrics[0].Namespace === 'TLW/Powertools' && doc.service === 'emf-test'),
    ).toBe(true);
    // Powertools publishes Invocations by EndReason as a document of its own.
    const figures = docs.filter((doc) => doc.ActiveTime !== undefined);
    expect(figures).toHaveLength(1);
    const { summaryDoc } = documents(captured);
    expectFigures({ ...figures[0], EndReason: summaryDoc.EndReason }, run);
    coreDocument(docs, run);
  });

  it('shares the core metrics with the OTLP path: both get every workflow completion', async () => {
    const receiver: { address: string; received: () => ReceivedLine[]; stop: () => Promise<void> } =
      await startOtlpReceiver();
    try {
      const run = await runInvocation(
        (lines) => ({ write: (line) => void lines.push(line) }),
        (config) => void applyMetrics(config, { endpoint: receiver.address, serviceName: 'emf-otel-test' }),
      );
      expect(run.record.error).toBeUndefined();
      coreDocument(documents(run.written).docs, run);
      // The receiver got the export before the handler returned; its printed lines reach this
      // process through a pipe, so wait for them.
      const completed = () => {
        const points = metricPoints(receiver.received()).filter(
          (point) => point.attributes.task_queue === run.t.taskQueue,
        );
        return counterTotal(points, 'temporal_workflow_completed');
      };
      const total = await pollUntil(() => (completed() ?? 0) >= WORKFLOWS && completed(), {
        timeoutMs: 5_000,
        what: `${WORKFLOWS} workflow completions of this task queue at the OTLP receiver`,
        seen: () => `a total of ${completed() ?? 'none'}`,
      });
      expect(total).toBe(WORKFLOWS);
    } finally {
      await receiver.stop();
    }
  });
});
