import { describe, expect, it } from 'vitest';
import type { BufferedMetricUpdate } from '@temporalio/worker';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { coreMetricsHub } from '../../src/metrics/core-metrics';
import { applyEmfMetrics, EmfMetricsWriter, summaryMetrics } from '../../src/metrics/emf';
import {
  EMF_UNITS,
  groupDocuments,
  sanitizeDimensionValue,
  sanitizeName,
  type EmfMetric,
} from '../../src/metrics/emf-format';
import { InvalidOptionError } from '../../src/errors';
import { publishThroughPowertools } from '../../src/metrics/powertools-metrics';
import { JsonLogger } from '../../src/logging/logger';
import type { InvocationSummary, SummaryHookContext } from '../../src/lifecycle/summary';
import { emfViolations } from '../support/emf-schema';

const context: SummaryHookContext = {
  requestId: 'req-1',
  functionName: 'fn',
  taskQueue: 'orders',
  deploymentName: 'app',
  buildId: 'b1',
  coldStart: true,
};
const summary: InvocationSummary = {
  endReason: 'idle',
  workTimeMs: 53_000,
  startupMs: 210,
  connectionReused: false,
  timeToFirstTaskMs: 250,
  tasks: { workflowActivations: 6, activities: 3, nexusOperations: 0 },
  activeMs: 5_400,
  shutdownMs: 12,
  hooksMs: 3,
  hooksFailed: 0,
  marginBeforeDeadlineMs: 54_500,
};

function update(
  name: string,
  kind: BufferedMetricUpdate['metric']['kind'],
  value: number,
  attributes: Record<string, string> = {},
  unit = '',
): BufferedMetricUpdate {
  return {
    metric: { name, kind, unit, description: '', valueType: 'int' } as unknown as BufferedMetricUpdate['metric'],
    value,
    attributes,
  };
}

function writer(options: ConstructorParameters<typeof EmfMetricsWriter>[0] = {}) {
  const lines: string[] = [];
  const logs: string[] = [];
  const logger = new JsonLogger({ level: 'DEBUG', write: (line) => void logs.push(line) });
  const emf = new EmfMetricsWriter({ env: {}, write: (line) => void lines.push(line), ...options }, () => logger);
  return { emf, lines, logs, docs: () => lines.map((line) => JSON.parse(line) as Record<string, any>) };
}

function metric(name: string, values: number[]): EmfMetric {
  return { name, unit: 'Count', values };
}

function metrics(count: number, values = 1): EmfMetric[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `m${i}`,
    unit: 'Count' as const,
    values: Array.from({ length: values }, (_, v) => v),
  }));
}

describe('EMF documents', () => {
  it('keeps at most 100 metrics per directive and continues longer value lists in further documents', () => {
    const options = { namespace: 'NS', timestampMs: 1_700_000_000_000 };
    const wide = groupDocuments({ dimensions: { FunctionName: 'fn' }, metrics: metrics(250) }, options);
    expect(wide.map((doc) => doc._aws.CloudWatchMetrics[0]!.Metrics.length)).toEqual([100, 100, 50]);
    const long = groupDocuments(
      {
        dimensions: { FunctionName: 'fn' },
        metrics: [...metrics(1, 250), { name: 'one', unit: 'Count', values: [7] }],
      },
      options,
    );
    expect(long.map((doc) => doc.m0)).toEqual([
      Array.from({ length: 100 }, (_, v) => v),
      Array.from({ length: 100 }, (_, v) => v + 100),
      Array.from({ length: 50 }, (_, v) => v + 200),
    ]);
    expect(long.map((doc) => doc.one)).toEqual([7, undefined, undefined]);
    for (const doc of [...wide, ...long]) expect(emfViolations(JSON.stringify(doc))).toEqual([]);
  });

  it('splits a metric at 100 values: 100 fit one document, the 101st starts the next', () => {
    const options = { namespace: 'NS', timestampMs: 1 };
    const values = (count: number) => Array.from({ length: count }, (_, v) => v);
    const group = (count: number) => ({ dimensions: { FunctionName: 'fn' }, metrics: [metric('m', values(count))] });
    const hundred = groupDocuments(group(100), options);
    expect(hundred.map((doc) => doc.m)).toEqual([values(100)]);
    const hundredAndOne = groupDocuments(group(101), options);
    expect(hundredAndOne.map((doc) => doc.m)).toEqual([values(100), 100]); // a lone value is written as a number
    const byTen = groupDocuments(group(20), { ...options, maxValuesPerMetric: 10 });
    expect(byTen.map((doc) => doc.m)).toEqual([values(10), values(20).slice(10)]);
    for (const doc of [...hundred, ...hundredAndOne, ...byTen]) expect(emfViolations(JSON.stringify(doc))).toEqual([]);
  });

  it('leaves out a metric with no values, and writes no document for a group with none', () => {
    const options = { namespace: 'NS', timestampMs: 1 };
    const empty = { name: 'empty', unit: 'Count' as const, values: [] };
    const group = { dimensions: { FunctionName: 'fn' }, metrics: [empty, metric('one', [3])] };
    const documents = groupDocuments(group, options);
    expect(documents).toHaveLength(1);
    expect(documents[0]!._aws.CloudWatchMetrics[0]!.Metrics).toEqual([{ Name: 'one', Unit: 'Count' }]);
    expect(documents[0]).not.toHaveProperty('empty');
    expect(groupDocuments({ dimensions: { FunctionName: 'fn' }, metrics: [empty] }, options)).toEqual([]);
  });

  it('sanitises names: printable ASCII, at most 255 characters, never empty', () => {
    expect(sanitizeName('temporal_workflow_completed')).toBe('temporal_workflow_completed');
    expect(sanitizeName('caf\u00e9\nrate')).toBe('caf__rate');
    expect(sanitizeName('x'.repeat(300))).toHaveLength(255);
    expect(sanitizeName('  ')).toBeUndefined();
    expect(sanitizeName(':reserved')).toBeUndefined();
    expect(sanitizeName('ends:')).toBe('ends:');
  });

  it('sanitises dimension values: control characters to _, trimmed, at most 1024 characters, never empty', () => {
    expect(sanitizeDimensionValue(' my\tqueue\u007f ')).toBe('my_queue_');
    expect(sanitizeDimensionValue('q'.repeat(2_000))).toBe('q'.repeat(1_024));
    expect(sanitizeDimensionValue(' \n ')).toBe('_');
    expect(sanitizeDimensionValue('   ')).toBe('none');
  });

  it('names only units CloudWatch accepts (the schema check holds its own list)', () => {
    const all = EMF_UNITS.map((unit, i): EmfMetric => ({ name: `m${i}`, unit, values: [1] }));
    const options = { namespace: 'NS', timestampMs: 1 };
    const documents = groupDocuments({ dimensions: { FunctionName: 'fn' }, metrics: all }, options);
    expect(documents).toHaveLength(1);
    expect(documents[0]!._aws.CloudWatchMetrics[0]!.Metrics.map((metric) => metric.Unit)).toEqual([...EMF_UNITS]);
    expect(emfViolations(JSON.stringify(documents[0]))).toEqual([]);
  });

  it('the schema check finds what breaks the specification', () => {
    const bad = {
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [
          { Namespace: 'N', Dimensions: [['D']], Metrics: [{ Name: 'M', Unit: 'Furlongs' }], Extra: 1 },
        ],
      },
      M: 'x',
    };
    expect(emfViolations(JSON.stringify(bad))).toEqual(
      expect.arrayContaining([
        expect.stringContaining('unexpected member Extra'),
        expect.stringContaining('dimension D'),
        expect.stringContaining('not a finite number'),
        expect.stringContaining('Unit'),
      ]),
    );
  });
});

describe('EmfMetricsWriter', () => {
  it('writes the summary figures and the core metrics as valid EMF, one document per dimension group', () => {
    const { emf, docs, lines } = writer({ namespace: 'Orders/Workers', coreDimensions: ['workflow_type'] });
    emf.record(update('temporal_workflow_completed', 'counter', 1, { workflow_type: 'a', namespace: 'default' }));
    emf.record(update('temporal_workflow_completed', 'counter', 2, { workflow_type: 'a', namespace: 'other' }));
    emf.record(update('temporal_workflow_completed', 'counter', 1, { workflow_type: 'b' }));
    emf.record(update('temporal_activity_execution_latency', 'histogram', 12, { workflow_type: 'a' }, 'ms'));
    emf.record(update('temporal_activity_execution_latency', 'histogram', 30, { workflow_type: 'a' }, 'ms'));
    emf.onSummary(summary, context);
    for (const line of lines) expect(emfViolations(line)).toEqual([]);
    const [first, a, b] = docs();
    expect(first).toMatchObject({
      FunctionName: 'fn',
      TaskQueue: 'orders',
      DeploymentVersion: 'app.b1',
      EndReason: 'idle',
      requestId: 'req-1',
    });
    expect(first).toMatchObject({
      Invocations: 1,
      ColdStart: 1,
      Errors: 0,
      StartupTime: 210,
      TimeToFirstTask: 250,
      WorkflowActivations: 6,
      Activities: 3,
      ActiveTime: 5400,
      MarginBeforeDeadline: 54500,
    });
    expect(first!._aws.CloudWatchMetrics[1]).toEqual({
      Namespace: 'Orders/Workers',
      Dimensions: [['FunctionName', 'TaskQueue', 'DeploymentVersion', 'EndReason']],
      Metrics: [{ Name: 'Invocations', Unit: 'Count' }],
    });
    expect(a).toMatchObject({
      workflow_type: 'a',
      temporal_workflow_completed: 3,
      temporal_activity_execution_latency: [12, 30],
    });
    expect(a!._aws.CloudWatchMetrics[0].Metrics).toContainEqual({
      Name: 'temporal_activity_execution_latency',
      Unit: 'Milliseconds',
    });
    expect(b).toMatchObject({ workflow_type: 'b', temporal_workflow_completed: 1 });
    expect(a!._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['FunctionName', 'TaskQueue', 'DeploymentVersion', 'workflow_type'],
    ]);
  });

  it('stores every metric at one-second resolution with highResolution, and at the default without', () => {
    const definitions = (options: { highResolution?: boolean }) => {
      const { emf, docs, lines } = writer({ ...options, coreDimensions: ['workflow_type'] });
      emf.record(update('temporal_workflow_completed', 'counter', 1, { workflow_type: 'a' }));
      emf.onSummary(summary, context);
      for (const line of lines) expect(emfViolations(line)).toEqual([]);
      const directives = docs().flatMap((doc) => doc._aws.CloudWatchMetrics as Array<{ Metrics: unknown[] }>);
      return directives.flatMap((directive) => directive.Metrics as Array<Record<string, unknown>>);
    };
    const high = definitions({ highResolution: true });
    // The summary's figures, Invocations by EndReason (the second directive) and the core metric.
    expect(high.length).toBe(summaryMetrics(summary, context).length + 2);
    expect(high.every((definition) => definition.StorageResolution === 1)).toBe(true);
    const standard = definitions({});
    expect(standard.length).toBe(high.length);
    expect(standard.some((definition) => 'StorageResolution' in definition)).toBe(false);
  });

  it('writes each core update once: the next invocation starts from zero', () => {
    const { emf, docs } = writer();
    emf.record(update('temporal_request', 'counter', 5));
    emf.onSummary(summary, context);
    emf.onSummary({ ...summary, endReason: 'deadline' }, { ...context, coldStart: false });
    const all = docs();
    expect(all.filter((doc) => doc.temporal_request !== undefined).map((doc) => doc.temporal_request)).toEqual([5]);
    expect(all.at(-1)).toMatchObject({ EndReason: 'deadline', ColdStart: 0 });
  });

  it("names the invocation in its core documents, or under Managed Instances the one that flushed the thread's", () => {
    const alone = writer();
    alone.emf.record(update('temporal_request', 'counter', 5));
    alone.emf.onSummary(summary, context);
    const core = (docs: Array<Record<string, any>>) => docs.find((doc) => doc.temporal_request !== undefined)!;
    expect(core(alone.docs())).toMatchObject({ requestId: context.requestId });
    expect(core(alone.docs()).flushedBy).toBeUndefined();

    const concurrent = writer({ env: { AWS_LAMBDA_MAX_CONCURRENCY: '32' } });
    concurrent.emf.record(update('temporal_request', 'counter', 5));
    concurrent.emf.onSummary(summary, context);
    const [own] = concurrent.docs();
    expect(own).toMatchObject({ requestId: context.requestId, Invocations: 1 });
    expect(core(concurrent.docs())).toMatchObject({ flushedBy: context.requestId });
    expect(core(concurrent.docs()).requestId).toBeUndefined();
  });

  it('skips a value CloudWatch cannot take, logs it once, and never throws', () => {
    const { emf, docs, logs } = writer();
    emf.record(update('temporal_bad', 'gauge', Number.NaN));
    emf.record(update('temporal_bad', 'gauge', Number.POSITIVE_INFINITY));
    emf.onSummary(summary, context);
    expect(docs().length).toBeGreaterThan(0); // the summary's document was written
    expect(docs().some((doc) => 'temporal_bad' in doc)).toBe(false);
    expect(logs.filter((line) => line.includes('cannot be written as EMF'))).toHaveLength(1);

    const failing = new EmfMetricsWriter(
      {
        env: {},
        write: () => {
          throw new Error('stdout closed');
        },
      },
      () => new JsonLogger({ write: (line) => void logs.push(line) }),
    );
    expect(() => failing.onSummary(summary, context)).not.toThrow();
    expect(() => failing.onSummary(summary, context)).not.toThrow();
    expect(logs.filter((line) => line.includes('EMF metrics could not be written'))).toHaveLength(1);
  });

  it('leaves out figures an invocation did not reach', () => {
    const names = summaryMetrics(
      {
        endReason: 'error',
        tasks: { workflowActivations: 0, activities: 0, nexusOperations: 0 },
        hooksMs: 1,
        hooksFailed: 0,
        marginBeforeDeadlineMs: 900,
        error: {},
      },
      { coldStart: false },
    ).map((m) => m.name);
    expect(names).toContain('Errors');
    expect(names).not.toContain('StartupTime');
    expect(names).not.toContain('TimeToFirstTask');
  });

  it('refuses a namespace or a dimension list CloudWatch would refuse, naming the option', () => {
    expect(() => writer({ namespace: 'AWS/Lambda' })).toThrow(InvalidOptionError);
    expect(() => writer({ namespace: 'has space' })).toThrow(/namespace.*received "has space"/);
    expect(() => writer({ coreDimensions: Array.from({ length: 28 }, (_, i) => `d${i}`) })).toThrow(
      /coreDimensions has 28 names.*at most 27/,
    );
    expect(writer({ env: { POWERTOOLS_METRICS_NAMESPACE: 'FromEnv' } }).emf.namespace).toBe('FromEnv');
  });
});

describe('applyEmfMetrics', () => {
  it('points the Runtime at the shared metrics buffer and adds a summary hook', async () => {
    const { LambdaWorkerConfig } = await import('../../src/config/lambda-config');
    const config = new LambdaWorkerConfig({
      connectionOptions: {},
      namespace: 'default',
      logger: new JsonLogger({ write: () => undefined }),
    });
    applyEmfMetrics(config, { env: {} });
    expect(config.summaryHooks).toHaveLength(1);
    expect(config.summaryHooks[0]).toBeTypeOf('function');
    expect((config.runtimeOptions.telemetryOptions?.metrics as { buffer?: unknown }).buffer).toBe(
      coreMetricsHub().buffer,
    );
  });
});

describe('the Powertools Metrics path', () => {
  it('publishes through a real Metrics instance: its namespace and default dimensions, our dimensions and figures', () => {
    const lines: string[] = [];
    const metrics = new Metrics({ namespace: 'Powertools/NS', serviceName: 'orders' });
    // Powertools writes through its own Console on stdout; capture that stream.
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      metrics.addMetric('userMetric', 'Count', 1); // stored by the user, published first with the user's dimensions
      const { emf } = writer({ powertools: metrics });
      emf.record(update('temporal_request', 'counter', 4));
      emf.record(update('temporal_request_latency', 'histogram', 9, {}, 'ms'));
      emf.onSummary(summary, context);
    } finally {
      process.stdout.write = original;
    }
    const docs = lines.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{'));
    for (const line of docs) expect(emfViolations(line)).toEqual([]);
    const parsed = docs.map((line) => JSON.parse(line) as Record<string, any>);
    expect(parsed[0]).toMatchObject({ userMetric: 1, service: 'orders' });
    expect(parsed[0]!.FunctionName).toBeUndefined();
    const ours = parsed.slice(1);
    expect(ours.length).toBeGreaterThanOrEqual(3); // the summary's figures, the core metrics, Invocations by EndReason
    expect(
      ours.every(
        (doc) =>
          doc._aws.CloudWatchMetrics[0].Namespace === 'Powertools/NS' &&
          doc.FunctionName === 'fn' &&
          doc.service === 'orders' &&
          doc.requestId === 'req-1',
      ),
    ).toBe(true);
    expect(ours.find((doc) => 'ActiveTime' in doc)).toMatchObject({
      Invocations: 1,
      ActiveTime: 5400,
      TaskQueue: 'orders',
    });
    expect(ours.find((doc) => 'temporal_request' in doc)).toMatchObject({
      temporal_request: 4,
      temporal_request_latency: 9,
    });
    expect(ours.find((doc) => 'EndReason' in doc)).toMatchObject({ EndReason: 'idle', Invocations: 1 });
  });
});

/** Runs `publish` with stdout captured; returns the EMF documents written meanwhile. */
function capturePowertools(publish: () => void): Array<Record<string, any>> {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => (chunks.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    publish();
  } finally {
    process.stdout.write = original;
  }
  const lines = chunks.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{'));
  for (const line of lines) expect(emfViolations(line)).toEqual([]);
  return lines.map((line) => JSON.parse(line) as Record<string, any>);
}

describe('publishThroughPowertools', () => {
  const dimensions = { FunctionName: 'fn', TaskQueue: 'orders', DeploymentVersion: 'app.b1' };

  it('hands Powertools at most 99 values of a metric per publish, so that it never publishes alone', () => {
    // Powertools publishes by itself when a metric reaches 100 values, clearing the dimensions:
    // the metrics added after that would go out without them.
    const metrics = new Metrics({ namespace: 'Powertools/NS' });
    const many = Array.from({ length: 100 }, (_, v) => v);
    let publishes = 0;
    const docs = capturePowertools(() => {
      const group = { dimensions, metrics: [metric('many', many), metric('after', [7])] };
      publishes = publishThroughPowertools(metrics, [group], { requestId: 'r' }, false);
    });
    expect(publishes).toBe(2);
    expect(docs).toHaveLength(2);
    for (const doc of docs) expect(doc).toMatchObject({ FunctionName: 'fn', TaskQueue: 'orders', requestId: 'r' });
    expect(docs.map((doc) => [doc.many].flat().length)).toEqual([99, 1]);
    expect(docs.flatMap((doc) => [doc.many].flat())).toEqual(many);
    expect(docs[0]!.after).toBe(7);
  });

  it("publishes at one-second resolution with highResolution, and at Powertools' default without", () => {
    const group = { dimensions, metrics: [{ name: 'ActiveTime', unit: 'Milliseconds' as const, values: [5] }] };
    const publish = (highResolution: boolean) =>
      capturePowertools(() => publishThroughPowertools(new Metrics({ namespace: 'NS' }), [group], {}, highResolution));
    const definitions = (docs: Array<Record<string, any>>) => docs.map((doc) => doc._aws.CloudWatchMetrics[0].Metrics);
    expect(definitions(publish(true))).toEqual([[{ Name: 'ActiveTime', Unit: 'Milliseconds', StorageResolution: 1 }]]);
    expect(definitions(publish(false))).toEqual([[{ Name: 'ActiveTime', Unit: 'Milliseconds' }]]);
  });
});
