/**
 * A checker of CloudWatch Embedded Metric Format documents, written from the specification
 * (docs.aws.amazon.com, "Specification: Embedded metric format"): returns every violation found,
 * an empty list for a valid document. It imports nothing from src/: a list shared with the code
 * under test would change with it and could not catch a mistake in it.
 */

/**
 * The units a metric definition may name: the CloudWatch API's list of standard units
 * (MetricDatum, Datapoint: "Valid Values"), to which the EMF specification refers, written out.
 */
const CLOUDWATCH_UNITS: readonly string[] = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
];

const MAX_DOCUMENT_BYTES = 256 * 1024; // a CloudWatch Logs event; the stricter of the limits

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: string[], where: string, problems: string[]): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) problems.push(`${where}: unexpected member ${key}`);
}

function checkMetricValue(value: unknown, where: string, problems: string[]): void {
  const values = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) && value.length > 100) problems.push(`${where}: ${value.length} values (at most 100)`);
  if (values.length === 0) problems.push(`${where}: empty values array`);
  for (const v of values)
    if (typeof v !== 'number' || !Number.isFinite(v))
      problems.push(`${where}: value ${JSON.stringify(v)} is not a finite number`);
}

function checkDirective(directive: unknown, root: Record<string, unknown>, where: string, problems: string[]): void {
  if (!isObject(directive)) return void problems.push(`${where}: not an object`);
  onlyKeys(directive, ['Namespace', 'Dimensions', 'Metrics'], where, problems);
  const { Namespace, Dimensions, Metrics } = directive;
  if (typeof Namespace !== 'string' || Namespace.length < 1 || Namespace.length > 255 || /\s/.test(Namespace))
    problems.push(`${where}.Namespace: ${JSON.stringify(Namespace)}`);
  if (!Array.isArray(Dimensions)) problems.push(`${where}.Dimensions: not an array`);
  else {
    Dimensions.forEach((set, i) => {
      if (!Array.isArray(set)) return void problems.push(`${where}.Dimensions[${i}]: not an array`);
      if (set.length > 30) problems.push(`${where}.Dimensions[${i}]: ${set.length} keys (at most 30)`);
      for (const key of set) {
        const value = typeof key === 'string' ? root[key] : undefined;
        if (typeof key !== 'string' || key.length < 1 || key.length > 250)
          problems.push(`${where}.Dimensions[${i}]: bad key ${JSON.stringify(key)}`);
        else if (typeof value !== 'string' || value.length < 1 || value.length > 1024)
          problems.push(`${where}: dimension ${key} is ${JSON.stringify(value)}, not a string of 1-1024 characters`);
      }
    });
  }
  if (!Array.isArray(Metrics)) return void problems.push(`${where}.Metrics: not an array`);
  if (Metrics.length > 100) problems.push(`${where}.Metrics: ${Metrics.length} definitions (at most 100)`);
  Metrics.forEach((definition, i) => {
    const at = `${where}.Metrics[${i}]`;
    if (!isObject(definition)) return void problems.push(`${at}: not an object`);
    onlyKeys(definition, ['Name', 'Unit', 'StorageResolution'], at, problems);
    const { Name, Unit, StorageResolution } = definition;
    if (typeof Name !== 'string' || Name.length < 1 || Name.length > 1024)
      return void problems.push(`${at}.Name: ${JSON.stringify(Name)}`);
    if (!(Name in root)) problems.push(`${at}: no root member ${Name}`);
    else checkMetricValue(root[Name], `${at} (${Name})`, problems);
    if (Unit !== undefined && !CLOUDWATCH_UNITS.includes(Unit as string)) {
      problems.push(`${at}.Unit: ${JSON.stringify(Unit)}`);
    }
    if (StorageResolution !== undefined && StorageResolution !== 1 && StorageResolution !== 60)
      problems.push(`${at}.StorageResolution: ${JSON.stringify(StorageResolution)}`);
  });
}

/** Every way `line` breaks the EMF specification; `[]` when it is a valid EMF document. */
export function emfViolations(line: string): string[] {
  const problems: string[] = [];
  if (Buffer.byteLength(line) > MAX_DOCUMENT_BYTES) problems.push(`document is ${Buffer.byteLength(line)} bytes`);
  let root: unknown;
  try {
    root = JSON.parse(line);
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
  if (!isObject(root)) return ['root is not an object'];
  const aws = root._aws;
  if (!isObject(aws)) return ['_aws: missing or not an object'];
  if (typeof aws.Timestamp !== 'number' || !Number.isInteger(aws.Timestamp) || aws.Timestamp <= 0)
    problems.push(`_aws.Timestamp: ${JSON.stringify(aws.Timestamp)}`);
  if (!Array.isArray(aws.CloudWatchMetrics) || aws.CloudWatchMetrics.length === 0)
    problems.push('_aws.CloudWatchMetrics: missing or empty');
  else
    aws.CloudWatchMetrics.forEach((directive, i) =>
      checkDirective(directive, root as Record<string, unknown>, `_aws.CloudWatchMetrics[${i}]`, problems),
    );
  return problems;
}
