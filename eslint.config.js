// ESLint flat config. Besides the usual TypeScript/Svelte checks it enforces the import
// rules of DESIGN.md section 2 (layering and where Node-only modules may appear).
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import svelteParser from 'svelte-eslint-parser';

// Exact module names (`paths`), so a relative './events' is not mistaken for node's 'events'.
const NODE_ONLY_MSG = 'Node-only module: allowed only in core/store, core/cli and the hosts (DESIGN.md §2).';
const nodeOnlyPaths = [...builtinModules, 'better-sqlite3', 'ws', 'tsx'].map((name) => ({ name, message: NODE_ONLY_MSG }));
const nodeOnly = { group: ['node:*', 'tsx/*', 'better-sqlite3/*'], message: NODE_ONLY_MSG };
const noElectron = { group: ['electron', 'electron/*', '@electron/*'], message: 'core/ never imports electron (DESIGN.md §2).' };
const noHosts = { group: ['**/electron/**', '**/renderer/**'], message: 'core/ never imports the hosts or the renderer (DESIGN.md §2).' };
const noDomGlobals = ['window', 'document', 'navigator', 'localStorage', 'HTMLElement'].map((name) => ({
  name,
  message: 'core/ never uses DOM globals (DESIGN.md §2).',
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'tmp/**', 'test/e2e/artifacts/**', 'core/**/examples/**'] },
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parser: svelteParser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['core/**/*.ts'],
    ignores: ['core/store/**', 'core/cli/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: nodeOnlyPaths, patterns: [noElectron, noHosts, nodeOnly] }],
      'no-restricted-globals': ['error', ...noDomGlobals],
    },
  },
  {
    files: ['core/store/**/*.ts', 'core/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noElectron, noHosts] }],
      'no-restricted-globals': ['error', ...noDomGlobals],
    },
  },
  {
    // The renderer may import only its own code and the API contract's types.
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeOnlyPaths.map((p) => ({ ...p, message: 'renderer/ is sandboxed: no Node-only modules.' })),
          patterns: [
            { group: ['**/core/**', '**/electron/**', '!**/electron/api'], message: 'renderer/ imports only electron/api.ts types and its own code (DESIGN.md §2).' },
            { group: ['**/electron/api'], allowTypeImports: true, message: 'renderer/ may import only types from electron/api.ts.' },
            { ...nodeOnly, message: 'renderer/ is sandboxed: no Node-only modules.' },
            noElectron,
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.js', 'eslint.config.js', 'bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
