// What a user's function carries: `npm install --omit=dev` in a fresh app of ours (the packed
// tarball), of ours as it was with its build tools as runtime dependencies (the same tarball plus
// esbuild, @vercel/nft and yazl at the versions it had), and of the official package.
// Usage: node bench/install-size.mjs   (build first: npm run build)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const packDir = mkdtempSync(path.join(tmpdir(), 'tlw-size-pack-'));
const tarball = path.join(
  packDir,
  execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: root, encoding: 'utf8' })
    .trim()
    .split('\n')
    .at(-1),
);

function measure(name, packages) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tlw-size-app-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, version: '1.0.0' }));
  execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', ...packages], {
    cwd: dir,
    stdio: 'ignore',
  });
  const modules = path.join(dir, 'node_modules');
  const bytes = Number(execFileSync('du', ['-sb', modules], { encoding: 'utf8' }).split('\t')[0]);
  const files = Number(execFileSync('sh', ['-c', `find "${modules}" -type f | wc -l`], { encoding: 'utf8' }));
  const packagesInstalled = Number(
    execFileSync(
      'sh',
      ['-c', `find "${modules}" -name package.json -not -path "*/node_modules/*/node_modules/*/*/*" | wc -l`],
      { encoding: 'utf8' },
    ),
  );
  return { name, mb: +(bytes / 1024 / 1024).toFixed(1), files, packageJsons: packagesInstalled };
}

const rows = [
  measure('ours, build tools as dependencies (before)', [
    tarball,
    'esbuild@0.27.7',
    '@vercel/nft@1.11.5',
    'yazl@3.3.1',
  ]),
  measure('ours (now)', [tarball]),
  measure('official @temporalio/lambda-worker@1.23.0', ['@temporalio/lambda-worker@1.23.0']),
];
console.log(JSON.stringify({ node: process.version, rows }, null, 2));
