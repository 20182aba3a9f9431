import { defineConfig } from 'vitest/config';

/**
 * The unit project alone, for StrykerJS (stryker.config.mjs): its vitest runner has no option to
 * pick a project of vitest.config.mts (which would start real servers for the others), so it
 * reads this file. Keep `include` the same as the unit project's there.
 */
export default defineConfig({
  test: {
    // The model test with a fixed seed and 300 environments: each mutant's verdict must not depend
    // on the draw, and a mutant of the lifecycle runs it (10,000 environments take 30 s).
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env: { TLW_MODEL_RUNS: '300', TLW_MODEL_SEED: '17' },
        },
      },
    ],
  },
});
