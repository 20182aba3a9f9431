// Pre-builds the workflow bundle, with the OpenTelemetry workflow interceptors, next to the
// compiled handler (lib/workflow-bundle.js), where `require.resolve('./workflow-bundle.js')` in
// lib/index.js finds it. No webpack at cold start.
import { bundleWorkflowCode } from '@temporalio/worker';
import { makeOtelPlugin } from 'temporal-lambda-worker/otel';
import { writeFile } from 'fs/promises';
import * as path from 'path';

async function main(): Promise<void> {
  const { plugin } = makeOtelPlugin();
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    plugins: [plugin],
  });
  const out = path.join(__dirname, '..', 'workflow-bundle.js');
  await writeFile(out, code);
  console.log(`Wrote ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
