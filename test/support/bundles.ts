/** Builds the test workflow bundles once per test run (plain and with the otel interceptors). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { makeOtelPlugin } from '../../otel/tracing';

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export async function bundleTestWorkflows(): Promise<{ plain: string; otel: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tlw-bundle-'));
  const bundle = async (name: string, plugins: NonNullable<Parameters<typeof bundleWorkflowCode>[0]['plugins']>) => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(import.meta.dirname, '..', 'fixtures', 'workflows.ts'),
      logger: quiet,
      plugins,
    });
    const file = path.join(dir, name);
    writeFileSync(file, code);
    return file;
  };
  return {
    plain: await bundle('workflow-bundle.js', []),
    otel: await bundle('workflow-bundle-otel.js', [makeOtelPlugin({ endpoint: 'localhost:4317' }).plugin]),
  };
}
