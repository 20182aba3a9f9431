// `npm run test:mutation`: runs StrykerJS (stryker.config.mjs; extra arguments go to it, such as
// `--mutate src/logging/redact.ts`), times it, and writes reports/mutation-summary.md from its JSON
// report. `--watched` mutates the watched modules of scripts/mutation-summary.mjs only and fails
// (exit 1) when a lifecycle, timeline or config module scores under 85% or a survivor there has no
// reason in scripts/mutation-equivalents.mjs: the form CI runs.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WATCHED } from './mutation-summary.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const watched = process.argv.includes('--watched');
const args = process.argv.slice(2).filter((arg) => arg !== '--watched');
if (watched) args.push('--mutate', WATCHED.join(','));
const startedMs = Date.now();
const stryker = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', ...args],
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
  [
    path.join(root, 'scripts', 'mutation-summary.mjs'),
    '--wall-time-ms',
    String(wallTimeMs),
    ...(watched ? ['--gate'] : []),
  ],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(summary.status ?? 1);
