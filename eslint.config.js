// ESLint 9 flat config: `npm run lint` (eslint .).
const { defineConfig, globalIgnores } = require('eslint/config');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = defineConfig([
  globalIgnores([
    '**/node_modules/',
    'dist/',
    'data/',
    'coverage/',
    'test-artifacts/',
    'src/graphql/generated/',
    // A verbatim copy of ../shared/dataset/reference-generator.mjs (test/seed.test.ts keeps it so).
    'test/reference/',
  ]),

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    name: 'wardcache/all',
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // `_`-prefixed names mark arguments and variables that are unused on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },

  {
    // The gateway logs through pino and writes to stdout/stderr explicitly; a stray console call
    // is a leftover. Where one is meant (a test helper's skip notice), an eslint-disable comment
    // says so at that line.
    name: 'wardcache/typescript',
    files: ['**/*.ts'],
    rules: {
      'no-console': 'error',
    },
  },

  {
    // Plain CommonJS config files (jest.config.js, this file).
    name: 'wardcache/commonjs',
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      ecmaVersion: 2022,
      // Node's globals (sourceType commonjs adds only require, module and exports).
      globals: {
        __dirname: 'readonly',
        __filename: 'readonly',
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
]);
