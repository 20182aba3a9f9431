/**
 * Metrics without a collector: Temporal's core metrics and the invocation summary's figures,
 * written once per invocation as CloudWatch Embedded Metric Format documents on stdout (or
 * published through a Powertools `Metrics` instance), before the handler returns. CloudWatch
 * Logs turns them into metrics; no extension, no network call.
 */
import type { Logger } from '@temporalio/common';
import type { BufferedMetricUpdate } from '@temporalio/worker';
import { subscribeToCoreMetrics, type CoreMetricsHub } from './core-metrics';
import {
  EMF_MAX_DIMENSIONS,
  groupDocuments,
  sanitizeDimensionValue,
  sanitizeName,
  type EmfDocument,
  type EmfMetric,
  type EmfMetricGroup,
  type EmfUnit,
} from './emf-format';
import { AWS_LAMBDA_MAX_CONCURRENCY, POWERTOOLS_METRICS_NAMESPACE, readEnv, type Env } from '../config/env';
import { DEFAULT_EMF_NAMESPACE } from '../defaults';
import { InvalidOptionError } from '../errors';
import type { LambdaWorkerConfig } from '../config/lambda-config';
import { publishThroughPowertools, type PowertoolsMetricsLike } from './powertools-metrics';
import type { InvocationSummary, SummaryHookContext } from '../lifecycle/summary';

/** The dimensions of every metric, in this order; {@link EmfOptions.coreDimensions} come after. */
export const EMF_BASE_DIMENSIONS = ['FunctionName', 'TaskQueue', 'DeploymentVersion'] as const;

/** Options of {@link applyEmfMetrics}. */
export interface EmfOptions {
  /**
   * CloudWatch namespace of the metrics (ignored with `powertools`, which has its own).
   * @default `POWERTOOLS_METRICS_NAMESPACE`, then `'TemporalLambdaWorker'`
   */
  namespace?: string;
  /**
   * Attributes of Temporal's core metrics kept as extra dimensions (for example
   * `['workflow_type', 'activity_type']`). Every distinct value is a CloudWatch metric of its
   * own, billed as such; other attributes are aggregated away.
   * @default []
   */
  coreDimensions?: string[];
  /** Store at one-second resolution instead of one minute. @default false */
  highResolution?: boolean;
  /**
   * Publish through this Powertools `Metrics` instance (its namespace, default dimensions and
   * output) instead of writing EMF here.
   */
  powertools?: PowertoolsMetricsLike;
  /** Where each EMF line goes. @default `process.stdout.write` */
  write?: (line: string) => void;
  /** Environment to read `POWERTOOLS_METRICS_NAMESPACE` from. @default `process.env` */
  env?: Env;
}

interface Aggregate {
  unit: EmfUnit;
  /** Counters add up; histograms and gauges keep every value seen. */
  sum: boolean;
  values: number[];
}

/** Temporal's units (`ms`, `s`, `By`, ...) as CloudWatch units. */
function unitOf(update: BufferedMetricUpdate): EmfUnit {
  switch (update.metric.unit) {
    case 'ms':
    case 'milliseconds':
      return 'Milliseconds';
    case 's':
    case 'seconds':
      return 'Seconds';
    case 'By':
    case 'bytes':
      return 'Bytes';
    default:
      return update.metric.kind === 'counter' || update.metric.kind === 'up-down-counter' ? 'Count' : 'None';
  }
}

/** Checks the options; the error names the option and the fix. */
function resolveNamespace(options: EmfOptions): string {
  const namespace =
    options.namespace ?? readEnv(options.env ?? process.env, POWERTOOLS_METRICS_NAMESPACE) ?? DEFAULT_EMF_NAMESPACE;
  if (!/^[0-9A-Za-z.\-_/#:]{1,255}$/.test(namespace) || namespace.startsWith('AWS/')) {
    throw new InvalidOptionError(
      `The EMF namespace must be 1-255 characters of letters, digits and . - _ / # : and must not start with AWS/; ` +
        `received ${JSON.stringify(namespace)}. Set applyEmfMetrics(config, { namespace: 'MyApp/Workers' }) or ` +
        `${POWERTOOLS_METRICS_NAMESPACE}.`,
    );
  }
  return namespace;
}

function resolveCoreDimensions(options: EmfOptions): string[] {
  const names = options.coreDimensions ?? [];
  if (names.length + EMF_BASE_DIMENSIONS.length > EMF_MAX_DIMENSIONS) {
    throw new InvalidOptionError(
      `coreDimensions has ${names.length} names; with the ${EMF_BASE_DIMENSIONS.length} base dimensions that exceeds ` +
        `EMF's ${EMF_MAX_DIMENSIONS} per metric. Keep at most ${EMF_MAX_DIMENSIONS - EMF_BASE_DIMENSIONS.length}.`,
    );
  }
  for (const name of names) {
    if (sanitizeName(name) !== name)
      throw new InvalidOptionError(
        `coreDimensions holds ${JSON.stringify(name)}, which is not a valid dimension name: use printable ASCII, ` +
          `1-255 characters.`,
      );
  }
  return names;
}

/** Accumulates core metric updates between invocation ends and writes the documents. */
export class EmfMetricsWriter {
  readonly namespace: string;
  private readonly coreDimensions: string[];
  /** Group key (the core dimension values) to metric name to aggregate. */
  private pending = new Map<string, Map<string, Aggregate>>();
  private readonly warned = new Set<string>();
  /** Group key per attribute object: the SDK reuses one object per attribute set. */
  private readonly groupKeys = new WeakMap<object, string>();
  private hub: CoreMetricsHub | undefined;
  /**
   * Several invocations run at once in this thread (Lambda Managed Instances): the core figures
   * an invocation flushes are the thread's, not its own.
   */
  private readonly concurrent: boolean;

  /** @param logger - read at each use, so that a logger set later in configure is the one used. */
  constructor(
    private readonly options: EmfOptions,
    private readonly logger: () => Logger,
  ) {
    this.namespace = resolveNamespace(options);
    this.coreDimensions = resolveCoreDimensions(options);
    this.concurrent = readEnv(options.env ?? process.env, AWS_LAMBDA_MAX_CONCURRENCY) !== undefined;
  }

  /**
   * Who the core documents name: the invocation, whose own figures they are when invocations run
   * one at a time; under concurrency the one that flushed the thread's figures (`flushedBy`), each
   * point written once, since core metrics belong to a worker and not to one invocation.
   */
  private coreProperties(requestId: string): Record<string, string> {
    return this.concurrent ? { flushedBy: requestId } : { requestId };
  }

  /** Subscribes to the process's core metrics. */
  attach(config: LambdaWorkerConfig): void {
    this.hub = subscribeToCoreMetrics(config.runtimeOptions, config.logger, this.record, 'applyEmfMetrics');
  }

  /** Adds one core metric update to the pending aggregates. */
  readonly record = (update: BufferedMetricUpdate): void => {
    const name = sanitizeName(update.metric.name);
    if (name === undefined || !Number.isFinite(update.value)) {
      this.warnOnce(`core:${update.metric.name}`, 'A Temporal metric cannot be written as EMF and is skipped', {
        metric: update.metric.name,
        value: update.value,
      });
      return;
    }
    const attributes = update.attributes as Record<string, unknown>;
    let key = this.groupKeys.get(attributes);
    if (key === undefined) {
      key = JSON.stringify(this.coreDimensions.map((dimension) => String(attributes[dimension] ?? '')));
      this.groupKeys.set(attributes, key);
    }
    let metrics = this.pending.get(key);
    if (metrics === undefined) this.pending.set(key, (metrics = new Map()));
    let aggregate = metrics.get(name);
    if (aggregate === undefined) {
      const sum = update.metric.kind === 'counter' || update.metric.kind === 'up-down-counter';
      metrics.set(name, (aggregate = { unit: unitOf(update), sum, values: sum ? [0] : [] }));
    }
    if (aggregate.sum) aggregate.values[0]! += update.value;
    else aggregate.values.push(update.value);
  };

  /** The summary hook: drains, builds and writes this invocation's documents. Never throws. */
  readonly onSummary = (summary: InvocationSummary, context: SummaryHookContext): void => {
    const startMs = performance.now();
    try {
      this.hub?.drain();
      const base = {
        FunctionName: sanitizeDimensionValue(context.functionName),
        TaskQueue: sanitizeDimensionValue(context.taskQueue),
        DeploymentVersion: sanitizeDimensionValue(`${context.deploymentName}.${context.buildId}`),
      };
      const own = { dimensions: base, metrics: summaryMetrics(summary, context) };
      const core = this.takeCoreGroups(base);
      const endReason = {
        dimensions: { ...base, EndReason: summary.endReason },
        metrics: [{ name: 'Invocations', unit: 'Count' as const, values: [1] }],
      };
      const written = this.options.powertools
        ? this.publish(own, core, endReason, context)
        : this.writeLines(own, core, endReason, context);
      const durationMs = Math.round((performance.now() - startMs) * 1000) / 1000;
      this.logger().debug('EMF metrics written', { documents: written, durationMs });
    } catch (error) {
      this.warnOnce('write', 'EMF metrics could not be written; the invocation goes on', { error });
    }
  };

  private takeCoreGroups(base: Record<string, string>): EmfMetricGroup[] {
    const taken = this.pending;
    this.pending = new Map();
    return [...taken].map(([key, metrics]) => {
      const values = JSON.parse(key) as string[];
      const extra = Object.fromEntries(
        this.coreDimensions.map((dimension, i) => [dimension, sanitizeDimensionValue(values[i]!)]),
      );
      return {
        dimensions: { ...base, ...extra },
        metrics: [...metrics].map(([name, { unit, values: v }]) => ({ name, unit, values: v })),
      };
    });
  }

  private writeLines(
    own: EmfMetricGroup,
    core: EmfMetricGroup[],
    endReason: EmfMetricGroup,
    context: SummaryHookContext,
  ): number {
    const options = {
      namespace: this.namespace,
      timestampMs: Date.now(),
      highResolution: this.options.highResolution,
      properties: { requestId: context.requestId },
    };
    const coreOptions = { ...options, properties: this.coreProperties(context.requestId) };
    const documents: EmfDocument[] = [
      ...groupDocuments(own, options),
      ...core.flatMap((group) => groupDocuments(group, coreOptions)),
    ];
    // The summary's document also counts Invocations by EndReason: a second directive over the
    // same root member, with EndReason as one more dimension.
    const first = documents[0];
    if (first !== undefined) {
      first.EndReason = endReason.dimensions.EndReason;
      first._aws.CloudWatchMetrics.push({
        Namespace: this.namespace,
        Dimensions: [Object.keys(endReason.dimensions)],
        Metrics: [
          { Name: 'Invocations', Unit: 'Count', ...(options.highResolution ? { StorageResolution: 1 as const } : {}) },
        ],
      });
    }
    const write = this.options.write ?? ((line: string) => void process.stdout.write(line));
    for (const document of documents) write(`${JSON.stringify(document)}\n`);
    return documents.length;
  }

  private publish(
    own: EmfMetricGroup,
    core: EmfMetricGroup[],
    endReason: EmfMetricGroup,
    context: SummaryHookContext,
  ): number {
    const publish = (groups: EmfMetricGroup[], metadata: Record<string, string>) =>
      publishThroughPowertools(this.options.powertools!, groups, metadata, this.options.highResolution === true);
    const requestId = { requestId: context.requestId };
    return (
      publish([own], requestId) +
      publish(core, this.coreProperties(context.requestId)) +
      publish([endReason], requestId)
    );
  }

  private warnOnce(key: string, message: string, meta: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger().warn(message, meta);
  }
}

/** The invocation summary's figures as metrics; figures the invocation did not reach are left out. */
export function summaryMetrics(
  summary: InvocationSummary,
  context: Pick<SummaryHookContext, 'coldStart'>,
): EmfMetric[] {
  const metric = (name: string, unit: EmfUnit, value: number | boolean | undefined): EmfMetric[] =>
    value === undefined ? [] : [{ name, unit, values: [typeof value === 'boolean' ? Number(value) : value] }];
  return [
    ...metric('Invocations', 'Count', 1),
    ...metric('ColdStart', 'Count', context.coldStart),
    ...metric('Errors', 'Count', summary.error !== undefined),
    ...metric('StartupTime', 'Milliseconds', summary.startupMs),
    ...metric('ConnectionReused', 'Count', summary.connectionReused),
    ...metric('TimeToFirstTask', 'Milliseconds', summary.timeToFirstTaskMs),
    ...metric('WorkflowActivations', 'Count', summary.tasks.workflowActivations),
    ...metric('Activities', 'Count', summary.tasks.activities),
    ...metric('NexusOperations', 'Count', summary.tasks.nexusOperations),
    ...metric('ActiveTime', 'Milliseconds', summary.activeMs),
    ...metric('ShutdownTime', 'Milliseconds', summary.shutdownMs),
    ...metric('ShutdownHooksTime', 'Milliseconds', summary.hooksMs),
    ...metric('ShutdownHooksFailed', 'Count', summary.hooksFailed),
    ...metric('MarginBeforeDeadline', 'Milliseconds', summary.marginBeforeDeadlineMs),
  ];
}

/**
 * Writes Temporal's core metrics and each invocation's summary figures as CloudWatch Embedded
 * Metric Format, once per invocation before the handler returns: no collector, no network.
 * Dimensions: `FunctionName`, `TaskQueue`, `DeploymentVersion` (`deploymentName.buildId`), plus
 * `EndReason` for `Invocations`. Call it in the configure callback of the process's first
 * `runWorker` (the metrics buffer must be set before the Runtime is installed).
 *
 * @throws {@link InvalidOptionError} for a namespace or dimension list CloudWatch would refuse.
 * @example
 * ```ts
 * export const handler = runWorker(version, (config) => {
 *   config.workerOptions.taskQueue = 'orders';
 *   applyEmfMetrics(config, { namespace: 'Orders/Workers' });
 * });
 * ```
 */
export function applyEmfMetrics(config: LambdaWorkerConfig, options: EmfOptions = {}): void {
  const writer = new EmfMetricsWriter(options, () => config.logger);
  writer.attach(config);
  config.summaryHooks.push(writer.onSummary);
}
