/**
 * Checks that the build the suite loads is this checkout's current one, installs the serverless
 * loop's parts (Node 22, aws-lambda-ric, the ADOT layer's distro) and bundles the test workflows.
 */
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM script without types
import { ensureServerlessLoop } from '../emulator/setup.mjs';
// @ts-expect-error plain ESM script without types
import { ensureAdotLayer } from '../emulator/adot-layer.mjs';
// @ts-expect-error plain ESM script without types
import { ensureTestServerBinary } from '../../scripts/testserver.mjs';
import { bundleTestWorkflows } from './bundles';
import { assertFreshBuild, assertLoadsThisCheckout, REPO_ROOT } from './fresh-build';

export default async function setup(project: TestProject): Promise<void> {
  // The handlers in the emulator require('temporal-lambda-worker'): dist/ of the checkout it resolves to.
  assertLoadsThisCheckout(path.join(REPO_ROOT, 'test', 'fixtures'));
  assertFreshBuild();
  ensureServerlessLoop();
  ensureAdotLayer();
  ensureTestServerBinary();
  const bundles = await bundleTestWorkflows();
  project.provide('workflowBundlePath', bundles.plain);
  project.provide('otelWorkflowBundlePath', bundles.otel);
  project.provide('temporalAddress', '');
}
