// eslint for every JavaScript file of the repository (`make lint`, `make test`).
//
// Two jobs: catch mistakes (@eslint/js recommended: unused variables, undefined names,
// unreachable code, …) and keep the style the code already has (@stylistic), so that
// nothing is reformatted in bulk. Where a rule is looser than a style guide would be,
// that is how the code is written: two-space indent, single quotes, semicolons, a
// trailing comma on multi-line lists when the author chose one, and lines of code up to
// 160 characters (a line of user-facing text may run longer).
//
// Globals by where the code runs: the page (static/app), a Worker (the OPFS worker), the
// service worker (static/app/sw, bundled into /sw.js by signal_server/app_shell.py), a
// benchmark's page (bench/*.js) and node (tests, scripts, bench).
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import globals from 'globals';

export default [
  { ignores: ['static/vendor/', 'static/bundle/', 'node_modules/', '.venv/', 'staticfiles/', 'test-results/', 'bench/results/'] },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    plugins: { '@stylistic': stylistic },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_` marks a value that is there on purpose (a loop count, a skipped element).
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@stylistic/indent': ['error', 2, { SwitchCase: 1 }],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'only-multiline'],
      '@stylistic/max-len': ['error', { code: 160, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true }],
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/eol-last': 'error',
      '@stylistic/no-mixed-spaces-and-tabs': 'error',
      '@stylistic/no-tabs': 'error',
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/comma-spacing': 'error',
      '@stylistic/key-spacing': 'error',
      '@stylistic/arrow-parens': ['error', 'always'],
      '@stylistic/arrow-spacing': 'error',
      '@stylistic/space-before-function-paren': ['error', { anonymous: 'always', named: 'never', asyncArrow: 'always' }],
      '@stylistic/no-multi-spaces': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1 }],
      '@stylistic/semi-spacing': 'error',
      '@stylistic/quote-props': ['error', 'as-needed'],
      '@stylistic/spaced-comment': ['error', 'always'],
    },
  },
  { files: ['static/app/**/*.js'], languageOptions: { globals: globals.browser } },
  { files: ['static/app/files/opfs-worker.js'], languageOptions: { globals: globals.worker } },
  { files: ['static/app/sw/**/*.js'], languageOptions: { globals: globals.serviceworker } },
  // Scripts a benchmark installs in its pages (before the page's own, not as modules).
  { files: ['bench/**/*.js'], languageOptions: { sourceType: 'script', globals: globals.browser } },
  {
    files: ['tests/**/*.js', 'tests/**/*.mjs', 'scripts/**/*.mjs', 'bench/**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
];
