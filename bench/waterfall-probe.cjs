// Preloaded (node -r) into a handler's process by bench/cold-start.mjs: records where a cold start's
// milliseconds go without changing what runs. Times are epoch milliseconds (performance.timeOrigin
// + performance.now(), the clock the parent stamps the spawn with).
// - Module loads: self time per package, from Module._load (node_modules installs) and from the
//   bundle's module wrappers (a copy of ours whose __commonJS/__esm call globalThis.__tlwTimed).
// - The native module's dlopen, then the Temporal core's own calls at the bridge (the same native
//   functions for every Lambda library): Runtime install, connect, worker create and validate,
//   the first workflow poll and the task it returns.
const Module = require('node:module');
const { performance } = require('node:perf_hooks');

const now = () => performance.timeOrigin + performance.now();
const state = { loads: new Map(), order: [], marks: [] };
const stack = [];

/** The package a module file belongs to: what follows its last node_modules/, else the app's own. */
function packageOf(file) {
  const at = file.lastIndexOf('node_modules/');
  if (at < 0) return file.startsWith('virtual:') ? 'stubs' : /\bdist\//.test(file) ? 'temporal-lambda-worker' : 'app';
  const [first, second] = file.slice(at + 'node_modules/'.length).split('/');
  const name = first.startsWith('@') ? `${first}/${second}` : first;
  return name === 'temporal-lambda-worker' || name === '@temporalio/lambda-worker' ? 'the Lambda library' : name;
}

function charge(name, ms) {
  if (!state.loads.has(name)) state.order.push(name);
  state.loads.set(name, (state.loads.get(name) ?? 0) + ms);
}

/** Runs `load`, charging its time less its nested loads' to `bucket` (self time). */
function timed(bucket, load) {
  const frame = { start: now(), nested: 0 };
  stack.push(frame);
  try {
    return load();
  } finally {
    stack.pop();
    const spent = now() - frame.start;
    charge(bucket, spent - frame.nested);
    if (stack.length > 0) stack[stack.length - 1].nested += spent;
  }
}

globalThis.__tlwTimed = (file, load) => timed(`load ${packageOf(file)}`, load);

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (Module.isBuiltin(request)) return load.apply(this, arguments);
  let file = request;
  try {
    file = Module._resolveFilename(request, parent, isMain);
  } catch {
    // left to _load to report
  }
  return timed(`load ${packageOf(file)}`, () => load.apply(this, arguments));
};

function mark(name, start, end = now()) {
  state.marks.push({ name, start, end });
}

/** Names whose next call is recorded: each core call once per invocation (re-armed by take()). */
const armed = new Set();

/** Records the call of `fn` from its start to its settling, when `name` is armed. */
function recorded(name, fn) {
  return function (...args) {
    if (!armed.delete(name)) return fn.apply(this, args);
    const start = now();
    // Made while a module loads (a Runtime installed at import): its own bucket, not the module's.
    const result = stack.length > 0 ? timed(`${name} (during load)`, () => fn.apply(this, args)) : fn.apply(this, args);
    if (result && typeof result.then === 'function')
      result.then(
        () => mark(name, start),
        () => mark(`${name} (failed)`, start),
      );
    else mark(name, start);
    return result;
  };
}

const CORE_CALLS = {
  newRuntime: 'Runtime install',
  newClient: 'connect',
  newWorker: 'worker create',
  workerValidate: 'worker validate',
  workerPollWorkflowActivation: 'first workflow poll (to its task)',
};
const arm = () => [...Object.values(CORE_CALLS), ...Object.values(SANDBOX)].forEach((name) => armed.add(name));

const dlopen = process.dlopen;
process.dlopen = function (module, filename) {
  const result = timed('load native module (dlopen)', () => dlopen.apply(this, arguments));
  if (/core-bridge/.test(filename) && module.exports) {
    const exports = module.exports;
    for (const [fn, name] of Object.entries(CORE_CALLS))
      if (typeof exports[fn] === 'function') exports[fn] = recorded(name, exports[fn]);
  }
  return result;
};

// The workflow sandbox: a V8 context and the workflow bundle compiled and run in it, made when
// the worker is created (the SDK calls node:vm's exports at call time, so these wrappers see it).
const vm = require('node:vm');
const SANDBOX = {
  context: 'workflow sandbox: new V8 context',
  compile: 'workflow sandbox: compile the bundle',
  run: 'workflow sandbox: run the bundle',
};
vm.createContext = recorded(SANDBOX.context, vm.createContext);
const NativeScript = vm.Script;
vm.Script = class Script extends NativeScript {
  constructor(code, options) {
    // Only the bundle: small scripts compiled on the way are not what this segment is about.
    const start = typeof code === 'string' && code.length > 100_000 && armed.delete(SANDBOX.compile) ? now() : 0;
    super(code, options);
    if (start) mark(SANDBOX.compile, start);
  }
};
NativeScript.prototype.runInContext = recorded(SANDBOX.run, NativeScript.prototype.runInContext);
arm();

/**
 * What was recorded since the last take, for the runner's replies; the core calls count again from
 * the next invocation on (a warm invocation connects, creates and polls again, or reuses).
 */
globalThis.__tlwWaterfall = {
  mark,
  take() {
    const taken = {
      boot: {
        origin: performance.timeOrigin,
        bootstrapComplete: performance.timeOrigin + performance.nodeTiming.bootstrapComplete,
      },
      loads: state.order.map((name) => ({ name, ms: state.loads.get(name) })),
      marks: state.marks.splice(0),
    };
    state.loads.clear();
    state.order = [];
    arm();
    return taken;
  },
};
