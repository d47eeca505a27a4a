// Type-aware lint: floating and misused promises, exhaustive switches, eqeqeq, and the layering rule.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

/** `../x/file` (or deeper) from a server module: go through `../x`, that module's index.ts. */
const SERVER_DEEP_IMPORT = {
  regex: '^\\.\\./[^/.][^/]*/',
  message: "Import another module through its index ('../x'), never one of its files",
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      'node_modules/**',
      'bench/results/**',
      '*.config.js',
      '*.config.mjs',
      '.ci/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // the console: the same type-aware rules (its own tsconfig, found by the project service),
    // the browser's globals, and the rules of hooks
    files: ['apps/admin/**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.browser },
    },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-empty': ['error', { allowEmptyCatch: true }] },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/**', '@tessera/server*'], message: 'libs/ never imports apps/' },
          ],
        },
      ],
    },
  },
  // Server layering. A module's face is its index.ts: another module is imported as `../x`, never
  // `../x/file`. The database kit sits below every feature and imports none (only the config).
  {
    files: ['apps/server/src/**/*.ts'],
    // queries/ is the review copy of every module's SQL: it reads each `*.sql.ts` file itself
    ignores: ['apps/server/src/database/**', 'apps/server/src/queries/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [SERVER_DEEP_IMPORT] }],
    },
  },
  {
    files: ['apps/server/src/database/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            SERVER_DEEP_IMPORT,
            {
              regex: '^\\.\\./(?!config$)[^/]+$',
              message:
                'database/ is the bottom kit: it imports no feature (entities are listed in src/entities.ts)',
            },
          ],
        },
      ],
    },
  },
);
