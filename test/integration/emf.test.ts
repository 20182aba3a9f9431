/**
 * The EMF metrics path with a real server: the documents written before the handler returned
 * are valid EMF, carry the same figures as the invocation summary, and count the workflows the
 * worker completed; the same through a real Powertools Metrics instance; and beside the OTLP
 * path, both getting Temporal's core metrics from the one shared buffer.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { applyMetrics } from '../../otel/index';
// @ts-expect-error plain ESM script without types
import { startOtlpReceiver } from '../../scripts/testserver.mjs';
import { applyEmfMetrics } from '../../src/emf';
import type { EmfOptions } from '../../src/emf';
import { emfViolations } from '../support/emf-schema';
import { testHandler } from '../support/handler';
import { invoke, reportMargin } from '../support/invoke';
import { latestCounterTotal, metricPoints, type ReceivedLine } from '../support/otel';
import { connectClient, makeVersionCurrent, uniqueName } from '../support/temporal';

const address = inject('temporalAddress');
const bundlePath = inject('workflowBundlePath');
const WORKFLOWS = 3;

let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await connectClient(address));
});
afterAll(async () => {
  await closeClient();
});

/** Runs one invocation that completes WORKFLOWS workflows and ends on idle exit. */
async function runInvocation(emf: (lines: string[]) => EmfOptions, extra?: Parameters<typeof testHandler>[0]['configure']) {
  const emfLines: string[] = [];
  const t = testHandler({
    bundlePath,
    env: { TEMPORAL_ADDRESS: address },
    configure: (config) => {
      config.idleExitMs = 1_500;
      applyEmfMetrics(config, { coreDimensions: ['task_queue'], ...emf(emfLines) });
      extra?.(config);
    },
  });
  const invocation = invoke(t.handler, 20_000);
  await makeVersionCurrent(client, t.version.deploymentName, t.version.buildId);
  await Promise.all(Array.from({ length: WORKFLOWS }, (_, i) => client.workflow.execute('greeting', { taskQueue: t.taskQueue, workflowId: uniqueName('wf'), args: [`n${i}`] })));
  const record = await invocation;
  const written = emfLines.slice(); // what was there when the handler returned
  const summary = t.logs.records().find((line) => line.message === 'Invocation summary')!;
  return { t, record, written, summary };
}

/** The documents of the invocation; the summary's is the one with EndReason. */
function documents(lines: string[]) {
  const docs = lines.map((line) => JSON.parse(line) as Record<string, any>);
  return { docs, summaryDoc: docs.find((doc) => doc.EndReason !== undefined)! };
}

function expectSummaryFigures(doc: Record<string, any>, summary: Record<string, any>, taskQueue: string): void {
  expect(doc).toMatchObject({
    TaskQueue: taskQueue,
    EndReason: summary.endReason,
    Invocations: 1,
    StartupTime: summary.startupMs,
    TimeToFirstTask: summary.timeToFirstTaskMs,
    WorkflowActivations: summary.tasks.workflowActivations,
    Activities: summary.tasks.activities,
    NexusOperations: summary.tasks.nexusOperations,
    ActiveTime: summary.activeMs,
    ShutdownTime: summary.shutdownMs,
    ShutdownHooksTime: summary.hooksMs,
    MarginBeforeDeadline: summary.marginBeforeDeadlineMs,
  });
}

describe('applyEmfMetrics with a real server', () => {
  it('writes valid EMF before the handler returns, with the summary figures and the core metrics', async () => {
    const { t, record, written, summary } = await runInvocation((lines) => ({ namespace: 'TLW/Test', write: (line) => void lines.push(line) }));
    reportMargin('emf invocation', record);
    expect(record.error).toBeUndefined();
    expect(summary.endReason).toBe('idle');
    expect(written.length).toBeGreaterThanOrEqual(2);
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const { docs, summaryDoc } = documents(written);
    expectSummaryFigures(summaryDoc, summary, t.taskQueue);
    expect(summaryDoc).toMatchObject({ FunctionName: record.context.functionName, DeploymentVersion: `${t.version.deploymentName}.b1`, requestId: record.context.awsRequestId });
    const core = docs.find((doc) => doc.task_queue === t.taskQueue && doc.temporal_workflow_completed !== undefined);
    expect(core?.temporal_workflow_completed).toBe(WORKFLOWS);
    expect(core?._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'temporal_activity_execution_latency', Unit: 'Milliseconds' });
    console.log(`emf: ${written.length} documents, ${docs.reduce((n, doc) => n + doc._aws.CloudWatchMetrics[0].Metrics.length, 0)} metrics; summary document: ${written.find((line) => line.includes('"EndReason"'))}`);
  });

  it('publishes the same through a real Powertools Metrics instance', async () => {
    const metrics = new Metrics({ namespace: 'TLW/Powertools', serviceName: 'emf-test' });
    const captured: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.includes('"_aws"')) return void captured.push(...text.split('\n').filter((line) => line.includes('"_aws"'))), true;
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    let run: Awaited<ReturnType<typeof runInvocation>>;
    try {
      run = await runInvocation(() => ({ powertools: metrics }));
    } finally {
      process.stdout.write = original;
    }
    const { t, record, summary } = run;
    expect(record.error).toBeUndefined();
    for (const line of captured) expect(emfViolations(line)).toEqual([]);
    const docs = captured.map((line) => JSON.parse(line) as Record<string, any>);
    expect(docs.every((doc) => doc._aws.CloudWatchMetrics[0].Namespace === 'TLW/Powertools' && doc.service === 'emf-test')).toBe(true);
    const figures = docs.find((doc) => doc.ActiveTime !== undefined)!;
    expectSummaryFigures({ ...figures, EndReason: docs.find((doc) => doc.EndReason !== undefined)?.EndReason }, summary, t.taskQueue);
    expect(docs.find((doc) => doc.task_queue === t.taskQueue && doc.temporal_workflow_completed !== undefined)?.temporal_workflow_completed).toBe(WORKFLOWS);
  });

  it('shares the core metrics with the OTLP path: both get every workflow completion', async () => {
    const receiver: { address: string; received: () => ReceivedLine[]; stop: () => Promise<void> } = await startOtlpReceiver();
    try {
      const { t, record, written } = await runInvocation(
        (lines) => ({ write: (line) => void lines.push(line) }),
        (config) => void applyMetrics(config, { endpoint: receiver.address, serviceName: 'emf-otel-test' }),
      );
      expect(record.error).toBeUndefined();
      const emfCompleted = documents(written).docs.find((doc) => doc.task_queue === t.taskQueue && doc.temporal_workflow_completed !== undefined);
      expect(emfCompleted?.temporal_workflow_completed).toBe(WORKFLOWS);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const points = metricPoints(receiver.received()).filter((point) => point.attributes.task_queue === t.taskQueue);
      expect(latestCounterTotal(points, 'temporal_workflow_completed')).toBe(WORKFLOWS);
    } finally {
      await receiver.stop();
    }
  });
});
