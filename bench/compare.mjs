// temporal-lambda-worker against the official @temporalio/lambda-worker 1.23.0: the same example
// worker (examples/basic's workflow and activity), the same Temporal server, one run, medians and
// ratios ours/official. Writes bench/RESULTS.md (with the cold-start and idle-exit sections kept).
// Usage: npm run bench   (after npm install; builds what it needs)
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { startTestServer } from '../scripts/testserver.mjs';
import {
  ALL_CPUS,
  LAMBDA_FLAGS,
  LAMBDA_PROFILE,
  LOAD_WORKFLOWS,
  MEMORY_MB,
  drain,
  eventMs,
  invokeOnce,
  PROFILES,
  UNCONSTRAINED,
  handlerEnv,
  host,
  median,
  pinHost,
  prepare,
  registerVersion,
  rssMb,
  plainWorker,
  say,
} from './sides.mjs';
import { writeResultsSection } from './support.mjs';

/** Fresh processes for the throughput and memory measures; their medians are reported. */
const LOAD_RUNS = 5;

/** Fresh processes for cold init, ours and official alternating. */
const COLD_RUNS = 9;
const mb = (bytes) => +(bytes / 1024 / 1024).toFixed(1);

/** Process start to handler ready, in a fresh process started as Lambda starts node (its V8 flags). */
function coldInit(side, env) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const script = `require(${JSON.stringify(side.handler)}); process.stdout.write('ready'); process.exit(0)`;
    const args = ['-c', LAMBDA_FLAGS.cpu, process.execPath, ...LAMBDA_FLAGS.nodeArgs, '-e', script];
    const child = spawn('taskset', args, {
      env: handlerEnv(side, env),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.once('data', () => resolve(Number(process.hrtime.bigint() - start) / 1e6));
    child.on('exit', (code) => code !== 0 && reject(new Error(`cold init exited ${code}`)));
  });
}

async function firstTaskDelayMs(client, workflowId, t0) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return Math.floor(eventMs(history.events.find((event) => event.workflowTaskStartedEventAttributes))) - t0;
}

/**
 * `pairedRun(profile, env)`, when given, runs next to each of this side's load runs (with this
 * side's `env`: its task queue and version): after it in even runs, before it in odd runs, so a
 * drift of the VM's speed weighs on both alike. `loads: false` measures the start-up rows only
 * (the first polls and their margins).
 */
async function measureSide(name, side, client, server, pairedRun, { loads = true } = {}) {
  const deployment = `bench-${name}-${Date.now()}`;
  const taskQueue = `bench-${name}-${Date.now()}`;
  const env = {
    TEMPORAL_ADDRESS: server.address,
    BENCH_DEPLOYMENT: deployment,
    BENCH_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'ERROR',
  };
  const result = { firstPollColdMs: [], firstPollWarmMs: [], marginMs: [], load: {} };

  say(`${name}: registering the version`);
  await registerVersion(client, side, env);

  say(`${name}: invocation start to first poll, cold and warm`);
  for (let i = 0; i < 3; i++) {
    const process = await host(side, env, LAMBDA_FLAGS);
    for (const kind of ['firstPollColdMs', 'firstPollWarmMs']) {
      const workflowId = `${taskQueue}-${kind}-${i}`;
      await client.workflow.start('greet', { taskQueue, workflowId, args: ['bench'] });
      const reply = await process.invoke(10_000);
      result[kind].push(await firstTaskDelayMs(client, workflowId, reply.t0));
      result.marginMs.push(reply.deadlineMs - reply.settledMs);
    }
    process.kill();
  }

  for (const profile of loads ? PROFILES : []) {
    pinHost(profile.hostCpus, server);
    const load = (result.load[profile.name] = { workflowsPerSecond: [], peakRssMb: [] });
    for (let run = 0; run < LOAD_RUNS; run++) {
      if (run % 2 === 1) await pairedRun?.(profile, env);
      say(
        `${name}: ${LOAD_WORKFLOWS} workflows with one activity each in one invocation, ${profile.name} (${run + 1}/${LOAD_RUNS})`,
      );
      const { workflowsPerSecond, reply } = await drain(
        client,
        taskQueue,
        `${taskQueue}-load-${profile.cpu}-${run}`,
        invokeOnce(side, env, profile),
      );
      load.workflowsPerSecond.push(workflowsPerSecond);
      load.peakRssMb.push(rssMb(reply));
      result.marginMs.push(reply.deadlineMs - reply.settledMs);
      if (run % 2 === 0) await pairedRun?.(profile, env);
    }
  }
  pinHost(ALL_CPUS, server);
  return result;
}

async function silentServerMargin(side) {
  const { createServer } = await import('node:net');
  const sockets = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const runner = await host(side, {
    TEMPORAL_ADDRESS: `127.0.0.1:${server.address().port}`,
    BENCH_DEPLOYMENT: 'silent',
    BENCH_TASK_QUEUE: 'silent',
    LOG_LEVEL: 'ERROR',
  });
  const reply = await runner.invoke(12_000);
  runner.kill();
  sockets.forEach((socket) => socket.destroy());
  server.close();
  return reply.deadlineMs - reply.settledMs;
}

const sides = await prepare();
const server = await startTestServer();
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
try {
  say('cold init, ours and official alternating');
  const coldEnv = {
    TEMPORAL_ADDRESS: server.address,
    BENCH_DEPLOYMENT: 'cold',
    BENCH_TASK_QUEUE: 'cold',
    LOG_LEVEL: 'ERROR',
  };
  const cold = { ours: [], oursCodeCache: [], official: [] };
  for (let i = 0; i < COLD_RUNS; i++)
    for (const name of Object.keys(cold)) cold[name].push(await coldInit(sides[name], coldEnv));
  // Next to each of ours, same profile (the VM's speed drifts over minutes): the plain Worker, and
  // under the Lambda profile ours again without the template's environment (glibc's defaults).
  const plainWps = Object.fromEntries(PROFILES.map((profile) => [profile.name, []]));
  const plainRssMb = Object.fromEntries(PROFILES.map((profile) => [profile.name, []]));
  const defaultsRssMb = [];
  const plainDrain = await plainWorker(client, server.address, sides.ours.workDir, sides.ours.env);
  const pairedRun = async (profile, oursEnv) => {
    say(`plain Worker: ${LOAD_WORKFLOWS} workflows, ${profile.name}`);
    const plain = await plainDrain(profile);
    plainWps[profile.name].push(plain.workflowsPerSecond);
    plainRssMb[profile.name].push(rssMb(plain.reply));
    if (profile !== LAMBDA_PROFILE) return;
    say(`ours on glibc's defaults: ${LOAD_WORKFLOWS} workflows, ${profile.name}`);
    const taskQueue = oursEnv.BENCH_TASK_QUEUE;
    const { reply } = await drain(
      client,
      taskQueue,
      `${taskQueue}-defaults-${defaultsRssMb.length}`,
      invokeOnce({ ...sides.ours, env: {} }, oursEnv, profile),
    );
    defaultsRssMb.push(rssMb(reply));
  };
  const ours = await measureSide('ours', sides.ours, client, server, pairedRun);
  const official = await measureSide('official', sides.official, client, server);
  const cached = await measureSide('ours-code-cache', sides.oursCodeCache, client, server, undefined, { loads: false });
  const floor = await measureSide('sdk-floor', sides.sdkFloor, client, server, undefined, { loads: false });
  say('silent server');
  const silent = { ours: await silentServerMargin(sides.ours), official: await silentServerMargin(sides.official) };
  const ratio = (a, b) => +(a / b).toFixed(2);
  const rows = [
    ...[
      ['', ours, cold.ours],
      [', ours with `--code-cache`', cached, cold.oursCodeCache],
    ].flatMap(([variant, side, coldMs]) => [
      [
        `Cold init, process start to handler ready${variant} (median of ${COLD_RUNS}, alternating)`,
        `${median(coldMs).toFixed(0)} ms`,
        `${median(cold.official).toFixed(0)} ms`,
        ratio(median(coldMs), median(cold.official)),
        variant ? '<= 0.50' : '',
      ],
      [
        `Invocation start to first poll, cold${variant} (median of 3)`,
        `${median(side.firstPollColdMs)} ms`,
        `${median(official.firstPollColdMs)} ms`,
        ratio(median(side.firstPollColdMs), median(official.firstPollColdMs)),
        variant ? '<= 1.00 x SDK alone' : '',
      ],
      [
        `Invocation start to first poll, warm${variant} (median of 3)`,
        `${median(side.firstPollWarmMs)} ms`,
        `${median(official.firstPollWarmMs)} ms`,
        ratio(median(side.firstPollWarmMs), median(official.firstPollWarmMs)),
        variant ? '<= 1.10 x SDK alone' : '',
      ],
    ]),
    ...['Cold', 'Warm'].map((kind) => {
      const [side, withCache, sdk, off] = [ours, cached, floor, official].map((r) => median(r[`firstPoll${kind}Ms`]));
      return [
        `Invocation start to first poll, ${kind.toLowerCase()}, the SDK alone with ours' options, modules loaded at init, connection kept (bench/sdk-floor-handler.cjs; the floor of a library on the SDK) (median of 3)`,
        `${sdk} ms`,
        `${off} ms`,
        `${ratio(sdk, off)} (ours/SDK alone ${ratio(side, sdk)}; with \`--code-cache\` ${ratio(withCache, sdk)})`,
        '',
      ];
    }),
    [
      'Handler settles before the deadline (min margin, 10 s and 30 s invocations)',
      `${Math.min(...ours.marginMs, ...cached.marginMs)} ms`,
      `${Math.min(...official.marginMs)} ms`,
      '',
      'never after',
    ],
    [
      'Handler settles, server accepts TCP and never answers (12 s)',
      `${silent.ours} ms before`,
      silent.official >= 0 ? `${silent.official} ms before` : `${-silent.official} ms AFTER`,
      '',
      'never after',
    ],
    ...PROFILES.flatMap((profile) => {
      const [o, f, plain] = [ours.load[profile.name], official.load[profile.name], plainWps[profile.name]];
      return [
        [
          `Peak RSS, ${LOAD_WORKFLOWS} workflows + ${LOAD_WORKFLOWS} activities in one invocation, ${profile.name} (median of ${LOAD_RUNS})`,
          `${median(o.peakRssMb)} MB`,
          `${median(f.peakRssMb)} MB`,
          ratio(median(o.peakRssMb), median(f.peakRssMb)),
          profile === LAMBDA_PROFILE ? '<= 150 MB' : '',
        ],
        [
          `Peak RSS, the same, plain Worker with the same options and environment (the SDK alone, unbundled) (median of ${LOAD_RUNS}, runs paired with ours)`,
          `${median(plainRssMb[profile.name])} MB`,
          '',
          '',
          '',
        ],
        ...(profile === LAMBDA_PROFILE
          ? [
              [
                `Peak RSS, the same, ours without the template's environment (glibc's malloc defaults) (median of ${LOAD_RUNS}, each run next to one of ours)`,
                `${median(defaultsRssMb)} MB`,
                '',
                '',
                '',
              ],
            ]
          : []),
        [
          `Workflows per second in one invocation, ${profile.name} (median of ${LOAD_RUNS})`,
          `${median(o.workflowsPerSecond)}`,
          `${median(f.workflowsPerSecond)}`,
          ratio(median(o.workflowsPerSecond), median(f.workflowsPerSecond)),
          '',
        ],
        [
          `Workflows per second, plain Worker with the same options and environment, ${profile.name} (median of ${LOAD_RUNS}, runs paired with ours, alternating which goes first; ours/plain = median of the ${LOAD_RUNS} pairs' ratios)`,
          `${median(plain)}`,
          '',
          `ours/plain ${median(plain.map((wps, run) => ratio(o.workflowsPerSecond[run], wps)))} (ratio of medians ${ratio(median(o.workflowsPerSecond), median(plain))})`,
          '>= 0.97 x plain',
        ],
      ];
    }),
    [
      "Zip size (ours: package command; official: the guide's recipe)",
      `${mb(sides.ours.zipBytes)} MB`,
      `${mb(sides.official.zipBytes)} MB`,
      ratio(sides.ours.zipBytes, sides.official.zipBytes),
      '<= 11 MB',
    ],
    [
      "Zip size, of which the SDK core's native module (deflated; the zip's floor)",
      `${mb(sides.ours.nativeZipBytes)} MB`,
      '',
      '',
      '',
    ],
    [
      'Zip size, ours with `--code-cache` (the cache made for Node ' + process.version + ' at 256 MB)',
      `${mb(sides.oursCodeCache.zipBytes)} MB`,
      '',
      ratio(sides.oursCodeCache.zipBytes, sides.official.zipBytes),
      '',
    ],
    [
      'Unzipped size',
      `${mb(sides.ours.unzippedBytes)} MB`,
      `${mb(sides.official.unzippedBytes)} MB`,
      ratio(sides.ours.unzippedBytes, sides.official.unzippedBytes),
      '<= 250 MB',
    ],
  ];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const section = [
    '## Ours against the official @temporalio/lambda-worker',
    '',
    `\`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Linux ${os.release()}.`,
    'Both run the same example workflow and activity (examples/basic) against the same local Temporal server in one run, each in its own',
    'processes with its own @temporalio packages (ours 1.24.0 from the packed zip, its handler bundled into one file as the package command does by default; official 1.23.0 from bench/node_modules).',
    "First poll = invocation start to the server's WorkflowTaskStarted event of a workflow queued before the invocation.",
    `Cold init and first polls run node as Lambda's runtime starts it for a ${MEMORY_MB} MB function (${LAMBDA_FLAGS.nodeArgs.join(' ')}), on all CPUs;`,
    `ours with \`--code-cache\` is the same zip packed with \`--code-cache --memory ${MEMORY_MB}\` by this Node (${process.version}): V8's code cache of its init and of a rehearsal invocation (against a stand-in frontend) ships in the zip.`,
    `Ours runs with the literal environment of the example's function template (${Object.entries(sides.ours.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}); the official with the deploy guide's (HOME=/tmp).`,
    `Load runs: ${LOAD_WORKFLOWS} workflows are queued, then a fresh worker process drains them; workflows per second = ${LOAD_WORKFLOWS} / (first WorkflowTaskStarted to last workflow closed, server event times).`,
    `Under the Lambda profile the bench and the Temporal server keep to CPU ${LAMBDA_PROFILE.hostCpus} and the function's process has CPU ${LAMBDA_PROFILE.cpu} to itself; otherwise nothing is pinned.`,
    `Load measures run under two profiles: the ${LAMBDA_PROFILE.name.replace(' (', ': ').replace(/\)$/, '')} (${LAMBDA_PROFILE.nodeArgs.join(' ')}, as the Lambda Node.js runtime starts node), and ${UNCONSTRAINED.name}.`,
    '',
    '| Measure | Ours | Official | Ours/official | Target |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Raw: ${JSON.stringify({ ours: { coldInitMs: cold.ours.map(Math.round), firstPollColdMs: ours.firstPollColdMs, firstPollWarmMs: ours.firstPollWarmMs, load: ours.load }, oursCodeCache: { coldInitMs: cold.oursCodeCache.map(Math.round), firstPollColdMs: cached.firstPollColdMs, firstPollWarmMs: cached.firstPollWarmMs }, sdkFloor: { firstPollColdMs: floor.firstPollColdMs, firstPollWarmMs: floor.firstPollWarmMs }, oursGlibcDefaultsPeakRssMb: defaultsRssMb, plainWorkflowsPerSecond: plainWps, plainPeakRssMb: plainRssMb, official: { coldInitMs: cold.official.map(Math.round), firstPollColdMs: official.firstPollColdMs, firstPollWarmMs: official.firstPollWarmMs, load: official.load } })}`,
    '',
  ].join('\n');
  writeResultsSection('Ours against the official', section);
} finally {
  await connection.close();
  await server.stop();
}
