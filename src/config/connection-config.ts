/**
 * Loads the Temporal connection settings: the `temporal.toml` lookup of the spec, the profile,
 * and `TEMPORAL_*` env var overrides, through `@temporalio/envconfig`. Every failure names the
 * file, profile or env var and the fix. Runs once per process, at cold start.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  loadClientConfigProfile,
  toClientOptions,
  type ClientConfigProfile,
  type ClientConfigTLS,
} from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { definedEnv, LAMBDA_TASK_ROOT, readEnv, TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE, type Env } from './env';
import {
  ConfigFileNotFoundError,
  MalformedConfigFileError,
  TlsFileNotFoundError,
  UnknownProfileError,
} from '../errors';

/** The config file file name looked up in `$LAMBDA_TASK_ROOT` and the working directory. */
export const CONFIG_FILE_NAME = 'temporal.toml';

/** Where the config file came from. */
export type ConfigFileSource = typeof TEMPORAL_CONFIG_FILE | typeof LAMBDA_TASK_ROOT | 'cwd';

/** A config file found by the lookup. */
export interface ConfigFileLocation {
  path: string;
  source: ConfigFileSource;
}

/** The connection settings loaded at cold start. */
export interface LoadedConnectionConfig {
  connectionOptions: NativeConnectionOptions;
  namespace: string;
  /** The file used, if any. */
  configFile?: ConfigFileLocation;
  /** The profile used. */
  profile: string;
  /** Secret values (API key, TLS private key) to scrub from every log line. */
  secrets: Array<string | Uint8Array>;
}

/**
 * The spec's lookup: `TEMPORAL_CONFIG_FILE`, then `$LAMBDA_TASK_ROOT/temporal.toml`, then
 * `./temporal.toml`; `undefined` when none exists (env vars only).
 *
 * @throws {@link ConfigFileNotFoundError} when `TEMPORAL_CONFIG_FILE` names a missing file.
 */
export function findConfigFile(env: Env, cwd: string = process.cwd()): ConfigFileLocation | undefined {
  const explicit = readEnv(env, TEMPORAL_CONFIG_FILE);
  if (explicit !== undefined) {
    const resolved = path.resolve(cwd, explicit);
    if (!existsSync(resolved)) {
      throw new ConfigFileNotFoundError(
        `${TEMPORAL_CONFIG_FILE} is set to '${explicit}', but no file exists at ${resolved}. ` +
          `Fix the path, package the file with your function, or unset ${TEMPORAL_CONFIG_FILE} to use ` +
          `$${LAMBDA_TASK_ROOT}/${CONFIG_FILE_NAME}, ./${CONFIG_FILE_NAME} or TEMPORAL_* env vars only.`,
      );
    }
    return { path: resolved, source: TEMPORAL_CONFIG_FILE };
  }
  const taskRoot = readEnv(env, LAMBDA_TASK_ROOT);
  if (taskRoot !== undefined) {
    const candidate = path.join(taskRoot, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return { path: candidate, source: LAMBDA_TASK_ROOT };
  }
  const local = path.join(cwd, CONFIG_FILE_NAME);
  return existsSync(local) ? { path: local, source: 'cwd' } : undefined;
}

/** smol-toml's parse errors carry the line and column; keep those, never the file excerpt. */
function describeTomlError(error: unknown): string {
  const { line, column, message } = error as { line?: number; column?: number; message?: string };
  const firstLine = (message ?? String(error)).split('\n')[0]!.replace(/^Invalid TOML document:\s*/i, '');
  const where =
    typeof line === 'number' ? ` at line ${line}${typeof column === 'number' ? `, column ${column}` : ''}` : '';
  return `${firstLine}${where}`;
}

function readProfile(
  env: Env,
  file: ConfigFileLocation | undefined,
  profileName: string | undefined,
): ClientConfigProfile {
  if (file === undefined) {
    if (profileName !== undefined && profileName !== 'default') {
      throw new UnknownProfileError(
        `${TEMPORAL_PROFILE} is '${profileName}', but no config file was found (looked for ${TEMPORAL_CONFIG_FILE}, ` +
          `$${LAMBDA_TASK_ROOT}/${CONFIG_FILE_NAME} and ./${CONFIG_FILE_NAME}). Package a ${CONFIG_FILE_NAME} with ` +
          `that profile or unset ${TEMPORAL_PROFILE}.`,
      );
    }
    return loadClientConfigProfile({ disableFile: true, overrideEnvVars: definedEnv(env) });
  }
  let data: string;
  try {
    data = readFileSync(file.path, 'utf8');
  } catch (error) {
    throw new ConfigFileNotFoundError(
      `Cannot read the config file ${file.path}: ${(error as Error).message}. Check the file's permissions.`,
    );
  }
  try {
    return loadClientConfigProfile({ configSource: { data }, profile: profileName, overrideEnvVars: definedEnv(env) });
  } catch (error) {
    const message = (error as Error).message ?? '';
    if (/^Profile '.*' not found/.test(message)) {
      const available = Object.keys(safeProfiles(data)).join(', ') || 'none';
      throw new UnknownProfileError(
        `${TEMPORAL_PROFILE} is '${profileName}', but ${file.path} has no [profile.${profileName}] (profiles found: ` +
          `${available}). Set ${TEMPORAL_PROFILE} to one of them or add the profile to the file.`,
      );
    }
    // Not a profile error: the TOML itself is malformed. Keep no cause: smol-toml's message quotes
    // the file, secrets included.
    throw new MalformedConfigFileError(
      `The config file ${file.path} is not valid TOML: ${describeTomlError(error)}. Fix the file` +
        (file.source === TEMPORAL_CONFIG_FILE ? ` or point ${TEMPORAL_CONFIG_FILE} at a valid one.` : '.'),
    );
  }
}

function safeProfiles(data: string): Record<string, unknown> {
  const match = data.match(/^\s*\[profile\.([^\]\s]+)\]/gm) ?? [];
  return Object.fromEntries(match.map((header) => [header.replace(/^\s*\[profile\.|\]$/g, ''), true]));
}

const TLS_PATH_FIELDS: Array<[keyof ClientConfigTLS, string, string]> = [
  ['clientCert', 'tls.client_cert_path', 'TEMPORAL_TLS_CLIENT_CERT_PATH'],
  ['clientKey', 'tls.client_key_path', 'TEMPORAL_TLS_CLIENT_KEY_PATH'],
  ['serverCACert', 'tls.server_ca_cert_path', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'],
];

function checkTlsFiles(tls: ClientConfigTLS | undefined, file: ConfigFileLocation | undefined, cwd: string): void {
  if (tls === undefined || tls.disabled) return;
  for (const [field, tomlKey, envVar] of TLS_PATH_FIELDS) {
    const source = tls[field];
    if (source === undefined || typeof source !== 'object' || !('path' in source)) continue;
    const resolved = path.resolve(cwd, source.path);
    if (!existsSync(resolved)) {
      const where = file ? `${tomlKey} in ${file.path} or ${envVar}` : envVar;
      throw new TlsFileNotFoundError(
        `The TLS file '${source.path}' (from ${where}) does not exist (resolved to ${resolved}). ` +
          `Package the file with your function (it is under /var/task on Lambda) or fix the path.`,
      );
    }
  }
}

/**
 * Loads connection options and namespace for the worker.
 *
 * @throws {@link ConfigFileNotFoundError}, {@link MalformedConfigFileError},
 *   {@link UnknownProfileError} or {@link TlsFileNotFoundError}.
 */
export function loadConnectionConfig(env: Env = process.env, cwd: string = process.cwd()): LoadedConnectionConfig {
  const configFile = findConfigFile(env, cwd);
  const profileName = readEnv(env, TEMPORAL_PROFILE);
  const profile = readProfile(env, configFile, profileName);
  checkTlsFiles(profile.tls, configFile, cwd);
  const { connectionOptions, namespace } = toClientOptions(profile);
  const secrets: Array<string | Uint8Array> = [];
  if (profile.apiKey) secrets.push(profile.apiKey);
  const tls = connectionOptions.tls;
  if (tls && typeof tls === 'object' && tls.clientCertPair) secrets.push(tls.clientCertPair.key);
  return {
    connectionOptions,
    namespace: namespace ?? 'default',
    configFile,
    profile: profileName ?? 'default',
    secrets,
  };
}
