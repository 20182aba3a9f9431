// What the benches that compare ours with the official package share: packing both sides the way
// their users would, the load profiles, and hosting a handler in its own process.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCurrent } from './support.mjs';

export const bench = path.dirname(fileURLToPath(import.meta.url));
export const root = path.join(bench, '..');
const work = path.join(root, '.bench-work'); // ours: resolves the root's @temporalio 1.24
const officialWork = path.join(bench, '.work'); // official: resolves bench/node_modules (1.23)
export const say = (message) => console.error(`[bench] ${message}`);
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * The literal environment variables of the example's function template (examples/basic/cloudformation/
 * function.yaml), e.g. MALLOC_ARENA_MAX: ours runs with what a user deploying the example gets.
 * Values given by `!Ref`/`!If` (the connection settings) are left out: the bench sets its own.
 */
export function templateEnv() {
  const template = readFileSync(path.join(root, 'examples', 'basic', 'cloudformation', 'function.yaml'), 'utf8');
  const block = template.match(/\n( +)Environment:\n\1  Variables:\n((?:\1    .*\n)+)/);
  if (!block) throw new Error('examples/basic/cloudformation/function.yaml: no Environment.Variables block');
  const literal = [...block[2].matchAll(/^ +([A-Z_][A-Z0-9_]*): +(?![ !])'?([^'\n]*?)'?$/gm)];
  return Object.fromEntries(literal.map(([, name, value]) => [name, value]));
}

function duBytes(...paths) {
  return paths.reduce((sum, p) => sum + Number(execFileSync('du', ['-sb', p], { encoding: 'utf8' }).split('\t')[0]), 0);
}

async function bundle(requireFrom, workflowsPath, out) {
  const { bundleWorkflowCode } = createRequire(requireFrom)('@temporalio/worker');
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  writeFileSync(out, code);
}

/** The function's memory in the example's template: the code cache is made for its V8 flags. */
export const MEMORY_MB = 256;

/**
 * Packs the bench's copy of the example with `temporal-lambda-worker package` (`extra` options)
 * and unzips it outside the repo, as on Lambda: nothing but the zip's own files can be resolved.
 */
function packOurs(name, extra) {
  const zip = path.join(work, `${name}.zip`);
  const args = ['package', '--project', path.join(work, 'ours'), '--handler', 'handler.handler', '--out', zip];
  // The handler's init reads these; with --code-cache the package command runs it (the workflow
  // bundle's cache is made once configure has named the bundle).
  const env = { ...process.env, BENCH_DEPLOYMENT: 'package', BENCH_TASK_QUEUE: 'package' };
  execFileSync(process.execPath, [path.join(root, 'dist', 'cli.cjs'), ...args, ...extra], { stdio: 'ignore', env });
  const dir = path.join(os.tmpdir(), `tlw-bench-${name}-task`);
  rmSync(dir, { recursive: true, force: true });
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  return {
    handler: path.join(dir, 'handler.cjs'),
    workDir: path.join(work, 'ours'),
    env: templateEnv(),
    zipBytes: statSync(zip).size,
    nativeZipBytes: nativeZipBytes(zip),
    unzippedBytes: duBytes(dir),
  };
}

/** What the zip's native modules (`.node` files: the SDK's core) take in it, deflated: the zip's floor. */
function nativeZipBytes(zip) {
  const listing = execFileSync('unzip', ['-v', zip], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // unzip -v: Length Method Size Cmpr Date Time CRC-32 Name
  return listing
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((columns) => columns.length >= 8 && columns.at(-1).endsWith('.node'))
    .reduce((sum, columns) => sum + Number(columns[2]), 0);
}

export async function prepare() {
  if (!existsSync(path.join(root, 'dist', 'cli.cjs')))
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (!existsSync(path.join(root, 'examples', 'basic', 'lib', 'workflows.js')))
    execFileSync('npm', ['run', 'build:example'], { cwd: root, stdio: 'inherit' });
  if (!existsSync(path.join(bench, 'node_modules', '@temporalio', 'lambda-worker')))
    execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: bench, stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
  rmSync(officialWork, { recursive: true, force: true });
  const lib = path.join(root, 'examples', 'basic', 'lib');
  for (const dir of [path.join(work, 'ours'), officialWork]) {
    mkdirSync(dir, { recursive: true });
    // The example compiles to CommonJS; without this the repo's "type": "module" would apply.
    writeFileSync(path.join(dir, 'package.json'), '{ "private": true, "type": "commonjs" }\n');
    for (const file of ['workflows.js', 'activities.js']) copyFileSync(path.join(lib, file), path.join(dir, file));
  }
  copyFileSync(path.join(bench, 'ours-handler.cjs'), path.join(work, 'ours', 'handler.cjs'));
  say("Bundling the workflow with each side's own @temporalio/worker");
  await bundle(
    path.join(root, 'package.json'),
    path.join(work, 'ours', 'workflows.js'),
    path.join(work, 'ours', 'workflow-bundle.js'),
  );
  await bundle(
    path.join(bench, 'package.json'),
    path.join(officialWork, 'workflows.js'),
    path.join(officialWork, 'workflow-bundle.js'),
  );

  say('Packing ours with `temporal-lambda-worker package`, and again with --code-cache for a 256 MB function');
  const ours = packOurs('ours', []);
  const oursCodeCache = packOurs('ours-code-cache', ['--code-cache', '--memory', String(MEMORY_MB)]);

  say("Packing the official way: the deploy guide's recipe (zip of the handler, the bundle and node_modules)");
  const officialZip = path.join(work, 'official.zip');
  execFileSync('zip', ['-qr', officialZip, 'official-handler.cjs', '.work', 'node_modules'], { cwd: bench });
  return {
    ours,
    oursCodeCache,
    // The SDK alone with ours' options, connection and environment: the floor of ours' first polls.
    sdkFloor: {
      handler: path.join(bench, 'sdk-floor-handler.cjs'),
      env: {
        ...templateEnv(),
        BENCH_ACTIVITIES: path.join(work, 'ours', 'activities.js'),
        BENCH_BUNDLE: path.join(work, 'ours', 'workflow-bundle.js'),
      },
    },
    official: {
      handler: path.join(bench, 'official-handler.cjs'),
      env: {
        BENCH_ACTIVITIES: path.join(officialWork, 'activities.js'),
        BENCH_BUNDLE: path.join(officialWork, 'workflow-bundle.js'),
      },
      zipBytes: statSync(officialZip).size,
      unzippedBytes: duBytes(path.join(bench, 'node_modules'), officialWork, path.join(bench, 'official-handler.cjs')),
    },
  };
}

export const CORES = os.cpus().length;
export const ALL_CPUS = `0-${CORES - 1}`;

/**
 * Pins the bench process and the Temporal server, all their threads, to `cpus` (taskset). Under the
 * Lambda profile they keep to CPU 0 and the function's process has CPU 1 to itself, as a function's
 * vCPU share is its own; otherwise nothing is pinned.
 */
export function pinHost(cpus, server) {
  if (CORES === 1) return;
  for (const pid of [process.pid, server.pid])
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/**
 * The AWS Lambda Node.js runtime starts node for a function of M MB with a new space of M/10,
 * half of it as semi-space, and the rest as old space, next to --expose-gc and
 * --max-http-header-size (its bootstrap script). The Lambda profile runs a process with those
 * flags on one CPU: a 256 MB function has a fraction of one vCPU.
 */
function lambdaProfile(memoryMb) {
  const newSpaceMb = Math.floor(memoryMb / 10);
  return {
    name: `${memoryMb} MB Lambda profile (1 CPU, Lambda's V8 heap flags)`,
    cpu: CORES > 1 ? '1' : '0',
    hostCpus: '0',
    nodeArgs: [
      '--expose-gc',
      '--max-http-header-size=81920',
      `--max-semi-space-size=${Math.floor(newSpaceMb / 2)}`,
      `--max-old-space-size=${memoryMb - newSpaceMb}`,
    ],
  };
}
export const LAMBDA_PROFILE = lambdaProfile(MEMORY_MB);
/** Lambda's V8 flags on every CPU: how a function's node starts, for the start-up measures. */
export const LAMBDA_FLAGS = {
  ...LAMBDA_PROFILE,
  name: `Lambda's V8 flags for ${MEMORY_MB} MB`,
  cpu: ALL_CPUS,
  hostCpus: ALL_CPUS,
};
export const UNCONSTRAINED = {
  name: `unconstrained (${CORES} cores, default V8 flags)`,
  cpu: ALL_CPUS,
  hostCpus: ALL_CPUS,
  nodeArgs: [],
};
export const PROFILES = [LAMBDA_PROFILE, UNCONSTRAINED];

/**
 * Starts a node script with an IPC channel under a profile (taskset pins the CPUs); `node` and
 * `nodeArgs` pick another Node binary and add flags (a preload).
 */
export function startNode(
  script,
  args,
  env,
  profile,
  { stderr = 'ignore', node = process.execPath, nodeArgs = [] } = {},
) {
  return spawn('taskset', ['-c', profile.cpu, node, ...profile.nodeArgs, ...nodeArgs, script, ...args], {
    env,
    stdio: ['ignore', 'ignore', stderr, 'ipc'],
  });
}

/** The environment of a process hosting one side's handler: nothing of the bench's own. */
export function handlerEnv(side, env) {
  return { PATH: process.env.PATH, HOME: '/tmp', ...side.env, ...env };
}

/**
 * A handler in its own process; resolves once loaded, rejects (with its stderr) if the process dies.
 * `spawnedAt` (epoch ms, the probe's clock) and `ready` (the runner's first message) are for the
 * cold-start waterfall; `options` go to `startNode`.
 */
export function host(side, env, profile = UNCONSTRAINED, options = {}) {
  const spawnedAt = performance.timeOrigin + performance.now();
  const child = startNode(path.join(bench, 'runner.cjs'), [side.handler], handlerEnv(side, env), profile, {
    ...options,
    stderr: 'pipe',
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const replies = [];
  const waiters = [];
  child.on('message', (message) => (waiters.length ? waiters.shift().resolve(message) : replies.push(message)));
  child.on('exit', (code, signal) => {
    for (const waiter of waiters.splice(0))
      waiter.reject(new Error(`${side.handler} exited (${code ?? signal}):\n${stderr}`));
  });
  const next = () =>
    replies.length
      ? Promise.resolve(replies.shift())
      : new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  return next().then((ready) => ({
    spawnedAt,
    ready,
    invoke: (remainingMs) => (child.send({ invoke: remainingMs }), next()),
    kill: () => child.kill('SIGKILL'),
  }));
}

/**
 * Registers `env.BENCH_DEPLOYMENT`'s version and makes it current: a first process of `side` (under
 * Lambda's flags, with `options` for `host`) polls until the server knows the version.
 */
export async function registerVersion(client, side, env, options = {}) {
  const first = await host(side, env, LAMBDA_FLAGS, options);
  const registering = first.invoke(9_000);
  await makeCurrent(client, env.BENCH_DEPLOYMENT);
  await registering;
  first.kill();
}

/** A process's peak RSS in whole MB, from a reply's `maxRssKb`. */
export const rssMb = (reply) => +(reply.maxRssKb / 1024).toFixed(0);

/** Workflows (one activity each) queued before each load run's worker starts. */
export const LOAD_WORKFLOWS = 200;

/**
 * One load run: LOAD_WORKFLOWS workflows are queued, then `startWorker()` starts the worker, which
 * drains them. Results are awaited one at a time (one long poll open, not hundreds, so the server's
 * work is the worker's). Workflows per second come from the server's own event times, first
 * workflow task started to last workflow closed: the same clock for every worker, and startup
 * (measured by the first-poll rows) is left out for all. `startWorker` resolves to a function that
 * stops the worker and resolves to what its process reported.
 */
export async function drain(client, taskQueue, prefix, startWorker) {
  const ids = Array.from({ length: LOAD_WORKFLOWS }, (_, i) => `${prefix}-${i}`);
  await Promise.all(ids.map((workflowId) => client.workflow.start('greet', { taskQueue, workflowId, args: ['load'] })));
  const stop = await startWorker();
  for (const workflowId of ids) await client.workflow.getHandle(workflowId).result();
  const reply = await stop();
  let first = Infinity;
  let last = 0;
  for (const workflowId of ids) {
    const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
    first = Math.min(first, eventMs(events.find((event) => event.workflowTaskStartedEventAttributes)));
    last = Math.max(last, eventMs(events.at(-1)));
  }
  return { workflowsPerSecond: +(ids.length / ((last - first) / 1000)).toFixed(1), reply };
}

export function eventMs(event) {
  return Number(event.eventTime.seconds) * 1000 + event.eventTime.nanos / 1e6;
}

/** A `startWorker` for `drain`: the handler in a fresh process under `profile`, invoked once for 30 s. */
export function invokeOnce(side, env, profile) {
  return async () => {
    const runner = await host(side, env, profile);
    const invocation = runner.invoke(30_000);
    return async () => {
      const reply = await invocation;
      runner.kill();
      return reply;
    };
  };
}

/**
 * The plain Worker of the throughput reference: its version is registered once (a first process polls
 * until it is current), then each load run starts a fresh process on a queue of waiting workflows, as
 * an invocation of ours does. It gets ours' environment from the function template, so the two
 * differ only in the library. A drain replies with the process's peak RSS (`maxRssKb`).
 */
export async function plainWorker(client, address, oursWork, templateEnv) {
  const taskQueue = `bench-plain-${Date.now()}`;
  const deployment = taskQueue;
  const start = async (profile) => {
    const child = startNode(
      path.join(bench, 'plain-worker.cjs'),
      [
        path.join(root, 'node_modules'),
        path.join(oursWork, 'activities.js'),
        path.join(oursWork, 'workflow-bundle.js'),
      ],
      {
        ...templateEnv,
        PATH: process.env.PATH,
        HOME: '/tmp',
        TEMPORAL_ADDRESS: address,
        BENCH_TASK_QUEUE: taskQueue,
        BENCH_DEPLOYMENT: deployment,
        BENCH_RUN_MS: '60000',
      },
      profile,
    );
    await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`plain-worker.cjs exited ${code} before it was ready`)));
    });
    return async () => {
      const reply = new Promise((resolve) => child.once('message', resolve));
      child.send('rss');
      const { maxRssKb } = await reply;
      child.kill('SIGKILL');
      return { maxRssKb };
    };
  };
  const stopRegistering = await start(UNCONSTRAINED);
  await makeCurrent(client, deployment);
  await stopRegistering();
  let runs = 0;
  return (profile) => drain(client, taskQueue, `${taskQueue}-${runs++}`, () => start(profile));
}
