/**
 * The package command's rehearsal (`package --code-cache`): after the handler's init it runs one
 * invocation against a stand-in frontend on the packaging machine, so that V8's cache holds the
 * code a first invocation runs (connect, worker create, first poll), not only the init's. While
 * the package command sets {@link PACKAGE_REHEARSAL_ADDRESS}, every connection goes to that
 * stand-in, in plaintext and without an API key, whatever configure set: a rehearsal never
 * reaches a real Temporal Service, and so never takes a task.
 */
import type { LambdaWorkerConfig } from '../config/lambda-config';
import { readEnv, type Env } from '../config/env';

/** Set by the package command while it rehearses: the stand-in frontend's host:port. */
export const PACKAGE_REHEARSAL_ADDRESS = 'TLW_PACKAGE_REHEARSAL_ADDRESS';

/** Points the configured connection at the rehearsal's stand-in, when the package command rehearses. */
export function redirectForRehearsal(config: LambdaWorkerConfig, env: Env): void {
  const address = readEnv(env, PACKAGE_REHEARSAL_ADDRESS);
  if (address === undefined) return;
  const { apiKey: _key, tls: _tls, ...rest } = config.connectionOptions;
  config.connectionOptions = { ...rest, address, tls: false };
  config.apiKeySource = undefined;
}
