// ESLint: typescript-eslint's recommended rules, and its type-aware rules for promises (a floating
// or misused promise is a lifecycle bug here: an unhandled rejection fails a later invocation).
// `npm run lint` (run by `npm test`) allows no warning.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'reports/**',
      'examples/*/lib/**',
      'bench/**',
      'scripts/**',
      'testserver/**',
      '.stryker-tmp/**',
      '**/*.cjs',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'otel/**/*.ts', 'tools/**/*.ts', 'test/**/*.ts', '*.ts', '*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // A newcomer reads the shipped code without scrolling: lines fit 120 columns (Prettier wraps
    // code; long strings are split by hand) and functions fit a screen.
    files: ['src/**/*.ts', 'otel/**/*.ts', 'tools/**/*.ts'],
    rules: {
      'max-len': ['error', { code: 120, ignoreUrls: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Fakes implement async interfaces without awaiting, and tests read untyped JSON.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The README's code blocks are type-checked against the packed package, not this project.
    files: ['test/compat/readme/**'],
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/await-thenable': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/return-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
);
