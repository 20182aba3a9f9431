/**
 * Secrets the packager keeps out of a zip, which anyone allowed to read the function's code can
 * download: TLS private keys (PEM) unless allowed, and API keys in Temporal config files, always.
 * Only the project's own files are read, not node_modules; no message quotes a secret.
 */
import { readFileSync, statSync } from 'node:fs';
import { loadClientConfigFromToml } from '@temporalio/envconfig';
import { PackageError } from './package-error';

/** A file of the project packed from disk: its path in the zip and on disk. */
export interface PackedFile {
  zipPath: string;
  source: string;
}

const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** Files larger than this are not read for PEM keys (a key file is a few KB). */
const LARGEST_READ_FOR_KEYS_BYTES = 1024 * 1024;

/** @throws {@link PackageError} naming the first file that holds a PEM private key. */
export function refusePrivateKeys(files: PackedFile[]): void {
  for (const { zipPath, source } of files) {
    if (statSync(source).size > LARGEST_READ_FOR_KEYS_BYTES) continue;
    if (PRIVATE_KEY.test(readFileSync(source, 'utf8'))) {
      throw new PackageError(
        `${zipPath} holds a TLS private key; it is not packed. Keep keys out of the zip (set ` +
          `TEMPORAL_TLS_CLIENT_KEY_DATA as an encrypted env var or use a secrets manager), ` +
          `or pass --allow-private-keys.`,
      );
    }
  }
}

/**
 * Refuses a TOML file (`temporal.toml`, or any the config may name through `TEMPORAL_CONFIG_FILE`)
 * whose profiles set `api_key`, read as `@temporalio/envconfig` reads it at run time.
 * `--allow-private-keys` does not cover it: that switch is for TLS keys, and nothing needs an API
 * key in the zip, since the function reads it from its environment as well.
 *
 * @throws {@link PackageError} naming the file, the profiles and the fix.
 */
export function refuseApiKeys(files: PackedFile[]): void {
  for (const { zipPath, source } of files) {
    if (!zipPath.endsWith('.toml')) continue;
    const found = profilesWithApiKey(readFileSync(source));
    if (found === 'unreadable') {
      throw new PackageError(
        `${zipPath} mentions api_key but could not be read as TOML; it is not packed, as it may hold an API key. ` +
          `${apiKeyFix(zipPath)}`,
      );
    }
    if (found.length > 0) {
      const profiles = found.map((name) => `'${name}'`).join(', ');
      throw new PackageError(
        `${zipPath} sets api_key in profile${found.length > 1 ? 's' : ''} ${profiles}; it is not packed: ` +
          `anyone who can read the function's code could use the key. ${apiKeyFix(zipPath)}`,
      );
    }
  }
}

function apiKeyFix(zipPath: string): string {
  return (
    `Remove api_key from ${zipPath} and give the function the key another way: set TEMPORAL_API_KEY as an ` +
    `environment variable of the function, encrypted with a KMS key, or read it from AWS Secrets Manager in an ` +
    `async configure (config.connectionOptions.apiKey). --allow-private-keys does not cover API keys.`
  );
}

/** The profiles that set a non-empty `api_key`; `'unreadable'` when the file is not TOML but mentions it. */
function profilesWithApiKey(data: Buffer): string[] | 'unreadable' {
  let profiles;
  try {
    profiles = loadClientConfigFromToml(data, { strict: false }).profiles;
  } catch {
    return /\bapi_key\b/.test(data.toString('utf8')) ? 'unreadable' : [];
  }
  return Object.entries(profiles)
    .filter(([, profile]) => profile.apiKey !== undefined && profile.apiKey !== '')
    .map(([name]) => name);
}
