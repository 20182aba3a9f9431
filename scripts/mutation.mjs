// `npm run test:mutation`: runs StrykerJS (stryker.config.mjs; extra arguments go to it, such as
// `--mutate src/redact.ts`), times it, and writes reports/mutation-summary.md from its JSON report.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const startedMs = Date.now();
const stryker = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
const wallTimeMs = Date.now() - startedMs;
process.stdout.write(`\nStryker ran for ${Math.round(wallTimeMs / 1000)} s (exit ${stryker.status}).\n`);
if (stryker.status !== 0) process.exit(stryker.status ?? 1);
const summary = spawnSync(
  process.execPath,
  [path.join(root, 'scripts', 'mutation-summary.mjs'), '--wall-time-ms', String(wallTimeMs)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(summary.status ?? 1);
