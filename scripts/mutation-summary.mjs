// Turns StrykerJS's JSON report (reports/mutation/mutation.json) into reports/mutation-summary.md,
// the checked-in record of a mutation run: the score of each file and in total, and the mutants
// that survived in the modules listed in WATCHED, each with file:line and the change.
// Usage: node scripts/mutation-summary.mjs [--wall-time-ms <ms>] [--report <json>] [--out <md>]
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EQUIVALENT } from './mutation-equivalents.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Modules whose survivors are listed one by one: lifecycle, timeline, config, connection cache, redaction, EMF. */
export const WATCHED = [
  'src/lifecycle/run-worker.ts',
  'src/lifecycle/setup.ts',
  'src/lifecycle/invocation.ts',
  'src/lifecycle/worker-run.ts',
  'src/lifecycle/hooks.ts',
  'src/lifecycle/bounded.ts',
  'src/lifecycle/timeline.ts',
  'src/lifecycle/connection-cache.ts',
  'src/lifecycle/api-key.ts',
  'src/lifecycle/shared-worker.ts',
  'src/lifecycle/member-slots.ts',
  'src/lifecycle/bundle-cache.ts',
  'src/lifecycle/rehearsal.ts',
  'src/config/lambda-config.ts',
  'src/config/connection-config.ts',
  'src/config/env.ts',
  'src/logging/redact.ts',
  'src/metrics/emf-format.ts',
  'otel/invocation-traces.ts',
  'otel/span-shape.ts',
  'otel/registered-provider.ts',
  'otel/context-manager.ts',
  'otel/xray-ids.ts',
];

/** The summary's lines stay this short, so that it reads without scrolling. */
const LINE_WIDTH = 120;

const DETECTED = new Set(['Killed', 'Timeout']);
const INVALID = new Set(['CompileError', 'RuntimeError', 'Ignored', 'Pending']);

/** Counts of one file's (or all files') mutants and its scores, as Stryker computes them. */
function tally(mutants) {
  const count = (status) => mutants.filter((mutant) => mutant.status === status).length;
  const valid = mutants.filter((mutant) => !INVALID.has(mutant.status));
  const detected = valid.filter((mutant) => DETECTED.has(mutant.status)).length;
  const covered = valid.length - count('NoCoverage');
  const percent = (part, whole) => (whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(2)}`);
  return {
    total: mutants.length,
    killed: count('Killed'),
    timeout: count('Timeout'),
    survived: count('Survived'),
    noCoverage: count('NoCoverage'),
    errors: count('CompileError') + count('RuntimeError'),
    score: percent(detected, valid.length),
    coveredScore: percent(detected, covered),
  };
}

/** The source text a mutant replaced, on one line. */
function original(source, { start, end }) {
  const lines = source.split('\n');
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  const middle = lines.slice(start.line, end.line - 1);
  return [lines[start.line - 1].slice(start.column - 1), ...middle, lines[end.line - 1].slice(0, end.column - 1)].join(
    ' ',
  );
}

/** The original and the replacement, each shortened around where they differ. */
function change(before, after, max = 48) {
  const [a, b] = [before, after].map((text) => text.replace(/\s+/g, ' ').trim());
  if (a.length <= max && b.length <= max) return [a, b];
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a.at(-1 - suffix) === b.at(-1 - suffix)) suffix++;
  const from = Math.max(0, prefix - 12);
  const window = (text) => {
    const to = Math.min(text.length, Math.max(text.length - suffix + 12, from + 24));
    const cut = text.slice(from, Math.min(to, from + max));
    return `${from > 0 ? '...' : ''}${cut}${from + cut.length < text.length ? '...' : ''}`;
  };
  return [window(a), window(b)];
}

/** The survivor's entry in EQUIVALENT (scripts/mutation-equivalents.mjs), if it has one. */
export function explanation(fileName, source, mutant) {
  const squeeze = (text) => text.replace(/\s+/g, ' ').trim();
  const before = squeeze(original(source, mutant.location));
  const after = squeeze(mutant.replacement ?? '');
  return EQUIVALENT.find(
    (entry) =>
      entry.file === fileName &&
      entry.mutator === mutant.mutatorName &&
      before.startsWith(entry.from) &&
      (entry.to === undefined || after.startsWith(entry.to)),
  );
}

/** `text` as inline code that survives backticks and table pipes inside it. */
function code(text) {
  const escaped = text.replace(/\|/g, '\\|');
  return escaped.includes('`') ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
}

/** Modules that must score at least {@link GATE_SCORE} in a run of the watched modules. */
const GATED = WATCHED.filter((name) => name.startsWith('src/lifecycle/') || name.startsWith('src/config/'));
const GATE_SCORE = 85;

/**
 * What keeps a run of the watched modules from passing: a lifecycle, timeline or config module
 * under 85%, or a survivor of a watched module with no reason. Empty when it passes.
 */
export function gate(report) {
  const problems = [];
  for (const name of WATCHED) {
    const file = report.files[name];
    if (file === undefined) {
      problems.push(`${name} was not mutated`);
      continue;
    }
    const { score } = tally(file.mutants);
    if (GATED.includes(name) && Number(score) < GATE_SCORE)
      problems.push(`${name} scores ${score}% (under ${GATE_SCORE}%)`);
    for (const mutant of file.mutants.filter((m) => m.status === 'Survived')) {
      if (explanation(name, file.source, mutant) === undefined) {
        const { line, column } = mutant.location.start;
        problems.push(`${name}:${line}:${column} ${mutant.mutatorName} survived and is not explained`);
      }
    }
  }
  return problems;
}

export function summarize(report, { wallTimeMs } = {}) {
  const files = Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b));
  const row = (name, t) => {
    const cells = [name, t.total, t.killed, t.timeout, t.survived, t.noCoverage, t.errors, t.score, t.coveredScore];
    return `| ${cells.join(' | ')} |`;
  };
  const all = tally(files.flatMap(([, file]) => file.mutants));
  const out = [
    '# Mutation testing: summary',
    '',
    'Written by `scripts/mutation-summary.mjs` from the last `npm run test:mutation`',
    `(StrykerJS ${report.framework?.version ?? '?'}, vitest runner, unit project). Do not edit by hand.`,
    '',
    '- Mutated:',
    ...(report.config?.mutate ?? []).map((glob) => `  - ${code(glob)}`),
    `- Test runners: ${report.config?.concurrency ?? '?'}`,
    ...(wallTimeMs === undefined
      ? []
      : [`- Wall time: ${Math.round(wallTimeMs / 60_000)} min (${Math.round(wallTimeMs / 1000)} s)`]),
    '- Score: killed and timed-out mutants over all valid ones; covered score leaves out those no test reaches.',
    '',
    '| File | Mutants | Killed | Timeout | Survived | No coverage | Errors | Score % | Covered score % |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...files.map(([name, file]) => row(name, tally(file.mutants))),
    row('**Total**', all),
    '',
    '## Surviving mutants of the watched modules',
    '',
    'Lifecycle, timeline, config, connection cache, redaction and EMF format. A survivor is a change',
    'to the code that every test covering it let pass; mutants no test reaches are counted above.',
    'Each survivor is followed by why the unit tests cannot tell it from the code (scripts/mutation-equivalents.mjs):',
    '*equivalent* (no input can), *unreachable* (only an input the code never receives can, named), *elsewhere*',
    '(replaced by fakes on purpose in the unit tests, killed by the real-server suites); or by **not explained**.',
  ];
  let explained = 0;
  let unexplained = 0;
  for (const name of WATCHED) {
    const file = report.files[name];
    out.push('', `### ${name}`, '');
    if (file === undefined) {
      out.push('Not mutated in this run.');
      continue;
    }
    const survivors = file.mutants
      .filter((mutant) => mutant.status === 'Survived')
      .sort(
        (a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column,
      );
    if (survivors.length === 0) out.push('None.');
    for (const mutant of survivors) {
      const { line, column } = mutant.location.start;
      const prefix = `- ${name}:${line}:${column} ${mutant.mutatorName}: `;
      const entry = (room) => {
        const [before, after] = change(original(file.source, mutant.location), mutant.replacement ?? '', room);
        return `${prefix}${code(before)} -> ${code(after)}`;
      };
      let room = 60;
      while (entry(room).length > LINE_WIDTH && room > 12) room--;
      out.push(entry(room));
      const why = explanation(name, file.source, mutant);
      if (why === undefined) unexplained++;
      else explained++;
      out.push(`  ${why === undefined ? '**not explained**' : `${why.kind}: ${why.reason}`}`);
    }
  }
  const tallyLine = `Survivors in the watched modules: ${explained + unexplained}; explained: ${explained}; not explained: ${unexplained}.`;
  out.splice(out.indexOf('## Surviving mutants of the watched modules') + 2, 0, tallyLine, '');
  return `${out.join('\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
  const reportPath = arg('--report') ?? path.join(root, 'reports', 'mutation', 'mutation.json');
  const outPath = arg('--out') ?? path.join(root, 'reports', 'mutation-summary.md');
  const wallTime = arg('--wall-time-ms');
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  writeFileSync(outPath, summarize(report, { wallTimeMs: wallTime === undefined ? undefined : Number(wallTime) }));
  process.stdout.write(`Mutation summary written to ${path.relative(process.cwd(), outPath)}\n`);
  if (process.argv.includes('--gate')) {
    const problems = gate(report);
    for (const problem of problems) process.stderr.write(`mutation gate: ${problem}\n`);
    if (problems.length > 0) process.exit(1);
    process.stdout.write(
      'Mutation gate passed: lifecycle, timeline and config at 85% or more, every survivor explained.\n',
    );
  }
}
