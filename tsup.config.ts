import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'otel/index': 'otel/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
    outDir: 'dist',
    // otel/peers.ts loads the optional OpenTelemetry peers with literal require() calls (so that a
    // missing one gets a clear error and bundlers still follow them); the ESM build defines require.
    banner: ({ format }) =>
      format === 'esm'
        ? {
            js: "import { createRequire as __tlwCreateRequire } from 'node:module';\nconst require = __tlwCreateRequire(import.meta.url);",
          }
        : {},
  },
  {
    // The command-line tool: CJS only, never imported by users' code.
    entry: { cli: 'tools/cli.ts' },
    format: ['cjs'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    outDir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
