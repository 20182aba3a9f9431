// Surviving mutants of the watched modules (scripts/mutation-summary.mjs) that the unit tests
// cannot tell from the code, each with the reason a reviewer can check. A survivor matches an
// entry by file, mutator, the start of the original text (`from`, whitespace squeezed) and the
// start of the replacement (`to`, when given). `kind` says what the reason is:
// - 'equivalent': no input can tell the mutant from the code;
// - 'unreachable': only an input the code never receives can (named in the reason);
// - 'elsewhere': the unit tests replace it on purpose, and the real-server suites kill it.
// Add an entry only with such a reason; otherwise write the missing test.

const RUN_WORKER = 'src/lifecycle/run-worker.ts';
const SETUP = 'src/lifecycle/setup.ts';
const INVOCATION = 'src/lifecycle/invocation.ts';
const WORKER_RUN = 'src/lifecycle/worker-run.ts';
const CONNECTION_CONFIG = 'src/config/connection-config.ts';
const REDACT = 'src/logging/redact.ts';
const API_KEY = 'src/lifecycle/api-key.ts';
const EMF = 'src/metrics/emf-format.ts';
const SHARED = 'src/lifecycle/shared-worker.ts';
const SLOTS = 'src/lifecycle/member-slots.ts';
const BUNDLE_CACHE = 'src/lifecycle/bundle-cache.ts';
const DEBUG_ONLY =
  'read only under NODE_DEBUG, which a unit test process cannot turn on once started; the serverless code-cache ' +
  'test runs the packed example with NODE_DEBUG=tlw-code-cache and reads these lines';
const INVOCATION_TRACES = 'otel/invocation-traces.ts';
const SPAN_SHAPE = 'otel/span-shape.ts';
const XRAY_IDS = 'otel/xray-ids.ts';
const HELD_RESET =
  '`held` is read only by `end()` while an invocation is under way, and `begin()` resets it first; between ' +
  'invocations every workflow span passes straight through';

const REAL_SDK =
  "the real SDK's connect, check and Worker.create: the unit tests inject fakes through runWorkerWith; every " +
  'integration, fault and serverless test fails without them';
const PHASE_FAILED = '`state.end` is unset only when a phase failed, and then `state.failure` is set and decides first';

/** @type {{ file: string, mutator: string, from: string, to?: string, kind: 'equivalent' | 'unreachable' | 'elsewhere', reason: string }[]} */
export const EQUIVALENT = [
  {
    file: API_KEY,
    mutator: 'BooleanLiteral',
    from: 'false',
    to: 'true',
    kind: 'equivalent',
    reason:
      'a keeper starts with no key and readAtMs -Infinity, so its first ready() reads whatever `refused` says, and ' +
      'the first key read sets `refused` to false; a failed first read leaves the key unknown, which is read again',
  },
  {
    file: INVOCATION_TRACES,
    mutator: 'ArrayDeclaration',
    from: '[]',
    to: '["Stryker was here"]',
    kind: 'equivalent',
    reason: HELD_RESET,
  },
  {
    file: INVOCATION_TRACES,
    mutator: 'ConditionalExpression',
    from: 'invocation !== undefined',
    to: 'true',
    kind: 'equivalent',
    reason: 'without an invocation nothing was held (spans passed straight through), so the loop has nothing to move',
  },
  {
    file: SPAN_SHAPE,
    mutator: 'ArrowFunction',
    from: '(span, context) => inner.onStart',
    kind: 'equivalent',
    reason:
      "onStart is passed on only for processors that act at a span's start; the workflow spans this wraps arrive finished and the SDK's batch and simple processors do nothing there",
  },
  {
    file: XRAY_IDS,
    mutator: 'StringLiteral',
    from: "'0'",
    kind: 'equivalent',
    reason: 'the epoch seconds are 8 hex digits from 1970-01-01T00:00:16Z to 2106: the padding never pads',
  },
  {
    file: XRAY_IDS,
    mutator: 'Regex',
    from: '/^0+$/',
    kind: 'equivalent',
    reason:
      'a random id that the mutant rejects too is drawn again: 2^-8 of draws at most, and the result is as random',
  },
  {
    file: XRAY_IDS,
    mutator: 'ConditionalExpression',
    from: '!/^0+$/.test(hex)',
    to: 'true',
    kind: 'unreachable',
    reason: 'an all-zero id, which it guards against, comes from randomBytes once in 2^64 draws at best',
  },
  { file: RUN_WORKER, mutator: 'ObjectLiteral', from: '{ connect: (options) =>', kind: 'elsewhere', reason: REAL_SDK },
  {
    file: RUN_WORKER,
    mutator: 'ArrowFunction',
    from: '(options) => NativeConnection.connect',
    kind: 'elsewhere',
    reason: REAL_SDK,
  },
  {
    file: RUN_WORKER,
    mutator: 'ArrowFunction',
    from: '(connection) => connection.workflowService',
    kind: 'elsewhere',
    reason: REAL_SDK,
  },
  {
    file: RUN_WORKER,
    mutator: 'ArrowFunction',
    from: '(options) => Worker.create',
    kind: 'elsewhere',
    reason: REAL_SDK,
  },
  {
    file: SETUP,
    mutator: 'ConditionalExpression',
    from: 'envTaskQueue !== undefined',
    kind: 'equivalent',
    reason: 'a new LambdaWorkerConfig has no task queue: setting it to undefined changes nothing',
  },
  {
    file: SETUP,
    mutator: 'ConditionalExpression',
    from: 'userScrubber !== scrubber',
    kind: 'equivalent',
    reason: "adding the secrets to the library's own scrubber again changes nothing: it is a Set that holds them",
  },
  {
    file: INVOCATION,
    mutator: 'BooleanLiteral',
    from: 'false',
    to: 'true',
    kind: 'equivalent',
    reason: "runWorker always passes coldStart; the parameter's default is never used",
  },
  {
    file: INVOCATION,
    mutator: 'OptionalChaining',
    from: '(error as Error)?.message',
    kind: 'unreachable',
    reason: 'only a connect that rejects with null or undefined tells; NativeConnection.connect rejects with Errors',
  },
  {
    file: INVOCATION,
    mutator: 'OptionalChaining',
    from: 'state.end?.unfinalized',
    kind: 'equivalent',
    reason: PHASE_FAILED,
  },
  { file: INVOCATION, mutator: 'OptionalChaining', from: 'end?.reason', kind: 'equivalent', reason: PHASE_FAILED },
  {
    file: INVOCATION,
    mutator: 'ConditionalExpression',
    from: 'workEndedMs === undefined',
    kind: 'equivalent',
    reason: '`workEndedMs` is set in the same turn as `state.end`, so the next test decides alone',
  },
  {
    file: INVOCATION,
    mutator: 'OptionalChaining',
    from: 'state.hooks?.',
    kind: 'equivalent',
    reason: 'the hooks phase runs in `finally` before the summary on every path, so `state.hooks` is set',
  },
  {
    file: INVOCATION,
    mutator: 'ConditionalExpression',
    from: 'failure === undefined',
    to: 'false',
    kind: 'equivalent',
    reason: 'describeError(undefined) is undefined, which the summary line leaves out',
  },
  {
    file: INVOCATION,
    mutator: 'StringLiteral',
    from: "''",
    kind: 'equivalent',
    reason: 'compileWorkerSettings always sets workerDeploymentOptions.version, so the fallback is never used',
  },
  {
    file: WORKER_RUN,
    mutator: 'ConditionalExpression',
    from: 'this.polling',
    kind: 'equivalent',
    reason:
      '`started()` is reached twice only by the hook and then watchUntil in the same turn, before any stop ' +
      'request: the idle clock restarts at the same instant and nothing else happens',
  },
  {
    file: WORKER_RUN,
    mutator: 'ConditionalExpression',
    from: "this.worker.getState() === 'INITIALIZED'",
    kind: 'equivalent',
    reason:
      'request() runs once, while the run is pending: the state is RUNNING (handled before) or INITIALIZED; the ' +
      "SDK's other states follow a shutdown, which only request() asks for",
  },
  {
    file: WORKER_RUN,
    mutator: 'StringLiteral',
    from: "'deadline'",
    kind: 'equivalent',
    reason: "a late worker's stop request has no invocation left to report its reason to; nothing reads it",
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'Regex',
    from: '/^Invalid TOML document:\\s*/i',
    kind: 'equivalent',
    reason: "smol-toml's messages start with these words and one space (tested with its real output)",
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'ConditionalExpression',
    from: "typeof line === 'number'",
    kind: 'unreachable',
    reason: "smol-toml's TomlError always carries a line and a column",
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'ConditionalExpression',
    from: "typeof column === 'number'",
    to: 'true',
    kind: 'unreachable',
    reason: "smol-toml's TomlError always carries a line and a column",
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'Regex',
    from: "/^Profile '.*' not found/",
    kind: 'equivalent',
    reason: "envconfig's message starts with these words",
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'Regex',
    from: '/^\\s*\\[profile\\.|\\]$/g',
    kind: 'equivalent',
    reason:
      'it runs on headers the previous pattern matched from the start of a line, whose one `]` is the last ' +
      'character (the name excludes `]`)',
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'BooleanLiteral',
    from: 'true',
    to: 'false',
    kind: 'equivalent',
    reason: 'only the keys of the profile map are read',
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'ConditionalExpression',
    from: 'source === undefined',
    to: 'false',
    kind: 'equivalent',
    reason: "`typeof undefined !== 'object'` skips an unset path next",
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'LogicalOperator',
    from: "source === undefined || typeof source !== 'object'",
    kind: 'unreachable',
    reason: "differs only for a TLS source that is set but not an object; envconfig's are unset or objects",
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'ConditionalExpression',
    from: "typeof source !== 'object'",
    to: 'false',
    kind: 'equivalent',
    reason: "envconfig's TLS sources are unset or objects; an unset one is skipped by the test before",
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'LogicalOperator',
    from: "tls && typeof tls === 'object'",
    kind: 'equivalent',
    reason: "the SDK's `tls` is unset, a boolean or an object; `true.clientCertPair` is undefined",
  },
  {
    file: CONNECTION_CONFIG,
    mutator: 'ConditionalExpression',
    from: "typeof tls === 'object'",
    to: 'true',
    kind: 'equivalent',
    reason: "the SDK's `tls` is unset, a boolean or an object; `true.clientCertPair` is undefined",
  },
  {
    file: REDACT,
    mutator: 'ConditionalExpression',
    from: "typeof value === 'string'",
    kind: 'equivalent',
    reason: "a string through Buffer.from(string).toString('utf8') comes back the same (secrets are well-formed text)",
  },
  {
    file: REDACT,
    mutator: 'StringLiteral',
    from: "'string'",
    kind: 'equivalent',
    reason: "a string through Buffer.from(string).toString('utf8') comes back the same (secrets are well-formed text)",
  },
  {
    file: REDACT,
    mutator: 'ConditionalExpression',
    from: 'out.includes(secret)',
    kind: 'equivalent',
    reason: 'splitting on an absent secret and joining gives the text back: the check only saves work',
  },
  {
    file: EMF,
    mutator: 'MethodExpression',
    from: 'group.metrics .filter',
    kind: 'equivalent',
    reason: 'a metric with no values has no parts, so no round takes it: the filter only saves work',
  },
  {
    file: EMF,
    mutator: 'ConditionalExpression',
    from: 'metric.values.length > 0',
    kind: 'equivalent',
    reason: 'a metric with no values has no parts, so no round takes it: the filter only saves work',
  },
  {
    file: EMF,
    mutator: 'EqualityOperator',
    from: 'metric.values.length > 0',
    kind: 'equivalent',
    reason: 'a metric with no values has no parts, so no round takes it: the filter only saves work',
  },
  {
    file: EMF,
    mutator: 'EqualityOperator',
    from: 'round < rounds',
    kind: 'equivalent',
    reason: 'the extra round finds no metric with parts left and writes no document',
  },
  {
    file: EMF,
    mutator: 'ConditionalExpression',
    from: 'value !== undefined',
    to: 'true',
    kind: 'equivalent',
    reason: 'documents are written as JSON, which leaves a property set to undefined out',
  },
  {
    file: SHARED,
    mutator: 'EqualityOperator',
    from: 'member.plan.deadlineMs > latest.plan.deadlineMs',
    to: 'member.plan.deadlineMs >= latest',
    kind: 'equivalent',
    reason:
      'two members with the same deadline have the same plan (a plan is the deadline and the settings): either may own the end',
  },
  {
    file: SHARED,
    mutator: 'ConditionalExpression',
    from: 'session.owner === member',
    to: 'false',
    kind: 'equivalent',
    reason:
      "the owner's own bound is the one its closing is already bounded by (the closing takes the owner's plan), and the closing's timer is armed first, so it settles first",
  },
  {
    file: SLOTS,
    mutator: 'StringLiteral',
    from: "'custom'",
    kind: 'elsewhere',
    reason:
      'only the SDK reads the supplier type (the fake worker takes any tuner); test/integration/shared-worker.test.ts fails without it: six activities need the slots of three members',
  },
  {
    file: SLOTS,
    mutator: 'ObjectLiteral',
    from: '{ once: true }',
    kind: 'equivalent',
    reason:
      'an AbortSignal fires its abort event at most once, so a listener that stays registered is never called again',
  },
  {
    file: SLOTS,
    mutator: 'BooleanLiteral',
    from: 'true',
    kind: 'equivalent',
    reason:
      'an AbortSignal fires its abort event at most once, so a listener that stays registered is never called again',
  },
  {
    file: BUNDLE_CACHE,
    mutator: 'StringLiteral',
    from: "'utf8'",
    kind: 'equivalent',
    reason: 'without an encoding readFileSync gives a Buffer, and vm.Script compiles a Buffer as its UTF-8 text',
  },
  {
    file: BUNDLE_CACHE,
    mutator: 'ObjectLiteral',
    from: '{ filename: bundle }',
    kind: 'equivalent',
    reason: "V8 checks a code cache against the source's hash and its flags, not the script's name",
  },
  { file: BUNDLE_CACHE, mutator: 'StringLiteral', from: "'tlw-code-cache'", kind: 'elsewhere', reason: DEBUG_ONLY },
  {
    file: BUNDLE_CACHE,
    mutator: 'StringLiteral',
    from: "'workflow bundle %s: %s'",
    kind: 'elsewhere',
    reason: DEBUG_ONLY,
  },
];
