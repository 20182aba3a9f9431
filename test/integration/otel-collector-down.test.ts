/** A collector that is down or silent neither fails the invocation nor delays it past the deadline. */
import { describe, expect, inject, it } from 'vitest';
import { runWorker } from '../../src/run-worker';
import { JsonLogger } from '../../src/logger';
import { applyDefaults } from '../../otel/index';
import * as activities from '../fixtures/activities';
import { emptyDir, invoke, reportMargin } from '../support/invoke';
import { closedAddress, startSilentServer, uniqueName } from '../support/temporal';

const address = inject('temporalAddress');
const bundlePath = inject('otelWorkflowBundlePath');

describe('applyDefaults with no working collector', () => {
  it('settles before the deadline without error when the collector is down, and when it accepts TCP and never answers', async () => {
    const silent = await startSilentServer();
    const down = await closedAddress();
    try {
      for (const [name, endpoint] of [['collector down', down], ['collector silent', silent.address]] as const) {
        const lines: string[] = [];
        const handler = runWorker(
          { deploymentName: uniqueName('dep'), buildId: 'b1' },
          (config) => {
            config.workerOptions.taskQueue = uniqueName('otel-down');
            config.workerOptions.workflowBundle = { codePath: bundlePath };
            config.workerOptions.activities = activities;
            config.workerOptions.shutdownGraceTime = 1_000;
            config.shutdownDeadlineBufferMs = 3_000;
            config.logger = new JsonLogger({ write: (line) => void lines.push(line) });
            applyDefaults(config, { endpoint });
          },
          { env: { TEMPORAL_ADDRESS: address }, cwd: emptyDir() },
        );
        const record = await invoke(handler, 8_000);
        reportMargin(name, record);
        expect(record.error).toBeUndefined();
        expect(record.settledMs).toBeLessThan(record.context.deadlineMs);
        expect(lines.join('')).toContain('"endReason":"deadline"');
      }
    } finally {
      await silent.close();
    }
  });
});
