/**
 * Names of the environment variables this library reads, in one place, with small typed readers
 * whose errors name the variable.
 */

/** Path of a `temporal.toml` to load instead of the default lookup. */
export const TEMPORAL_CONFIG_FILE = 'TEMPORAL_CONFIG_FILE';
/** Profile of the config file to use (default `default`). */
export const TEMPORAL_PROFILE = 'TEMPORAL_PROFILE';
/** Task queue; overrides the value set in code. */
export const TEMPORAL_TASK_QUEUE = 'TEMPORAL_TASK_QUEUE';
/** Lambda's function code folder (`/var/task`). */
export const LAMBDA_TASK_ROOT = 'LAMBDA_TASK_ROOT';
/** Name of the Lambda function, set by the Lambda runtime. */
export const AWS_LAMBDA_FUNCTION_NAME = 'AWS_LAMBDA_FUNCTION_NAME';
/** How the execution environment was initialised: `on-demand` (a cold start) or `provisioned-concurrency`. */
export const AWS_LAMBDA_INITIALIZATION_TYPE = 'AWS_LAMBDA_INITIALIZATION_TYPE';
/**
 * Set by Lambda Managed Instances: how many invocations an execution environment runs at once.
 * Its presence means several invocations may run at once in one thread.
 */
export const AWS_LAMBDA_MAX_CONCURRENCY = 'AWS_LAMBDA_MAX_CONCURRENCY';
/** Namespace of Powertools Metrics, also the default namespace of the EMF metrics. */
export const POWERTOOLS_METRICS_NAMESPACE = 'POWERTOOLS_METRICS_NAMESPACE';
/** Lambda's advanced logging control level (`TRACE` ... `FATAL`). */
export const AWS_LAMBDA_LOG_LEVEL = 'AWS_LAMBDA_LOG_LEVEL';
/** Log level override for this library. */
export const LOG_LEVEL = 'LOG_LEVEL';

/** Environment as a plain record; injectable so that tests never touch `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Returns the variable's value, or `undefined` when it is unset or blank: a variable set to an
 * empty or whitespace-only value (as a template that leaves a parameter empty sets it) is unset,
 * everywhere this library reads the environment.
 */
export function readEnv(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * The environment as `envconfig` reads it: a record of strings without the unset and blank
 * entries (see {@link readEnv}), so that `TEMPORAL_API_KEY=""` does not switch TLS on with an
 * empty key and a blank `TEMPORAL_TLS_*_PATH` does not name a file.
 */
export function definedEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(env)) {
    const value = readEnv(env, key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
