import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { PowertoolsLoggerAdapter, type PowertoolsLoggerLike } from '../../src/logging/powertools';
import { withInvocationLogFields } from '../../src/logging/logger';
import { REDACTED, SecretScrubber } from '../../src/logging/redact';
import { makeContext } from '../support/context';

function fakePowertools() {
  const calls: { method: string; message: string; extra: Record<string, unknown> }[] = [];
  const contexts: unknown[] = [];
  const record = (method: string) => (message: string, extra: Record<string, unknown>) =>
    void calls.push({ method, message, extra });
  const logger: PowertoolsLoggerLike = {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    addContext: ((context: unknown) => void contexts.push(context)) as (context: never) => void,
  };
  return { logger, calls, contexts };
}

describe('PowertoolsLoggerAdapter', () => {
  it('takes a real Powertools Logger, as the official class of this name does', () => {
    expect(new PowertoolsLoggerAdapter(new Logger({ serviceName: 'orders' }))).toBeInstanceOf(PowertoolsLoggerAdapter);
  });

  it('maps levels to Powertools methods, TRACE to debug with traceLevel, and adds the request id', () => {
    const { logger, calls } = fakePowertools();
    const adapter = new PowertoolsLoggerAdapter(logger);
    withInvocationLogFields({ requestId: 'req-1' }, () => {
      adapter.trace('t', { a: 1 });
      adapter.info('i');
      adapter.log('WARN', 'w');
      adapter.error('e');
    });
    expect(calls).toEqual([
      { method: 'debug', message: 't', extra: { a: 1, requestId: 'req-1', traceLevel: true } },
      { method: 'info', message: 'i', extra: { requestId: 'req-1' } },
      { method: 'warn', message: 'w', extra: { requestId: 'req-1' } },
      { method: 'error', message: 'e', extra: { requestId: 'req-1' } },
    ]);
  });

  it('scrubs registered secrets and secret-named fields', () => {
    const { logger, calls } = fakePowertools();
    const scrubber = new SecretScrubber();
    scrubber.add('s3cr3t-key');
    new PowertoolsLoggerAdapter(logger, scrubber).info('key s3cr3t-key', { apiKey: 'x', note: 'has s3cr3t-key' });
    const extra = { apiKey: REDACTED, note: `has ${REDACTED}` };
    expect(calls).toEqual([{ method: 'info', message: `key ${REDACTED}`, extra }]);
  });

  it('passes the Lambda context to Powertools', () => {
    const { logger, contexts } = fakePowertools();
    const context = makeContext(1_000);
    new PowertoolsLoggerAdapter(logger).addContext(context);
    expect(contexts).toEqual([context]);
  });
});
