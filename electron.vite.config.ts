import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Layout per TOOLCHAIN.md: main and preload under electron/, renderer under renderer/.
// Packages in `dependencies` (better-sqlite3) stay external in the main bundle.
export default defineConfig({
  main: {
    build: {
      // Two entries: the main process and the engine host run in a utilityProcess.
      lib: {
        entry: {
          index: resolve(import.meta.dirname, 'electron/main/index.ts'),
          engine: resolve(import.meta.dirname, 'electron/host/utility.ts'),
        },
      },
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
