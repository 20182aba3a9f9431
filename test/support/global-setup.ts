/** Starts one real Temporal server for the integration tests and bundles the test workflows. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';
import { makeOtelPlugin } from '../../otel/tracing';
// @ts-expect-error plain ESM script without types
import { startTestServer } from '../../scripts/testserver.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    otelWorkflowBundlePath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer({ args: ['-namespaces', 'default'] });
  const bundleDir = mkdtempSync(path.join(tmpdir(), 'tlw-bundle-'));
  const bundle = async (name: string, plugins: NonNullable<Parameters<typeof bundleWorkflowCode>[0]['plugins']>) => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(import.meta.dirname, '..', 'fixtures', 'workflows.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
      plugins,
    });
    const file = path.join(bundleDir, name);
    writeFileSync(file, code);
    return file;
  };
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', await bundle('workflow-bundle.js', []));
  project.provide('otelWorkflowBundlePath', await bundle('workflow-bundle-otel.js', [makeOtelPlugin({ endpoint: 'localhost:4317' }).plugin]));
  return async () => {
    await server.stop();
  };
}
