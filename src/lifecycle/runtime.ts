/**
 * Installs the Temporal Runtime once per process: with the library's logger, core logs
 * forwarded to it, and no shutdown signals (Lambda owns the process lifecycle). A Runtime that
 * is already installed (a second `runWorker` in one process, or the user's own) is reused. Workers
 * created in the process from then on reuse the last parse of an unchanged workflow bundle.
 */
import type { Logger } from '@temporalio/common';
import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import { installedRuntime, reuseParsedWorkflowBundles } from '../sdk-internals';

/** Installs the Runtime with `options` over the Lambda defaults, or returns the installed one. */
export function ensureRuntime(options: RuntimeOptions, logger: Logger): { runtime: Runtime; installedNow: boolean } {
  reuseParsedWorkflowBundles(); // process-wide, as the Runtime: each invocation's worker reuses the last parse
  const installed = installedRuntime();
  if (installed !== undefined) return { runtime: installed, installedNow: false };
  const telemetryOptions = {
    ...options.telemetryOptions,
    logging: options.telemetryOptions?.logging ?? { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
  } as RuntimeOptions['telemetryOptions'];
  const runtime = Runtime.install({ logger, shutdownSignals: [], ...options, telemetryOptions });
  return { runtime, installedNow: true };
}
