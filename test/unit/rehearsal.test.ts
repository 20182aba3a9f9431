/**
 * The package command's rehearsal (src/lifecycle/rehearsal.ts): while it rehearses, the configured
 * connection goes to its stand-in, in plaintext and without a key; otherwise nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { LambdaWorkerConfig } from '../../src/config/lambda-config';
import { PACKAGE_REHEARSAL_ADDRESS, redirectForRehearsal } from '../../src/lifecycle/rehearsal';
import { JsonLogger } from '../../src/logging/logger';

function configured(): LambdaWorkerConfig {
  const config = new LambdaWorkerConfig({
    connectionOptions: { address: 'prod.tmprl.cloud:7233', apiKey: 'key-1234', tls: true, metadata: { a: 'b' } },
    namespace: 'prod',
    logger: new JsonLogger({ write: () => undefined }),
  });
  config.apiKeySource = { name: 'SSM /temporal/api-key', read: async () => 'key-5678' };
  return config;
}

describe('the package command rehearsal', () => {
  it('sends every connection to the stand-in, in plaintext, with no API key and no key source', () => {
    const config = configured();
    redirectForRehearsal(config, { [PACKAGE_REHEARSAL_ADDRESS]: '127.0.0.1:40123' });
    expect(config.connectionOptions).toEqual({ address: '127.0.0.1:40123', tls: false, metadata: { a: 'b' } });
    expect(config.apiKeySource).toBeUndefined();
  });

  it('changes nothing outside a rehearsal', () => {
    const config = configured();
    redirectForRehearsal(config, {});
    expect(config.connectionOptions).toEqual(configured().connectionOptions);
    expect(config.apiKeySource?.name).toBe('SSM /temporal/api-key');
  });
});
