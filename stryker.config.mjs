// Mutation testing of the runtime (src/, otel/) against the unit project: `npm run test:mutation`.
// Reports: reports/mutation/mutation.html and mutation.json; scripts/mutation-summary.mjs turns the
// JSON into reports/mutation-summary.md, which is checked in. One test runner at a time (the
// machine has two cores and the real-server suites need one); a run of every module takes a while.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.mts' },
  mutate: ['src/**/*.ts', 'otel/**/*.ts', '!src/index.ts'],
  // What the sandbox copy leaves out: large, and no unit test reads it.
  ignorePatterns: ['dist', 'reports', 'bench', 'examples', 'testserver', '**/node_modules', '.test-work-*'],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  // Checked in: a later run (a fresh clone too) tests again only the mutants whose code or
  // covering tests changed, and takes the other verdicts from this file. `--force` runs them all.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
};
