import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { WORKER_SOURCES } from './core/rpc/worker-entry';

// Layout per TOOLCHAIN.md: main and preload under electron/, renderer under renderer/.
// Packages in `dependencies` (better-sqlite3) stay external in the main bundle.
export default defineConfig({
  main: {
    build: {
      // The main process, the engine host (run in a utilityProcess), and every engine worker
      // (core/rpc/worker-entry.ts): the bundle starts its workers from these JavaScript files,
      // never from TypeScript. Shared chunks stay next to them, so `./<worker>.js` resolves
      // from any bundled module.
      lib: {
        entry: {
          index: resolve(import.meta.dirname, 'electron/main/index.ts'),
          engine: resolve(import.meta.dirname, 'electron/host/utility.ts'),
          ...Object.fromEntries(Object.entries(WORKER_SOURCES).map(([name, src]) => [name, resolve(import.meta.dirname, src)])),
        },
      },
      rolldownOptions: { output: { chunkFileNames: '[name]-[hash].js' } },
    },
  },
  preload: {
    build: {
      lib: { entry: resolve(import.meta.dirname, 'electron/preload/index.ts') },
      // Sandboxed preloads cannot be ES modules.
      rolldownOptions: { output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'renderer'),
    build: {
      rolldownOptions: { input: resolve(import.meta.dirname, 'renderer/index.html') },
    },
    plugins: [svelte({ configFile: resolve(import.meta.dirname, 'svelte.config.js') })],
  },
});
