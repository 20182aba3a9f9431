/** A collector that is down or silent neither fails the invocation nor delays it past the deadline. */
import { describe, expect, inject, it } from 'vitest';
import { applyDefaults } from '../../otel/index';
import { testHandler } from '../support/handler';
import { invoke, reportMargin } from '../support/invoke';
import { closedAddress, startSilentServer } from '../support/temporal';
import { logged } from '../support/logs';

const address = inject('temporalAddress');
const bundlePath = inject('otelWorkflowBundlePath');

describe('applyDefaults with no working collector', () => {
  it('settles before the deadline without error when the collector is down, and when it accepts TCP and never answers', async () => {
    const silent = await startSilentServer();
    const down = await closedAddress();
    try {
      for (const [name, endpoint] of [
        ['collector down', down],
        ['collector silent', silent.address],
      ] as const) {
        const { handler, logs } = testHandler({
          bundlePath,
          env: { TEMPORAL_ADDRESS: address },
          configure: (config) => applyDefaults(config, { endpoint }),
        });
        const record = await invoke(handler, 8_000);
        reportMargin(name, record);
        expect(record.error).toBeUndefined();
        expect(record.settledMs).toBeLessThan(record.context.deadlineMs);
        expect(logged(logs.lines, { message: 'Invocation summary', endReason: 'deadline' })).toHaveLength(1);
      }
    } finally {
      await silent.close();
    }
  });
});
