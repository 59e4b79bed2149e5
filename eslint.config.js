import neostandard, { plugins } from 'neostandard'
import tseslint from 'typescript-eslint'

export default [
  ...neostandard({
    ts: true,
    ignores: ['**/dist/**', '**/node_modules/**', '**/.data/**', '**/.turbo/**', 'test-output/**', 'bench-output/**', 'services/web/public/**'],
  }),
  {
    rules: {
      // STYLE.md writes multi-line literals with trailing commas.
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      // `void promise` marks a deliberately unawaited promise (no-floating-promises asks for it).
      'no-void': ['error', { allowAsStatement: true }],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // `export const Outcome = {...} as const` with `export type Outcome` is the house pattern (STYLE R4);
      // the compiler already rejects real redeclarations.
      '@typescript-eslint/no-redeclare': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['services/web/build.mjs'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, n: plugins.n },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test's describe/it/test return promises the runner itself awaits.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      'n/no-process-env': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['@chat/*/src/*', '@chat/*/dist/*'], message: 'import a package by its front door' }] }],
    },
  },
  {
    // Entry points, tests, the fault suite and the benchmarks may read the environment; nothing else does.
    files: ['**/src/main.ts', '**/src/migrate.ts', '**/test/**', 'tests/**', 'bench/**', 'shared/testing/src/**'],
    rules: { 'n/no-process-env': 'off' },
  },
]
