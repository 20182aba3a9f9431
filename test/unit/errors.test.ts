import { describe, expect, it } from 'vitest';
import { InsufficientTimeError, LambdaWorkerError, MissingTaskQueueError } from '../../src/errors';

describe('errors', () => {
  it('carry a stable name and a subclass chain that instanceof follows', () => {
    const error = new MissingTaskQueueError('no queue');
    expect(error.name).toBe('MissingTaskQueueError');
    expect(error).toBeInstanceOf(MissingTaskQueueError);
    expect(error).toBeInstanceOf(LambdaWorkerError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(InsufficientTimeError);
  });

  it('are recognised across duplicate copies of the library by their brand', () => {
    const brand = Symbol.for('temporal-lambda-worker.error-names');
    const foreign = Object.assign(new Error('from the other build'), {
      [brand]: ['MissingTaskQueueError', 'LambdaWorkerError'],
    });
    expect(foreign).toBeInstanceOf(MissingTaskQueueError);
    expect(foreign).toBeInstanceOf(LambdaWorkerError);
    expect(new Error('plain')).not.toBeInstanceOf(LambdaWorkerError);
  });

  it('keep the cause', () => {
    const cause = new Error('root');
    expect(new LambdaWorkerError('wrapped', { cause }).cause).toBe(cause);
  });
});

describe('checkNodeVersion', () => {
  it('refuses Node.js before 20, naming the version and the Lambda runtime to use; accepts 20, 22, 24', async () => {
    const { checkNodeVersion } = await import('../../src/config/node-version');
    const { UnsupportedNodeVersionError } = await import('../../src/errors');
    expect(() => checkNodeVersion('18.20.4')).toThrow(UnsupportedNodeVersionError);
    expect(() => checkNodeVersion('18.20.4')).toThrow(/Node\.js 18\.20\.4.*--runtime nodejs24\.x/);
    for (const version of ['20.3.0', '22.23.3', '24.22.3']) expect(() => checkNodeVersion(version)).not.toThrow();
  });
});
