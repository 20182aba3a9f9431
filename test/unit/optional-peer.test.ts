/** The one loader of optional peers: a missing package is named with its install line; other errors pass. */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, MissingPeerError } from '../../src/errors';
import { isModuleNotFound, loadPeer, peerLoadError } from '../../src/optional-peer';

const spec = {
  purpose: 'applyTracing',
  packages: ['@opentelemetry/sdk-trace-base', '@opentelemetry/core'],
  install: 'npm install x@1 y@2',
};

describe('loadPeer', () => {
  it('returns what it loaded', async () => {
    await expect(loadPeer(() => import('node:path'), spec)).resolves.toHaveProperty('join');
  });

  it('names the purpose, the packages not found and the install line, as MissingPeerError (an InvalidOptionError)', async () => {
    const failure = loadPeer(() => import('@temporalio/not-a-package' as string), spec);
    await expect(failure).rejects.toBeInstanceOf(MissingPeerError);
    await expect(failure).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(failure).rejects.toThrow(
      /^applyTracing needs @opentelemetry\/sdk-trace-base, @opentelemetry\/core, which are not installed \(.*not-a-package.*\)\. Install: npm install x@1 y@2$/,
    );
  });

  it('passes any other error through as it is', async () => {
    const other = new SyntaxError('Unexpected token in a peer');
    await expect(loadPeer(() => Promise.reject(other), spec)).rejects.toBe(other);
  });
});

describe('peerLoadError', () => {
  it('names only the packages given as missing, with "is" for one', () => {
    const error = peerLoadError(Object.assign(new Error('Cannot find module'), { code: 'MODULE_NOT_FOUND' }), spec, [
      '@opentelemetry/core',
    ]);
    expect((error as Error).message).toMatch(
      /^applyTracing needs @opentelemetry\/core, which is not installed \(Cannot find module\)/,
    );
  });

  it("recognises both module systems' not-found codes, and nothing else", () => {
    expect(isModuleNotFound({ code: 'MODULE_NOT_FOUND' })).toBe(true);
    expect(isModuleNotFound({ code: 'ERR_MODULE_NOT_FOUND' })).toBe(true);
    expect(isModuleNotFound({ code: 'ENOENT' })).toBe(false);
    expect(isModuleNotFound(undefined)).toBe(false);
  });
});
