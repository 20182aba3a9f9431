// Pre-bundling workflows: the Serverless Workers page's build script, and its form with the
// OpenTelemetry plugin (top-level await, so an ES module).
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile } from 'fs/promises';
import { makeOtelPlugin } from 'temporal-lambda-worker/otel';

{
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
  });
  await writeFile('./workflow-bundle.js', code);
}

const { plugin } = makeOtelPlugin();
const { code } = await bundleWorkflowCode({
  workflowsPath: require.resolve('./workflows'),
  plugins: [plugin],
});
export { code };
