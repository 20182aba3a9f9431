/** SecretScrubber's edge cases: what it masks, what it keeps, and how it walks odd values. */
import { describe, expect, it } from 'vitest';
import { REDACTED, SecretScrubber } from '../../src/logging/redact';

const PEM_BODY = 'MHcCAQEEIBPb2xVZ0cW3Gm5h0v7Qx1Lr';

function scrubberWith(...secrets: Array<string | Uint8Array | undefined>): SecretScrubber {
  const scrubber = new SecretScrubber();
  for (const secret of secrets) scrubber.add(secret);
  return scrubber;
}

/** `{ a: { a: ... { a: leaf } } }` with `levels` objects. */
function nested(levels: number, leaf: unknown): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value as Record<string, unknown>;
}

describe('SecretScrubber.add', () => {
  it('ignores values shorter than 4 characters after trimming, and registers 4 and more', () => {
    const scrubber = scrubberWith('abc', '  xy  ', 'wxyz', undefined);
    expect(scrubber.scrubText('abc xy wxyz')).toBe(`abc xy ${REDACTED}`);
  });

  it('registers the trimmed value, so a key read from a file with a newline still matches', () => {
    expect(scrubberWith('  key-from-file\n').scrubText('sent key-from-file twice: key-from-file.')).toBe(
      `sent ${REDACTED} twice: ${REDACTED}.`,
    );
  });

  it('registers bytes as their UTF-8 text', () => {
    const scrubber = scrubberWith(new TextEncoder().encode('tls-key-bytes-\u00e9'));
    expect(scrubber.scrubText('loaded tls-key-bytes-\u00e9 from disk')).toBe(`loaded ${REDACTED} from disk`);
  });
});

describe('SecretScrubber.scrubText', () => {
  it('masks PEM private keys by shape, registered or not, and keeps certificates', () => {
    const scrubber = new SecretScrubber();
    const rsa = `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`;
    const pkcs8 = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----`;
    const certificate = `-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----`;
    expect(scrubber.scrubText(`a ${rsa} b ${pkcs8} c ${certificate}`)).toBe(
      `a ${REDACTED} b ${REDACTED} c ${certificate}`,
    );
  });

  it('masks a truncated PEM private key to the end of the text', () => {
    const truncated = `key: -----BEGIN EC PRIVATE KEY-----\n${PEM_BODY}`;
    expect(new SecretScrubber().scrubText(truncated)).toBe(`key: ${REDACTED}`);
  });
});

describe('SecretScrubber.scrub', () => {
  it('masks fields whose names say they hold a secret, whatever their value, and keeps empty ones', () => {
    const input = {
      apiKey: 'a',
      api_key: 'b',
      'x-api-key': 'c',
      privateKey: { pem: 'nested' },
      clientKey: 1,
      clientSecret: 'd',
      password: 'e',
      passphrase: 'f',
      Authorization: 'Bearer g',
      accessToken: 'h',
      credentials: ['i'],
      token: null,
      secret: undefined,
      key: 'kept',
      address: 'h:7233',
    };
    expect(new SecretScrubber().scrub(input)).toEqual({
      apiKey: REDACTED,
      api_key: REDACTED,
      'x-api-key': REDACTED,
      privateKey: REDACTED,
      clientKey: REDACTED,
      clientSecret: REDACTED,
      password: REDACTED,
      passphrase: REDACTED,
      Authorization: REDACTED,
      accessToken: REDACTED,
      credentials: REDACTED,
      token: null,
      secret: undefined,
      key: 'kept',
      address: 'h:7233',
    });
  });

  it('replaces registered secrets in strings at any depth it walks, arrays included', () => {
    const scrubber = scrubberWith('s3cr3t-value');
    expect(scrubber.scrub({ note: 'saw s3cr3t-value', list: ['s3cr3t-value', 2, true, null] })).toEqual({
      note: `saw ${REDACTED}`,
      list: [REDACTED, 2, true, null],
    });
  });

  it('marks an object met again on its own path as [Circular]', () => {
    const node: Record<string, unknown> = { name: 'root' };
    node.self = node;
    node.children = [{ parent: node }];
    expect(new SecretScrubber().scrub(node)).toEqual({
      name: 'root',
      self: '[Circular]',
      children: [{ parent: '[Circular]' }],
    });
  });

  it('walks six levels of objects and truncates the seventh', () => {
    expect(new SecretScrubber().scrub(nested(6, 'leaf'))).toEqual(nested(6, 'leaf'));
    expect(new SecretScrubber().scrub(nested(7, 'leaf'))).toEqual(nested(6, '[Truncated]'));
    // Arrays count as levels too.
    expect(new SecretScrubber().scrub(nested(5, [['deep']]))).toEqual(nested(5, ['[Truncated]']));
  });

  it('prints bytes as their length, never their content', () => {
    const bytes = new TextEncoder().encode('-----BEGIN PRIVATE KEY----- raw');
    expect(new SecretScrubber().scrub({ key: bytes, buffer: Buffer.from('abc'), empty: new Uint8Array(0) })).toEqual({
      key: `[${bytes.byteLength} bytes]`,
      buffer: '[3 bytes]',
      empty: '[0 bytes]',
    });
  });

  it('turns a bigint into its decimal string (JSON cannot hold one)', () => {
    const scrubbed = new SecretScrubber().scrub({ count: 12345678901234567890n, negative: -1n });
    expect(scrubbed).toEqual({ count: '12345678901234567890', negative: '-1' });
    expect(() => JSON.stringify(scrubbed)).not.toThrow();
  });

  it('scrubs an error, its stack and its chain of causes', () => {
    const scrubber = scrubberWith('tmprl-key-0123');
    const root = new TypeError('rejected key tmprl-key-0123');
    const middle = new Error('auth failed', { cause: root });
    const top = new Error('connect failed', { cause: middle });
    const scrubbed = scrubber.scrub(top) as Record<string, any>;
    expect(scrubbed).toMatchObject({
      name: 'Error',
      message: 'connect failed',
      cause: {
        name: 'Error',
        message: 'auth failed',
        cause: { name: 'TypeError', message: `rejected key ${REDACTED}` },
      },
    });
    expect(scrubbed.cause.cause.stack).toMatch(/^TypeError: rejected key \[REDACTED\]\n\s+at /);
    expect(JSON.stringify(scrubbed)).not.toContain('tmprl-key-0123');
  });

  it('masks a secret-named field of a cause that is not an Error, and stops at a cause cycle', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    first.cause = second;
    const withObjectCause = new Error('failed', { cause: { apiKey: 'k-123456', status: 401 } });
    expect(new SecretScrubber().scrub(withObjectCause)).toMatchObject({ cause: { apiKey: REDACTED, status: 401 } });
    expect(new SecretScrubber().scrub(first)).toMatchObject({
      message: 'first',
      cause: { message: 'second', cause: '[Circular]' },
    });
  });

  it('masks the separated spellings of private and client keys too', () => {
    expect(
      new SecretScrubber().scrub({ private_key: 'p', 'private-key': 'q', client_key: 'r', 'client-key': 's' }),
    ).toEqual({ private_key: REDACTED, 'private-key': REDACTED, client_key: REDACTED, 'client-key': REDACTED });
  });

  it('keeps an error without a stack or a cause without either key', () => {
    const error = new Error('plain');
    delete (error as { stack?: string }).stack;
    const scrubbed = new SecretScrubber().scrub(error) as Record<string, unknown>;
    expect(scrubbed).toEqual({ name: 'Error', message: 'plain', stack: undefined });
    expect('cause' in scrubbed).toBe(false);
  });

  it('counts a chain of causes against the depth: the seventh cause is truncated', () => {
    let error = new Error('cause 7');
    for (let i = 6; i >= 1; i--) error = new Error(`cause ${i}`, { cause: error });
    const top = new Error('top', { cause: error });
    let walked = new SecretScrubber().scrub(top) as { message?: string; cause?: unknown };
    const messages: unknown[] = [];
    while (typeof walked === 'object' && walked !== null) {
      messages.push(walked.message);
      walked = walked.cause as typeof walked;
    }
    expect(messages).toEqual(['top', 'cause 1', 'cause 2', 'cause 3', 'cause 4', 'cause 5']);
    expect(walked).toBe('[Truncated]');
  });
});
