// temporal-lambda-worker against the official @temporalio/lambda-worker 1.23.0: the same example
// worker (examples/basic's workflow and activity), the same Temporal server, one run, medians and
// ratios ours/official. Writes bench/RESULTS.md (with the cold-start and idle-exit sections kept).
// Usage: npm run bench   (after npm install; builds what it needs)
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { startTestServer } from '../scripts/testserver.mjs';

const bench = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(bench, '..');
const work = path.join(root, '.bench-work'); // ours: resolves the root's @temporalio 1.24
const officialWork = path.join(bench, '.work'); // official: resolves bench/node_modules (1.23)
const say = (message) => console.error(`[bench] ${message}`);
/** Fresh processes for the throughput and memory measures; their medians are reported. */
const LOAD_RUNS = 3;
/** Fresh processes for cold init, ours and official alternating. */
const COLD_RUNS = 9;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes) => +(bytes / 1024 / 1024).toFixed(1);

function duBytes(...paths) {
  return paths.reduce((sum, p) => sum + Number(execFileSync('du', ['-sb', p], { encoding: 'utf8' }).split('\t')[0]), 0);
}

async function bundle(requireFrom, workflowsPath, out) {
  const { bundleWorkflowCode } = createRequire(requireFrom)('@temporalio/worker');
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  writeFileSync(out, code);
}

async function prepare() {
  if (!existsSync(path.join(root, 'dist', 'cli.cjs'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (!existsSync(path.join(root, 'examples', 'basic', 'lib', 'workflows.js'))) execFileSync('npm', ['run', 'build:example'], { cwd: root, stdio: 'inherit' });
  if (!existsSync(path.join(bench, 'node_modules', '@temporalio', 'lambda-worker'))) execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: bench, stdio: 'inherit' });
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
  say('Bundling the workflow with each side\'s own @temporalio/worker');
  await bundle(path.join(root, 'package.json'), path.join(work, 'ours', 'workflows.js'), path.join(work, 'ours', 'workflow-bundle.js'));
  await bundle(path.join(bench, 'package.json'), path.join(officialWork, 'workflows.js'), path.join(officialWork, 'workflow-bundle.js'));

  say('Packing ours with `temporal-lambda-worker package`');
  const oursZip = path.join(work, 'ours.zip');
  execFileSync(process.execPath, [path.join(root, 'dist', 'cli.cjs'), 'package', '--project', path.join(work, 'ours'), '--handler', 'handler.handler', '--out', oursZip], { stdio: 'ignore' });
  // Unzipped outside the repo, as on Lambda: nothing but the zip's own files can be resolved.
  const oursDir = path.join(os.tmpdir(), 'tlw-bench-ours-task');
  rmSync(oursDir, { recursive: true, force: true });
  execFileSync('unzip', ['-q', oursZip, '-d', oursDir]);

  say('Packing the official way: the deploy guide\'s recipe (zip of the handler, the bundle and node_modules)');
  const officialZip = path.join(work, 'official.zip');
  execFileSync('zip', ['-qr', officialZip, 'official-handler.cjs', '.work', 'node_modules'], { cwd: bench });
  return {
    ours: { handler: path.join(oursDir, 'handler.cjs'), env: {}, zipBytes: statSync(oursZip).size, unzippedBytes: duBytes(oursDir) },
    official: {
      handler: path.join(bench, 'official-handler.cjs'),
      env: { BENCH_ACTIVITIES: path.join(officialWork, 'activities.js'), BENCH_BUNDLE: path.join(officialWork, 'workflow-bundle.js') },
      zipBytes: statSync(officialZip).size,
      unzippedBytes: duBytes(path.join(bench, 'node_modules'), officialWork, path.join(bench, 'official-handler.cjs')),
    },
  };
}

/**
 * The AWS Lambda Node.js runtime starts node for a function of M MB with a new space of M/10,
 * half of it as semi-space, and the rest as old space (its bootstrap script). The Lambda profile
 * runs a process with those V8 flags on one CPU: a 256 MB function has a fraction of one vCPU.
 */
function lambdaProfile(memoryMb) {
  const newSpaceMb = Math.floor(memoryMb / 10);
  return {
    name: `${memoryMb} MB Lambda profile (1 CPU, Lambda's V8 heap flags)`,
    cpu: '1',
    nodeArgs: [`--max-semi-space-size=${Math.floor(newSpaceMb / 2)}`, `--max-old-space-size=${memoryMb - newSpaceMb}`],
  };
}
const LAMBDA_PROFILE = lambdaProfile(256);
const UNCONSTRAINED = { name: `unconstrained (${os.cpus().length} cores, default V8 flags)`, cpu: undefined, nodeArgs: [] };
const PROFILES = [LAMBDA_PROFILE, UNCONSTRAINED];

/** Starts a node script with an IPC channel under a profile (taskset pins the CPU). */
function startNode(script, args, env, profile, stderr = 'ignore') {
  const command = [process.execPath, ...profile.nodeArgs, script, ...args];
  const [file, ...rest] = profile.cpu === undefined ? command : ['taskset', '-c', profile.cpu, ...command];
  return spawn(file, rest, { env, stdio: ['ignore', 'ignore', stderr, 'ipc'] });
}

/** The environment of a process hosting one side's handler: nothing of the bench's own. */
function handlerEnv(side, env) {
  return { PATH: process.env.PATH, HOME: '/tmp', ...side.env, ...env };
}

/** A handler in its own process; resolves once loaded, rejects (with its stderr) if the process dies. */
function host(side, env, profile = UNCONSTRAINED) {
  const child = startNode(path.join(bench, 'runner.cjs'), [side.handler], handlerEnv(side, env), profile, 'pipe');
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const replies = [];
  const waiters = [];
  child.on('message', (message) => (waiters.length ? waiters.shift().resolve(message) : replies.push(message)));
  child.on('exit', (code, signal) => {
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`${side.handler} exited (${code ?? signal}):\n${stderr}`));
  });
  const next = () => (replies.length ? Promise.resolve(replies.shift()) : new Promise((resolve, reject) => waiters.push({ resolve, reject })));
  return next().then(() => ({
    invoke: (remainingMs) => (child.send({ invoke: remainingMs }), next()),
    kill: () => child.kill('SIGKILL'),
  }));
}

/** Process start to handler ready, in a fresh process. */
function coldInit(side, env) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(side.handler)}); process.stdout.write('ready'); process.exit(0)`], { env: handlerEnv(side, env), stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.once('data', () => resolve(Number(process.hrtime.bigint() - start) / 1e6));
    child.on('exit', (code) => code !== 0 && reject(new Error(`cold init exited ${code}`)));
  });
}

async function makeCurrent(client, deploymentName) {
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(200)) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName, buildId: 'b1', ignoreMissingTaskQueues: true });
      return;
    } catch {
      // not registered yet
    }
  }
  throw new Error(`${deploymentName} never became current`);
}

async function firstTaskDelayMs(client, workflowId, t0) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events.find((event) => event.workflowTaskStartedEventAttributes);
  const ms = Number(started.eventTime.seconds) * 1000 + Math.floor(started.eventTime.nanos / 1e6);
  return ms - t0;
}

/** `afterLoadRun(profile)`, when given, runs after each load run: the plain Worker's run, interleaved with ours. */
async function measureSide(name, side, client, address, afterLoadRun) {
  const deployment = `bench-${name}-${Date.now()}`;
  const taskQueue = `bench-${name}-${Date.now()}`;
  const env = { TEMPORAL_ADDRESS: address, BENCH_DEPLOYMENT: deployment, BENCH_TASK_QUEUE: taskQueue, LOG_LEVEL: 'ERROR' };
  const result = { firstPollColdMs: [], firstPollWarmMs: [], marginMs: [], load: {} };

  say(`${name}: registering the version`);
  const warmup = await host(side, env);
  const registering = warmup.invoke(9_000);
  await makeCurrent(client, deployment);
  await registering;
  warmup.kill();

  say(`${name}: invocation start to first poll, cold and warm`);
  for (let i = 0; i < 3; i++) {
    const process = await host(side, env);
    for (const kind of ['firstPollColdMs', 'firstPollWarmMs']) {
      const workflowId = `${taskQueue}-${kind}-${i}`;
      await client.workflow.start('greet', { taskQueue, workflowId, args: ['bench'] });
      const reply = await process.invoke(10_000);
      result[kind].push(await firstTaskDelayMs(client, workflowId, reply.t0));
      result.marginMs.push(reply.deadlineMs - reply.settledMs);
    }
    process.kill();
  }

  for (const profile of PROFILES) {
    const load = (result.load[profile.name] = { workflowsPerSecond: [], peakRssMb: [] });
    for (let run = 0; run < LOAD_RUNS; run++) {
      say(`${name}: 200 workflows with one activity each in one invocation, ${profile.name} (${run + 1}/${LOAD_RUNS})`);
      const runner = await host(side, env, profile);
      const ids = Array.from({ length: 200 }, (_, i) => `${taskQueue}-load-${profile.cpu ?? 'all'}-${run}-${i}`);
      await Promise.all(ids.map((workflowId) => client.workflow.start('greet', { taskQueue, workflowId, args: ['load'] })));
      const invocation = runner.invoke(30_000);
      const t0 = Date.now();
      await Promise.all(ids.map((workflowId) => client.workflow.getHandle(workflowId).result()));
      const loadSeconds = (Date.now() - t0) / 1000;
      const reply = await invocation;
      runner.kill();
      load.workflowsPerSecond.push(+(200 / loadSeconds).toFixed(1));
      load.peakRssMb.push(+(reply.maxRssKb / 1024).toFixed(0));
      result.marginMs.push(reply.deadlineMs - reply.settledMs);
      await afterLoadRun?.(profile);
    }
  }
  return result;
}

async function silentServerMargin(side) {
  const { createServer } = await import('node:net');
  const sockets = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const runner = await host(side, { TEMPORAL_ADDRESS: `127.0.0.1:${server.address().port}`, BENCH_DEPLOYMENT: 'silent', BENCH_TASK_QUEUE: 'silent', LOG_LEVEL: 'ERROR' });
  const reply = await runner.invoke(12_000);
  runner.kill();
  sockets.forEach((socket) => socket.destroy());
  server.close();
  return reply.deadlineMs - reply.settledMs;
}

async function plainWorkerRun(client, address, oursWork, profile) {
  const taskQueue = `bench-plain-${Date.now()}`;
  const deployment = `bench-plain-${Date.now()}`;
  const child = startNode(
    path.join(bench, 'plain-worker.cjs'),
    [path.join(root, 'node_modules'), path.join(oursWork, 'activities.js'), path.join(oursWork, 'workflow-bundle.js')],
    { PATH: process.env.PATH, TEMPORAL_ADDRESS: address, BENCH_TASK_QUEUE: taskQueue, BENCH_DEPLOYMENT: deployment, BENCH_RUN_MS: '60000' },
    profile,
  );
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`plain-worker.cjs exited ${code} before it was ready`)));
  });
  await makeCurrent(client, deployment);
  const ids = Array.from({ length: 200 }, (_, i) => `${taskQueue}-${i}`);
  await Promise.all(ids.map((workflowId) => client.workflow.start('greet', { taskQueue, workflowId, args: ['load'] })));
  const t0 = Date.now();
  await Promise.all(ids.map((workflowId) => client.workflow.getHandle(workflowId).result()));
  const seconds = (Date.now() - t0) / 1000;
  child.kill('SIGKILL');
  return +(200 / seconds).toFixed(1);
}

const sides = await prepare();
const server = await startTestServer();
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
try {
  say('cold init, ours and official alternating');
  const coldEnv = { TEMPORAL_ADDRESS: server.address, BENCH_DEPLOYMENT: 'cold', BENCH_TASK_QUEUE: 'cold', LOG_LEVEL: 'ERROR' };
  const cold = { ours: [], official: [] };
  for (let i = 0; i < COLD_RUNS; i++) for (const name of ['ours', 'official']) cold[name].push(await coldInit(sides[name], coldEnv));
  // The plain Worker runs right after each of ours, same profile: the VM's speed drifts over minutes.
  const plainWps = Object.fromEntries(PROFILES.map((profile) => [profile.name, []]));
  const plainRun = async (profile) => {
    say(`plain Worker: 200 workflows, ${profile.name}`);
    plainWps[profile.name].push(await plainWorkerRun(client, server.address, path.join(work, 'ours'), profile));
  };
  const ours = await measureSide('ours', sides.ours, client, server.address, plainRun);
  const official = await measureSide('official', sides.official, client, server.address);
  say('silent server');
  const silent = { ours: await silentServerMargin(sides.ours), official: await silentServerMargin(sides.official) };
  const ratio = (a, b) => +(a / b).toFixed(2);
  const rows = [
    [`Cold init, process start to handler ready (median of ${COLD_RUNS}, alternating)`, `${median(cold.ours).toFixed(0)} ms`, `${median(cold.official).toFixed(0)} ms`, ratio(median(cold.ours), median(cold.official)), '<= 0.7'],
    ['Invocation start to first poll, cold (median of 3)', `${median(ours.firstPollColdMs)} ms`, `${median(official.firstPollColdMs)} ms`, ratio(median(ours.firstPollColdMs), median(official.firstPollColdMs)), ''],
    ['Invocation start to first poll, warm (median of 3)', `${median(ours.firstPollWarmMs)} ms`, `${median(official.firstPollWarmMs)} ms`, ratio(median(ours.firstPollWarmMs), median(official.firstPollWarmMs)), '<= 0.5'],
    ['Handler settles before the deadline (min margin, 10 s and 30 s invocations)', `${Math.min(...ours.marginMs)} ms`, `${Math.min(...official.marginMs)} ms`, '', 'never after'],
    ['Handler settles, server accepts TCP and never answers (12 s)', `${silent.ours} ms before`, silent.official >= 0 ? `${silent.official} ms before` : `${-silent.official} ms AFTER`, '', 'never after'],
    ...PROFILES.flatMap((profile) => {
      const [o, f, plain] = [ours.load[profile.name], official.load[profile.name], plainWps[profile.name]];
      return [
        [`Peak RSS, 200 workflows + 200 activities in one invocation, ${profile.name} (median of ${LOAD_RUNS})`, `${median(o.peakRssMb)} MB`, `${median(f.peakRssMb)} MB`, ratio(median(o.peakRssMb), median(f.peakRssMb)), '<= 160 MB'],
        [`Workflows per second in one invocation, ${profile.name} (median of ${LOAD_RUNS})`, `${median(o.workflowsPerSecond)}`, `${median(f.workflowsPerSecond)}`, ratio(median(o.workflowsPerSecond), median(f.workflowsPerSecond)), ''],
        [`Workflows per second, plain Worker with the same options, ${profile.name} (median of ${LOAD_RUNS}, each run right after one of ours)`, `${median(plain)}`, '', `ours/plain ${ratio(median(o.workflowsPerSecond), median(plain))}`, '>= 0.95 x plain'],
      ];
    }),
    ['Zip size (ours: package command; official: the guide\'s recipe)', `${mb(sides.ours.zipBytes)} MB`, `${mb(sides.official.zipBytes)} MB`, ratio(sides.ours.zipBytes, sides.official.zipBytes), '<= 20 MB'],
    ['Unzipped size', `${mb(sides.ours.unzippedBytes)} MB`, `${mb(sides.official.unzippedBytes)} MB`, ratio(sides.ours.unzippedBytes, sides.official.unzippedBytes), '<= 250 MB'],
  ];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const section = [
    '## Ours against the official @temporalio/lambda-worker',
    '',
    `\`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Linux ${os.release()}.`,
    'Both run the same example workflow and activity (examples/basic) against the same local Temporal server in one run, each in its own',
    'processes with its own @temporalio packages (ours 1.24.0 from the packed zip, its handler bundled into one file as the package command does by default; official 1.23.0 from bench/node_modules).',
    'First poll = invocation start to the server\'s WorkflowTaskStarted event of a workflow queued before the invocation.',
    `Load measures run under two profiles: the ${LAMBDA_PROFILE.name.replace(' (', ': ').replace(/\)$/, '')} (${LAMBDA_PROFILE.nodeArgs.join(' ')}, as the Lambda Node.js runtime starts node), and ${UNCONSTRAINED.name}.`,
    '',
    '| Measure | Ours | Official | Ours/official | Target |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Raw: ${JSON.stringify({ ours: { coldInitMs: cold.ours.map(Math.round), firstPollColdMs: ours.firstPollColdMs, firstPollWarmMs: ours.firstPollWarmMs, load: ours.load }, plainWorkflowsPerSecond: plainWps, official: { coldInitMs: cold.official.map(Math.round), firstPollColdMs: official.firstPollColdMs, firstPollWarmMs: official.firstPollWarmMs, load: official.load } })}`,
    '',
  ].join('\n');
  console.log(section);
  const resultsFile = path.join(bench, 'RESULTS.md');
  const previous = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '# Benchmark results\n';
  const kept = previous.replace(/## Ours against the official[\s\S]*?(?=\n## |$)/, '').trimEnd();
  writeFileSync(resultsFile, `${kept}\n\n${section}`);
} finally {
  await connection.close();
  await server.stop();
}
