import { describe, expect, it } from 'vitest';
import { JsonLogger, parseLogLevel, withInvocationLogFields } from '../../src/logging/logger';
import { REDACTED, SecretScrubber } from '../../src/logging/redact';

function capture(options: ConstructorParameters<typeof JsonLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = new JsonLogger({
    env: { AWS_LAMBDA_FUNCTION_NAME: 'fn' },
    ...options,
    write: (line) => void lines.push(line),
  });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with level, message, time, request id and function name', async () => {
    const { logger, lines, parsed } = capture();
    await withInvocationLogFields({ requestId: 'req-1', functionName: 'fn' }, async () =>
      logger.info('hello', { taskQueue: 'q' }),
    );
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(lines[0]?.trim().includes('\n')).toBe(false);
    expect(parsed()[0]).toMatchObject({
      level: 'INFO',
      message: 'hello',
      requestId: 'req-1',
      functionName: 'fn',
      taskQueue: 'q',
    });
    expect(Date.parse(parsed()[0]!.timestamp as string)).not.toBeNaN();
  });

  it('keeps each concurrent invocation its own request id', async () => {
    const { logger, parsed } = capture();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    await Promise.all(
      ['a', 'b'].map((id) =>
        withInvocationLogFields({ requestId: id }, async () => {
          await tick();
          logger.info(`from ${id}`);
          await tick();
          logger.info(`again ${id}`);
        }),
      ),
    );
    expect(
      parsed()
        .map((line) => line.message)
        .sort(),
    ).toEqual(['again a', 'again b', 'from a', 'from b']);
    for (const line of parsed()) expect(line.message).toContain(line.requestId as string);
  });

  it('filters below its level, read from LOG_LEVEL then AWS_LAMBDA_LOG_LEVEL', () => {
    expect(capture({ env: { LOG_LEVEL: 'warn' } }).logger.level).toBe('WARN');
    expect(capture({ env: { AWS_LAMBDA_LOG_LEVEL: 'DEBUG' } }).logger.level).toBe('DEBUG');
    expect(parseLogLevel('FATAL')).toBe('ERROR');
    const { logger, lines } = capture({ level: 'WARN' });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
  });

  it('never prints registered secrets, secret-named fields or PEM private keys', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('tmprl-api-key-abcdef');
    const { logger, lines } = capture({ scrubber });
    logger.error('failed with key tmprl-api-key-abcdef', {
      connection: { apiKey: 'another-key', address: 'h:1' },
      pem: '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      error: new Error('auth tmprl-api-key-abcdef rejected'),
    });
    const out = lines.join('');
    expect(out).not.toContain('tmprl-api-key-abcdef');
    expect(out).not.toContain('another-key');
    expect(out).not.toContain('MIIE');
    expect(out).toContain(REDACTED);
    expect(out).toContain('h:1');
  });
});
