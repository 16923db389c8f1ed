// ESLint flat config. Besides the usual TypeScript/Svelte checks it enforces the import
// rules of docs/architecture.md (layering and where Node-only modules may appear).
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import svelteParser from 'svelte-eslint-parser';
import boundaries from 'eslint-plugin-boundaries';

// Exact module names (`paths`), so a relative './events' is not mistaken for node's 'events'.
const NODE_ONLY_MSG = 'Node-only module: allowed only in core/store, core/run, core/sweep, core/cli and the hosts (docs/architecture.md).';
const nodeOnlyPaths = [...builtinModules, 'better-sqlite3', 'ws', 'tsx'].map((name) => ({ name, message: NODE_ONLY_MSG }));
const nodeOnly = { group: ['node:*', 'tsx/*', 'better-sqlite3/*'], message: NODE_ONLY_MSG };
const noElectron = { group: ['electron', 'electron/*', '@electron/*'], message: 'core/ never imports electron (docs/architecture.md).' };
const noHosts = { group: ['**/electron/**', '**/renderer/**'], message: 'core/ never imports the hosts or the renderer (docs/architecture.md).' };
const noDomGlobals = ['window', 'document', 'navigator', 'localStorage', 'HTMLElement'].map((name) => ({
  name,
  message: 'core/ never uses DOM globals (docs/architecture.md).',
}));


// The layer order of docs/architecture.md: each element may import only the elements listed
// (its own always). Lower layers never import higher ones; the store knows runs and events
// (trace), not scenarios; the hosts call the engine's orchestration (run), never the CLI.
const LAYERS = {
  base: [],
  rpc: [],
  uapi: ['base'],
  trace: ['base'],
  pt: ['base', 'trace'],
  hw: ['base', 'uapi', 'pt', 'trace'],
  iommu: ['base', 'uapi', 'pt', 'hw', 'trace'],
  iommufd: ['base', 'uapi', 'pt', 'iommu', 'trace'],
  workload: ['base', 'uapi', 'pt', 'iommu', 'iommufd', 'trace'],
  scenario: ['base', 'uapi', 'iommu', 'iommufd', 'workload', 'trace'],
  store: ['base', 'rpc', 'trace'],
  run: ['base', 'rpc', 'pt', 'iommu', 'workload', 'scenario', 'store', 'trace'],
  sweep: ['base', 'rpc', 'iommu', 'scenario', 'store', 'run', 'trace'],
  cli: ['base', 'rpc', 'uapi', 'iommu', 'iommufd', 'workload', 'scenario', 'store', 'run', 'sweep', 'trace'],
  shell: ['base', 'rpc', 'pt', 'iommu', 'scenario', 'store', 'run', 'sweep', 'trace'],
  renderer: ['shell'],
};
const layerElements = [
  { type: 'shell', pattern: 'electron' },
  { type: 'renderer', pattern: 'renderer' },
  ...Object.keys(LAYERS)
    .filter((t) => !['shell', 'renderer'].includes(t))
    .map((t) => ({ type: t, pattern: `core/${t}` })),
];
const layerPolicies = Object.entries(LAYERS).map(([from, to]) => ({
  from: { element: { type: from } },
  allow: { to: { element: { types: { anyOf: [from, ...to] } } } },
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
    ignores: ['core/store/**', 'core/run/**', 'core/sweep/**', 'core/cli/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: nodeOnlyPaths, patterns: [noElectron, noHosts, nodeOnly] }],
      'no-restricted-globals': ['error', ...noDomGlobals],
    },
  },
  {
    files: ['core/store/**/*.ts', 'core/run/**/*.ts', 'core/sweep/**/*.ts', 'core/cli/**/*.ts'],
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
            { group: ['**/core/**', '**/electron/**', '!**/electron/api'], message: 'renderer/ imports only electron/api.ts types and its own code (docs/architecture.md).' },
            { group: ['**/electron/api'], allowTypeImports: true, message: 'renderer/ may import only types from electron/api.ts.' },
            { ...nodeOnly, message: 'renderer/ is sandboxed: no Node-only modules.' },
            noElectron,
          ],
        },
      ],
    },
  },
  {
    // Layer order (eslint-plugin-boundaries): relative imports between the elements above.
    files: ['core/**/*.ts', 'electron/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.svelte'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.svelte.ts', '.js', '.mjs', '.svelte'] } },
      'boundaries/elements': layerElements,
      'boundaries/include': ['core/**', 'electron/**', 'renderer/**'],
    },
    rules: { 'boundaries/dependencies': ['error', { default: 'disallow', policies: layerPolicies }] },
  },
  {
    // The API contract holds types and the method list; the shapes it shares with core come
    // from pure type files only (so the renderer can import it).
    files: ['electron/api.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./core/(?!store/queries/types$|run/replay-types$|sweep/view-types$|scenario/summary-types$|scenario/cost-types$|scenario/sensitivity-types$)', message: 'electron/api.ts may import only the pure type files of core (store/queries/types, run/replay-types, sweep/view-types, scenario/summary-types, scenario/cost-types, scenario/sensitivity-types).' }] },
      ],
    },
  },
  {
    files: ['scripts/**/*.js', 'eslint.config.js', 'bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
