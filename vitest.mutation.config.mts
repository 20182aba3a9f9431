import { defineConfig } from 'vitest/config';

/**
 * The unit project alone, for StrykerJS (stryker.config.mjs): its vitest runner has no option to
 * pick a project of vitest.config.mts (which would start real servers for the others), so it
 * reads this file. Keep `include` the same as the unit project's there.
 */
export default defineConfig({
  test: {
    projects: [{ test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } }],
  },
});
