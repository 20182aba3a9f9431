/** The one shutdown hook of the OpenTelemetry entry point: flush a pipeline before the hook's deadline. */
import type { Logger } from '@temporalio/common';
import type { ShutdownHook } from '../src/lifecycle/hooks';
import { settleBefore } from '../src/lifecycle/bounded';

/**
 * A shutdown hook that runs `flush` until the hook's deadline. A collector that is slow or down is
 * logged with `endpoint`, never thrown: telemetry must not fail the invocation.
 */
export function flushHook(
  what: 'Metrics' | 'Span',
  flush: () => Promise<void>,
  endpoint: string,
  logger: Logger,
): ShutdownHook {
  return async ({ deadlineMs }) => {
    const startMs = Date.now();
    try {
      const flushed = await settleBefore(flush(), deadlineMs);
      if (flushed.timedOut) {
        logger.warn(`${what} flush did not finish before its deadline; the collector may be down or slow`, {
          endpoint,
        });
      } else {
        logger.debug(`${what} flushed`, { durationMs: Date.now() - startMs });
      }
    } catch (error) {
      logger.warn(`${what} flush failed; the invocation goes on`, { endpoint, error });
    }
  };
}
