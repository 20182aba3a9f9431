/** Starts one real Temporal server for the integration tests and bundles the test workflows. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';
// @ts-expect-error plain ESM script without types
import { startTestServer } from '../../scripts/testserver.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer({ args: ['-namespaces', 'default'] });
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(import.meta.dirname, '..', 'fixtures', 'workflows.ts'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const bundlePath = path.join(mkdtempSync(path.join(tmpdir(), 'tlw-bundle-')), 'workflow-bundle.js');
  writeFileSync(bundlePath, code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await server.stop();
  };
}
