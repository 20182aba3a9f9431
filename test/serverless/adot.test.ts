/**
 * Under the ADOT JavaScript layer, as Lambda runs it: the emulator runs the handler under the real
 * runtime client on Node 24 with the real AWS Distro for OpenTelemetry loaded before it (the layer's
 * exec wrapper, test/emulator/adot-layer.mjs), its Lambda instrumentation tracing each invocation
 * and exporting to a real OTLP receiver. The handler calls applyDefaults, as the official sample
 * does. Two execution environments of one function take turns (one, the other, the first again,
 * warm), then run at once, exporting cumulative metrics, the temporality where identity matters.
 *
 * Checked at the receiver: every worker span's parent chain reaches a Lambda invocation span,
 * each workflow span that continues a client's trace links to it, nothing is exported twice, and the
 * metric series of the two environments are told apart by `service.instance.id` and `faas.instance`,
 * so that their sums equal the workflows run (without the identity, the later environment's
 * cumulative value would replace the other's).
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
// @ts-expect-error plain ESM script without types
import { startLambdaEmulator } from '../emulator/lambda-emulator.mjs';
// @ts-expect-error plain ESM script without types
import { startOtlpReceiver, startTestServer } from '../../scripts/testserver.mjs';
import { getTracingSetup } from '../../otel/tracing';
import { resolveOtelOptions } from '../../otel/options';
import { counterTotal, metricPoints, spans, type ReceivedLine, type ReceivedSpan } from '../support/otel';
import { pollUntil } from '../support/poll';
import { makeVersionCurrent, uniqueName } from '../support/temporal';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures');
const bundlePath = inject('otelWorkflowBundlePath');
const FUNCTION = 'adot-fn';
const SERVER_KIND = 2;

interface Emulated {
  invoke(event?: unknown): Promise<{ outcome: string; marginMs: number; requestId: string; cold: boolean }>;
  logs: Array<{ line: string }>;
  stop(): Promise<void>;
}

let server: { address: string; stop: () => Promise<void> };
let receiver: { address: string; received: () => ReceivedLine[]; stop: () => Promise<void> };
let connection: Connection;
let client: Client;
let flushClientSpans: () => Promise<void>;

beforeAll(async () => {
  server = await startTestServer();
  receiver = await startOtlpReceiver();
  // The caller is traced too, as a user's instrumented client would be: its StartWorkflow spans
  // are the workflow traces the invocation's spans link to.
  const setup = getTracingSetup(resolveOtelOptions({ endpoint: receiver.address, serviceName: 'adot-client' }));
  const { tracer } = setup;
  flushClientSpans = setup.flush;
  connection = await Connection.connect({ address: server.address });
  client = new Client({
    connection,
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
  });
});
afterAll(async () => {
  await connection?.close();
  await receiver?.stop();
  await server?.stop();
});

async function environment(env: Record<string, string>): Promise<Emulated> {
  return (await startLambdaEmulator({
    taskRoot: fixtures,
    handler: 'otel-lambda-handler.handler',
    functionName: FUNCTION,
    timeoutSeconds: 20,
    nodeMajor: '24',
    layer: 'adot',
    tracingActive: true,
    env,
  })) as Emulated;
}

/** The spans of `name`'s chain of parents, up to the first whose parent is not among `all`. */
function chain(span: ReceivedSpan, all: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const out = [span];
  for (let parent = all.get(span.parentSpanIdHex); parent !== undefined; parent = all.get(parent.parentSpanIdHex)) {
    out.push(parent);
    if (out.length > 50) break;
  }
  return out;
}

describe('under the ADOT JavaScript layer (AWS Distro for OpenTelemetry 0.13, OpenTelemetry JS 2.8)', () => {
  it("puts the worker's spans under each invocation's span, exports each once, and keeps two environments' series apart", async () => {
    const deploymentName = uniqueName('adot-dep');
    const taskQueue = uniqueName('adot');
    const env = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TLW_DEPLOYMENT_NAME: deploymentName,
      TLW_WORKFLOW_BUNDLE: bundlePath,
      TLW_OTLP_ENDPOINT: receiver.address,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://${receiver.address}`,
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'cumulative',
    };
    const first = await environment(env);
    const second = await environment(env);
    try {
      const run = async (emu: Emulated, count: number) => {
        const invocation = emu.invoke({});
        await makeVersionCurrent(client, deploymentName, 'b1');
        const results = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            client.workflow.execute('greeting', { taskQueue, workflowId: uniqueName('wf'), args: [`n${i}`] }),
          ),
        );
        expect(results).toHaveLength(count);
        const record = await invocation;
        expect(record.outcome, emu.logs.map((entry) => entry.line).join('\n')).toBe('ok');
        return record;
      };
      const records = [await run(first, 3), await run(second, 2), await run(first, 2)];
      expect(records.map((record) => record.cold)).toEqual([true, true, false]);
      // Then both at once, exporting side by side, the workflows going to whichever polls first.
      const both = [first.invoke({}), second.invoke({})];
      await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          client.workflow.execute('greeting', { taskQueue, workflowId: uniqueName('wf'), args: [`m${i}`] }),
        ),
      );
      for (const record of await Promise.all(both)) expect(record).toMatchObject({ outcome: 'ok', cold: false });
      // Nothing of ours fights the layer's registrations (the layer logs errors at OTEL_LOG_LEVEL=error).
      const lines = [...first.logs, ...second.logs].map((entry) => entry.line);
      expect(lines.filter((line) => /duplicate registration|Error:/.test(line))).toEqual([]);
    } finally {
      await first.stop();
      await second.stop();
    }
    const WORKFLOWS = 11;
    await flushClientSpans();

    const lambdaSpans = () => spans(receiver.received()).filter((span) => span.resource['service.name'] === FUNCTION);
    await pollUntil(
      () =>
        lambdaSpans().filter((span) => span.name === 'RunActivity:greet').length >= WORKFLOWS &&
        lambdaSpans().filter((span) => span.kind === SERVER_KIND).length >= 5 &&
        spans(receiver.received()).filter((span) => span.name === 'StartWorkflow:greeting').length >= WORKFLOWS,
      {
        timeoutMs: 10_000,
        what: `${WORKFLOWS} activity spans, 5 invocation spans and ${WORKFLOWS} client spans at the receiver`,
        seen: () =>
          lambdaSpans()
            .map((span) => span.name)
            .join(', '),
      },
    );
    const received = spans(receiver.received());
    const byId = new Map(received.map((span) => [span.spanIdHex, span]));
    // Exported once: no span id twice.
    expect(received.length).toBe(byId.size);
    const invocations = received.filter((span) => span.kind === SERVER_KIND && span.name === FUNCTION);
    expect(invocations).toHaveLength(5);
    const worker = received.filter((span) => /^(RunWorkflow|StartActivity|RunActivity):/.test(span.name));
    expect(worker.filter((span) => span.name === 'RunWorkflow:greeting')).toHaveLength(WORKFLOWS);
    expect(worker.filter((span) => span.name === 'RunActivity:greet')).toHaveLength(WORKFLOWS);
    const clientStarts = new Set(
      received.filter((span) => span.name === 'StartWorkflow:greeting').map((span) => span.spanIdHex),
    );
    expect(clientStarts.size).toBe(WORKFLOWS);
    for (const span of worker) {
      const top = chain(span, byId).at(-1)!;
      expect(top.kind, `${span.name}: ${chain(span, byId).map((s) => s.name)}`).toBe(SERVER_KIND);
      expect(invocations).toContain(top);
      expect(span.traceIdHex).toBe(top.traceIdHex);
      expect(span.resource['service.name']).toBe(FUNCTION);
    }
    // Each workflow span starts under the invocation and links to its client's trace.
    for (const span of worker.filter((s) => s.name === 'RunWorkflow:greeting')) {
      expect(invocations.map((s) => s.spanIdHex)).toContain(span.parentSpanIdHex);
      expect(span.links.some((link) => clientStarts.has(link.spanIdHex))).toBe(true);
    }

    // Metrics: one series per environment, cumulative; their sum is the workflows run.
    const points = metricPoints(receiver.received()).filter(
      (point) => point.metric === 'temporal_workflow_completed' && point.attributes.task_queue === taskQueue,
    );
    const instances = new Set(points.map((point) => point.resource['service.instance.id']));
    const logStreams = new Set(points.map((point) => point.resource['faas.instance']));
    expect(instances.size).toBe(2);
    expect(logStreams.size).toBe(2);
    expect(new Set(points.map((point) => point.temporality))).toEqual(new Set(['cumulative']));
    expect(counterTotal(points, 'temporal_workflow_completed')).toBe(WORKFLOWS);
    // Without the identity the second environment's value would stand for both (the bug it fixes).
    const latest = points.reduce((a, b) => (b.receivedAtMs >= a.receivedAtMs ? b : a));
    expect(latest.value).toBeLessThan(WORKFLOWS);
    console.log(
      `adot: ${worker.length} worker spans under ${invocations.length} invocation spans; ` +
        `${instances.size} environments, completions ${[...instances].map((id) => Math.max(...points.filter((p) => p.resource['service.instance.id'] === id).map((p) => p.value))).join(' + ')}`,
    );
  });
});
