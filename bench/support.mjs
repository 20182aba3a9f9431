// Small helpers the bench scripts share.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes build b1 of `deploymentName` current once the server knows it (after its first poll). */
export async function makeCurrent(client, deploymentName) {
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(200)) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: 'default',
        deploymentName,
        buildId: 'b1',
        ignoreMissingTaskQueues: true,
      });
      return;
    } catch {
      // not registered yet
    }
  }
  throw new Error(`${deploymentName} never became current`);
}

/**
 * Prints `section` and puts it at the end of bench/RESULTS.md in place of the section whose heading
 * starts with `heading` (each bench owns one; the others are kept as they are).
 */
export function writeResultsSection(heading, section) {
  console.log(section);
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const escaped = heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const kept = previous.replace(new RegExp(`## ${escaped}[\\s\\S]*?(?=\\n## |$)`), '').trimEnd();
  writeFileSync(file, `${kept}\n\n${section.trimEnd()}\n`);
}
