// Cold start of a handler module: process start to handler ready (module loaded, runWorker
// called), with and without the otel entry point, as medians of alternating runs in one go.
// Usage: node bench/cold-start.mjs [runs]   (build first: npm run build && npm run build:example)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 15);
const variants = {
  'node -e ""': null,
  'core (examples/basic/lib/minimal-handler.js)': path.join(root, 'examples/basic/lib/minimal-handler.js'),
  'core + otel (examples/basic/lib/index.js)': path.join(root, 'examples/basic/lib/index.js'),
};

function once(file) {
  const script =
    file === null
      ? "process.stdout.write('ready')"
      : `require(${JSON.stringify(file)}); process.stdout.write('ready'); process.exit(0)`;
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', script], {
      cwd: path.join(root, 'examples/basic'),
      env: {
        PATH: process.env.PATH,
        HOME: '/tmp',
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        LAMBDA_TASK_ROOT: path.join(root, 'examples/basic'),
        LOG_LEVEL: 'ERROR',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.once('data', () => resolve(Number(process.hrtime.bigint() - start) / 1e6));
    child.on('exit', (code) => code !== 0 && reject(new Error(`exit ${code}`)));
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

for (const file of Object.values(variants))
  if (file && !existsSync(file)) throw new Error(`${file} is missing: run npm run build && npm run build:example`);
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, file] of Object.entries(variants)) samples[name].push(await once(file));
}
const results = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
const [baseline, core, otel] = Object.values(results);
console.log(
  JSON.stringify(
    {
      runs,
      medianMs: results,
      otelAddsMs: Math.round(otel - core),
      otelOverCore: +(otel / core).toFixed(2),
      coreOverNode: +(core / baseline).toFixed(2),
    },
    null,
    2,
  ),
);
