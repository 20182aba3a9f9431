// Builds (once per pin) and starts the Go test server in testserver/. The binary is cached
// outside the repo, keyed by a hash of go.mod, go.sum and the sources, so it is rebuilt only
// when the pin or the code changes. Usage as a CLI: `node scripts/testserver.mjs [--build-only] [server flags...]`.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const sourceDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'testserver');

function cacheRoot() {
  return process.env.TLW_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'temporal-lambda-worker');
}

function sourceHash() {
  const hash = createHash('sha256');
  for (const name of readdirSync(sourceDir).sort()) {
    if (name === 'go.mod' || name === 'go.sum' || name.endsWith('.go')) hash.update(name).update(readFileSync(path.join(sourceDir, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Returns the path of the test server binary, building it when the cache lacks this version. */
export function ensureTestServerBinary({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const binary = path.join(cacheRoot(), `testserver-${sourceHash()}`);
  if (existsSync(binary)) return binary;
  mkdirSync(cacheRoot(), { recursive: true });
  log(`Building the Temporal test server (go.temporal.io/server, first run only; a few minutes) into ${binary}`);
  const tmp = `${binary}.tmp-${process.pid}`;
  execFileSync('go', ['build', '-trimpath', '-o', tmp, '.'], {
    cwd: sourceDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'auto', CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
  });
  renameSync(tmp, binary);
  return binary;
}

/**
 * Starts a server; resolves once it prints READY. `args` are extra flags, e.g.
 * ['-dynamic', 'workercontroller.enabled=true']. `env` adds to the process environment.
 */
export function startTestServer({ args = [], env = {}, timeoutMs = 60_000 } = {}) {
  const binary = ensureTestServerBinary();
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The test server did not start within ${timeoutMs} ms. Its stderr:\n${stderr}`));
    }, timeoutMs);
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/READY (\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve({
          address: match[1],
          pid: child.pid,
          process: child,
          stop: () => stopChild(child),
          kill: () => stopChild(child, 'SIGKILL'),
        });
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The test server exited early (code ${code}, signal ${signal}). Its stderr:\n${stderr}`));
    });
  });
}

function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  if (args[0] === '--build-only') {
    console.log(ensureTestServerBinary());
  } else {
    const server = await startTestServer({ args });
    console.log(`Temporal test server on ${server.address} (Ctrl-C to stop)`);
    const stop = () => server.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
}
