/**
 * The otel entry point against a real OTLP/gRPC receiver (Go, official OTLP protobufs): once the
 * handler has returned, the receiver already holds the invocation's metrics and spans.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { getTracingSetup } from '../../otel/tracing';
import { resolveOtelOptions } from '../../otel/options';
import { applyDefaults } from '../../otel/index';
// @ts-expect-error plain ESM script without types
import { startOtlpReceiver } from '../../scripts/testserver.mjs';
import { testHandler } from '../support/handler';
import { invoke, reportMargin } from '../support/invoke';
import { counterTotal, metricPoints, spans, type ReceivedLine } from '../support/otel';
import { pollUntil } from '../support/poll';
import { makeVersionCurrent, uniqueName } from '../support/temporal';

const address = inject('temporalAddress');
const bundlePath = inject('otelWorkflowBundlePath');
const WORKFLOWS = 3;

let client: Client;
let connection: Connection;
let receiver: { address: string; received: () => ReceivedLine[]; stop: () => Promise<void> };

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // The caller that starts workflows is traced too (as a user's instrumented client would be),
  // through the same process-wide tracing setup the worker uses.
  const { tracer } = getTracingSetup(
    resolveOtelOptions({
      endpoint: receiver.address,
      serviceName: 'otel-test',
      env: { AWS_LAMBDA_FUNCTION_NAME: 'otel-fn', AWS_REGION: 'eu-west-1' },
    }),
  );
  connection = await Connection.connect({ address });
  client = new Client({
    connection,
    namespace: 'default',
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
  });
});
afterAll(async () => {
  await connection.close();
  await receiver.stop();
});

describe('applyDefaults with a real OTLP receiver', () => {
  it('delivers the invocation metrics and the linked workflow and activity spans before the handler returns', async () => {
    const { handler, taskQueue, version } = testHandler({
      bundlePath,
      env: { TEMPORAL_ADDRESS: address, AWS_LAMBDA_FUNCTION_NAME: 'otel-fn', AWS_REGION: 'eu-west-1' },
      configure: (config) => applyDefaults(config, { endpoint: receiver.address, serviceName: 'otel-test' }),
    });
    const invocation = invoke(handler, 14_000);
    await makeVersionCurrent(client, version.deploymentName, version.buildId);
    const results = await Promise.all(
      Array.from({ length: WORKFLOWS }, (_, i) =>
        client.workflow.execute('greeting', { taskQueue, workflowId: uniqueName('wf'), args: [`n${i}`] }),
      ),
    );
    const record = await invocation;
    reportMargin('otel invocation', record);
    expect(results).toHaveLength(WORKFLOWS);
    expect(record.error).toBeUndefined();

    // The receiver printed each request before acknowledging it (its receivedAtMs); the lines reach
    // this process through a pipe, so wait until the expected ones are here.
    const arrived = () => {
      const lines = receiver.received();
      const spanNames = spans(lines).map((span) => span.name);
      return {
        lines,
        completed: counterTotal(metricPoints(lines), 'temporal_workflow_completed') ?? 0,
        workflowSpans: spanNames.filter((name) => name === 'RunWorkflow:greeting').length,
        activitySpans: spanNames.filter((name) => name === 'RunActivity:greet').length,
      };
    };
    const { lines } = await pollUntil(
      () => {
        const now = arrived();
        const complete = now.completed >= WORKFLOWS && now.workflowSpans >= WORKFLOWS && now.activitySpans >= WORKFLOWS;
        return complete && now;
      },
      {
        timeoutMs: 5_000,
        what: `${WORKFLOWS} workflow completions and ${WORKFLOWS} workflow and activity spans at the OTLP receiver`,
        seen: () => JSON.stringify({ ...arrived(), lines: undefined }),
      },
    );
    const points = metricPoints(lines);
    const completed = counterTotal(points, 'temporal_workflow_completed');
    expect(completed).toBe(WORKFLOWS);
    const completedAt = Math.max(
      ...points.filter((p) => p.metric === 'temporal_workflow_completed').map((p) => p.receivedAtMs),
    );
    expect(completedAt).toBeLessThanOrEqual(record.settledMs);
    expect(points.some((point) => point.metric === 'temporal_activity_execution_latency')).toBe(true);
    // Delta by default (what the ADOT collector's EMF exporter publishes without a baseline).
    const completions = points.filter((p) => p.metric === 'temporal_workflow_completed');
    expect(new Set(completions.map((p) => p.temporality))).toEqual(new Set(['delta']));

    const received = spans(lines);
    if (process.env.TLW_DEBUG_SPANS)
      console.log(JSON.stringify(received.map((s) => [s.name, s.traceIdHex, s.spanIdHex, s.parentSpanIdHex])));
    const named = (name: string) => received.filter((span) => span.name === name);
    const workflowSpans = named('RunWorkflow:greeting');
    const activitySpans = named('RunActivity:greet');
    expect(workflowSpans).toHaveLength(WORKFLOWS);
    expect(activitySpans).toHaveLength(WORKFLOWS);
    for (const activitySpan of activitySpans) {
      expect(activitySpan.receivedAtMs).toBeLessThanOrEqual(record.settledMs);
      // activity -> StartActivity (in the workflow) -> RunWorkflow -> StartWorkflow (client): one trace.
      const scheduled = received.find((span) => span.spanIdHex === activitySpan.parentSpanIdHex);
      expect(scheduled?.name).toBe('StartActivity:greet');
      const workflow = received.find((span) => span.spanIdHex === scheduled!.parentSpanIdHex);
      expect(workflow?.name).toBe('RunWorkflow:greeting');
      expect(new Set([activitySpan.traceIdHex, scheduled!.traceIdHex, workflow!.traceIdHex]).size).toBe(1);
      // X-Ray ids: the first 4 bytes are the epoch seconds of the trace's start.
      const epochSeconds = parseInt(activitySpan.traceIdHex.slice(0, 8), 16);
      expect(Math.abs(epochSeconds - record.startedMs / 1000)).toBeLessThan(60);
    }
    expect(workflowSpans[0]!.resource).toMatchObject({
      'service.name': 'otel-test',
      'faas.name': 'otel-fn',
      'cloud.provider': 'aws',
      'cloud.region': 'eu-west-1',
    });
    // One identity for this process on every metric point and span.
    const instance = workflowSpans[0]!.resource['service.instance.id'];
    expect(instance).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(points.map((point) => point.resource['service.instance.id']))).toEqual(new Set([instance]));
    expect(new Set(received.map((span) => span.resource['service.instance.id']))).toEqual(new Set([instance]));
    const metricNames = new Set(points.map((point) => point.metric));
    console.log(
      `otel: ${points.length} metric points of ${metricNames.size} metrics and ${received.length} spans received before the handler returned`,
    );
  });
});
