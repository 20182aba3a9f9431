/** One way for the integration tests to build a real handler: unique names, captured logs, a recording hook. */
import { runWorkerWith } from '../../src/lifecycle/run-worker';
import { JsonLogger } from '../../src/logging/logger';
import type { LambdaWorkerConfig } from '../../src/config/lambda-config';
import type { ShutdownHook } from '../../src/lifecycle/hooks';
import * as activities from '../fixtures/activities';
import { captureLines, emptyDir } from './invoke';
import { uniqueName } from './temporal';

export interface TestHandlerOptions {
  bundlePath: string;
  env: Record<string, string>;
  /** Hooks run before the recording one. */
  hooks?: ShutdownHook[];
  /** Runs last: may override anything. */
  configure?: (config: LambdaWorkerConfig) => void;
  /** Makes configure async: awaited after the rest (a rejection fails the setup attempt). */
  configureAsync?: (config: LambdaWorkerConfig) => Promise<void>;
  /** Also receives every log line (a process-wide capture). */
  sink?: (line: string) => void;
}

export function testHandler(options: TestHandlerOptions) {
  const taskQueue = uniqueName('tq');
  const version = { deploymentName: uniqueName('dep'), buildId: 'b1' };
  const logs = captureLines();
  const hookCalls: number[] = [];
  const handler = runWorkerWith(
    version,
    (config) => {
      config.workerOptions.taskQueue = taskQueue;
      config.workerOptions.workflowBundle = { codePath: options.bundlePath };
      config.workerOptions.activities = activities;
      config.logger = new JsonLogger({ write: (line) => (logs.write(line), options.sink?.(line)) });
      config.shutdownHooks.push(...(options.hooks ?? []), () => void hookCalls.push(Date.now()));
      config.idleExitMs = false; // the deadline behaviour, unless a test turns idle exit on
      config.workerOptions.shutdownGraceTime = 1_000; // with a 3 s buffer, a 12 s invocation works 9 s
      config.shutdownDeadlineBufferMs = 3_000;
      options.configure?.(config);
      return options.configureAsync?.(config);
    },
    { env: options.env, cwd: emptyDir() },
  );
  return { handler, taskQueue, version, logs, hookCalls };
}
