// Pre-builds the workflow bundle next to the compiled handler (lib/workflow-bundle.js), where
// `require.resolve('./workflow-bundle.js')` in lib/index.js finds it. No webpack at cold start.
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile } from 'fs/promises';
import * as path from 'path';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
  });
  const out = path.join(__dirname, '..', 'workflow-bundle.js');
  await writeFile(out, code);
  console.log(`Wrote ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
