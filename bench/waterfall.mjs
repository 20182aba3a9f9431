// Turns what bench/waterfall-probe.cjs recorded in one process into named segments, and many
// processes' segments into medians: the cold-start bench's arithmetic, kept apart to be tested.

/** Package loads with a median self time under this are shown together as "other packages". */
export const SMALL_LOAD_MS = 3;
const BETWEEN = 'JS between core calls';
const POLL = 'first workflow poll (to its task)';

/**
 * The invocation's segments from its start: each core call as recorded, and the time between them
 * (library and SDK code) as `BETWEEN`, up to the first poll's task. Calls that overlap are clipped.
 */
function invocationSegments(waterfall, origin) {
  const invocation = waterfall.marks.find((mark) => mark.name === 'invocation');
  const calls = waterfall.marks
    .filter((mark) => mark.name !== 'invocation' && mark.start >= invocation.start)
    .sort((a, b) => a.start - b.start);
  const poll = calls.find((mark) => mark.name === POLL);
  const segments = [];
  let cursor = invocation.start;
  for (const call of calls) {
    if (call.start > poll.start) break;
    if (call.start > cursor) segments.push({ name: BETWEEN, start: cursor - origin, end: call.start - origin });
    const start = Math.max(cursor, call.start);
    if (call.end > start) segments.push({ name: call.name, start: start - origin, end: call.end - origin });
    cursor = Math.max(cursor, call.end);
  }
  const totals = { firstPoll: poll.start - invocation.start, firstTask: poll.end - invocation.start };
  return { segments, totals };
}

/** Init's segments from the spawn: exec, Node's bootstrap, the preload, each package's load. */
function initSegments(spawnedAt, init) {
  const load = init.marks.find((mark) => mark.name === 'handler module load');
  const segments = [
    { name: 'process exec (before Node starts its clock)', start: 0, end: init.boot.origin - spawnedAt },
    { name: 'Node bootstrap', start: init.boot.origin - spawnedAt, end: init.boot.bootstrapComplete - spawnedAt },
    { name: 'probe and bench runner', start: init.boot.bootstrapComplete - spawnedAt, end: load.start - spawnedAt },
  ];
  let cursor = load.start - spawnedAt;
  for (const { name, ms } of init.loads) {
    segments.push({ name, start: cursor, end: cursor + ms });
    cursor += ms;
  }
  return { segments, ready: load.end - spawnedAt };
}

/**
 * One process's cold invocation (from the spawn) and warm invocation (from its own start) as
 * segments, with the totals the targets use.
 */
export function runSegments({ spawnedAt, init, invocations: [cold, warm] }) {
  const start = initSegments(spawnedAt, init);
  const coldInvocation = invocationSegments(cold, spawnedAt);
  const warmStart = warm.marks.find((mark) => mark.name === 'invocation').start;
  const warmInvocation = invocationSegments(warm, warmStart);
  return {
    cold: {
      segments: [...start.segments, ...coldInvocation.segments],
      totals: { ready: start.ready, ...coldInvocation.totals },
    },
    warm: { segments: warmInvocation.segments, totals: warmInvocation.totals },
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Each segment name's total in one run, small package loads folded into one name. */
function durations(segments, small) {
  const byName = new Map();
  for (const { name, start, end } of segments) {
    const key = small.has(name) ? 'load other packages' : name;
    byName.set(key, (byName.get(key) ?? 0) + (end - start));
  }
  return byName;
}

/**
 * Medians over runs for one kind (cold or warm): per segment name (a name missing from a run counts
 * 0 there), laid end to end in the order names first appear, and the totals' medians.
 */
function kindSummary(runs) {
  const raw = runs.map((run) => durations(run.segments, new Set()));
  const names = [...new Set(raw.flatMap((byName) => [...byName.keys()]))];
  const med = (byNames, name) => median(byNames.map((byName) => byName.get(name) ?? 0));
  const small = new Set(names.filter((name) => name.startsWith('load ') && med(raw, name) < SMALL_LOAD_MS));
  const folded = runs.map((run) => durations(run.segments, small));
  const order = [...new Set(folded.flatMap((byName) => [...byName.keys()]))];
  const other = order.indexOf('load other packages');
  const lastLoad = order.findLastIndex((name) => name.startsWith('load '));
  if (other >= 0 && other !== lastLoad) order.splice(lastLoad, 0, ...order.splice(other, 1));
  const table = new Map(order.map((name) => [name, med(folded, name)]));
  let cursor = 0;
  const segments = order.map((name) => ({ name, start: cursor, end: (cursor += table.get(name)) }));
  const totals = Object.fromEntries(
    Object.keys(runs[0].totals).map((key) => [key, median(runs.map((run) => run.totals[key]))]),
  );
  return { segments, table, totals };
}

/** Medians of a side's runs, cold and warm. */
export function sideSummary(runs) {
  return { cold: kindSummary(runs.map((run) => run.cold)), warm: kindSummary(runs.map((run) => run.warm)) };
}

/** The chart's colours: a few groups a reader can tell apart; the table keeps each package. */
const GROUPS = [
  [/^(process exec|Node bootstrap|probe and bench runner)/, 'Node: exec and bootstrap'],
  [/^load (@temporalio\/proto|protobufjs|@protobufjs\/)/, 'load: protobuf (schema and runtime)'],
  [/^load @grpc\//, 'load: gRPC'],
  [/^load (webpack|memfs|unionfs|@jsonjoy\.com\/|source-map|stubs)/, 'load: workflow bundler'],
  [/^load rxjs/, 'load: rxjs'],
  [/^load (@temporalio\/|long|nexus-rpc|uuid|ms|heap-js)/, 'load: other Temporal SDK'],
  [
    /^load (app|the Lambda library|temporal-lambda-worker|@aws-lambda-powertools\/)/,
    'load: handler and Lambda library',
  ],
  [/^load native module/, 'load: native module (dlopen)'],
  [/^load /, 'load: other packages'],
  [/^(Runtime install|connect|worker create|worker validate)/, 'core: Runtime, connect, worker'],
  [/^workflow sandbox/, 'workflow sandbox (V8 context, bundle)'],
];

/** Segments renamed to their chart group, neighbours of one group joined. */
export function groupedSegments(segments) {
  const grouped = [];
  for (const segment of segments) {
    const name = GROUPS.find(([pattern]) => pattern.test(segment.name))?.[1] ?? segment.name;
    const last = grouped.at(-1);
    if (last?.name === name && Math.abs(last.end - segment.start) < 1e-9) last.end = segment.end;
    else grouped.push({ ...segment, name });
  }
  return grouped;
}
