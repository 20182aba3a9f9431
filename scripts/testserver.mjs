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
  return (
    process.env.TLW_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'temporal-lambda-worker')
  );
}

/** Hash of go.mod, go.sum and the package's own .go files: the cache key of one binary. */
function sourceHash(packageDir) {
  const hash = createHash('sha256');
  for (const name of ['go.mod', 'go.sum']) hash.update(name).update(readFileSync(path.join(sourceDir, name)));
  for (const name of readdirSync(path.join(sourceDir, packageDir)).sort()) {
    if (name.endsWith('.go')) hash.update(name).update(readFileSync(path.join(sourceDir, packageDir, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** The Go programs of testserver/: the Temporal server and the OTLP receiver. */
const TARGETS = {
  testserver: {
    packageDir: '.',
    what: 'the Temporal test server (go.temporal.io/server, first run only; a few minutes)',
  },
  otlpreceiver: { packageDir: 'otlpreceiver', what: 'the OTLP/gRPC receiver (go.opentelemetry.io/proto/otlp)' },
};

/** Returns the path of a binary of testserver/, building it when the cache lacks this version. */
export function ensureBinary(target, { log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const { packageDir, what } = TARGETS[target];
  const binary = path.join(cacheRoot(), `${target}-${sourceHash(packageDir)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(cacheRoot(), { recursive: true });
  log(`Building ${what} into ${binary}`);
  const tmp = `${binary}.tmp-${process.pid}`;
  execFileSync('go', ['build', '-trimpath', '-o', tmp, `./${packageDir}`], {
    cwd: sourceDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'auto', CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
  });
  renameSync(tmp, binary);
  return binary;
}

/** Returns the path of the test server binary, building it when needed. */
export function ensureTestServerBinary(options) {
  return ensureBinary('testserver', options);
}

/**
 * Starts a server; resolves once it prints READY. `args` are extra flags, e.g.
 * ['-dynamic', 'workercontroller.enabled=true']. `env` adds to the process environment.
 */
export function startTestServer({ args = [], env = {}, timeoutMs = 60_000 } = {}) {
  return startBinary('testserver', { args, env, timeoutMs });
}

/**
 * Starts the OTLP receiver; resolves once it listens. `lines()` returns the export requests
 * received so far, parsed.
 */
export async function startOtlpReceiver({ timeoutMs = 30_000 } = {}) {
  const started = await startBinary('otlpreceiver', { args: [], env: {}, timeoutMs });
  let buffer = '';
  const received = [];
  started.process.stdout.on('data', (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.startsWith('{')) received.push(JSON.parse(line));
    }
  });
  return { ...started, received: () => received.slice() };
}

/** Attempts at starting a server whose free port was taken by another process meanwhile. */
const PORT_RACE_ATTEMPTS = 3;

/**
 * Starts a binary and waits for READY. The Go programs pick free ports by listening on port 0
 * and closing, then bind them later: a server starting at the same moment can take one first
 * ("address already in use"). Such a start is tried again with new ports.
 */
async function startBinary(target, options) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBinaryOnce(target, options);
    } catch (error) {
      if (attempt >= PORT_RACE_ATTEMPTS || !/address already in use/.test(String(error?.message))) throw error;
      process.stderr.write(
        `${target}: a port was taken while it started (attempt ${attempt} of ${PORT_RACE_ATTEMPTS}); trying again\n`,
      );
    }
  }
}

function startBinaryOnce(target, { args, env, timeoutMs }) {
  const binary = ensureBinary(target);
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${target} did not start within ${timeoutMs} ms. Its stderr:\n${stderr}`));
    }, timeoutMs);
    let stdout = '';
    const onData = (chunk) => {
      stdout += chunk;
      const match = stdout.match(/READY (\S+)/);
      if (match) {
        child.stdout.off('data', onData);
        clearTimeout(timer);
        resolve({
          address: match[1],
          pid: child.pid,
          process: child,
          stop: () => stopChild(child),
          kill: () => stopChild(child, 'SIGKILL'),
        });
      }
    };
    child.stdout.on('data', onData);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${target} exited early (code ${code}, signal ${signal}). Its stderr:\n${stderr}`));
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
    for (const target of Object.keys(TARGETS)) console.log(ensureBinary(target));
  } else {
    const server = await startTestServer({ args });
    console.log(`Temporal test server on ${server.address} (Ctrl-C to stop)`);
    const stop = () => server.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
}
