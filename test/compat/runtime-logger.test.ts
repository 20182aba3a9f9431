/**
 * The official test 'user can override runtimeOptions.logger', ported: a logger set in
 * `config.runtimeOptions` becomes the Runtime's logger. In a file of its own, because the Runtime
 * is installed once per process (vitest runs each file in a fresh one).
 */
import { expect, it } from 'vitest';
import { Runtime } from '@temporalio/worker';
import { compatHandler } from './support';

// official: 'user can override runtimeOptions.logger'
it('installs the Runtime with the logger set in runtimeOptions', () => {
  const lines: string[] = [];
  const customLogger = {
    log: (_level: string, message: string) => void lines.push(message),
    trace() {},
    debug() {},
    info() {},
    warn() {},
    error() {},
  };
  compatHandler((config, q) => {
    config.workerOptions.taskQueue = q;
    config.runtimeOptions.logger = customLogger;
  });
  // The Runtime puts its core-log collector in front of the logger it is given (the SDK does so
  // whenever core logs are forwarded), so what is checked is that the Runtime's lines reach it.
  Runtime.instance().logger.info('probe from the Runtime');
  (Runtime.instance().logger as { flush?: () => void }).flush?.();
  expect(lines).toContain('probe from the Runtime');
});
