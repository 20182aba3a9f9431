/** Starts one real Temporal server for the integration tests and bundles the test workflows. */
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM script without types
import { startTestServer } from '../../scripts/testserver.mjs';
import { bundleTestWorkflows } from './bundles';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    otelWorkflowBundlePath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer({ args: ['-namespaces', 'default'] });
  const bundles = await bundleTestWorkflows();
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundles.plain);
  project.provide('otelWorkflowBundlePath', bundles.otel);
  return async () => {
    await server.stop();
  };
}
