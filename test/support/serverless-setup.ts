/** Installs the serverless loop's parts (Node 22, aws-lambda-ric) and bundles the test workflows. */
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM script without types
import { ensureServerlessLoop } from '../../serverless/setup.mjs';
// @ts-expect-error plain ESM script without types
import { ensureTestServerBinary } from '../../scripts/testserver.mjs';
import { bundleTestWorkflows } from './bundles';

export default async function setup(project: TestProject): Promise<void> {
  ensureServerlessLoop();
  ensureTestServerBinary();
  const bundles = await bundleTestWorkflows();
  project.provide('workflowBundlePath', bundles.plain);
  project.provide('otelWorkflowBundlePath', bundles.otel);
  project.provide('temporalAddress', '');
}
