/**
 * Where the engine host's worker threads start. The workers are engine orchestration in
 * core/run/ and load TypeScript through core/store/ts-worker-boot.mjs (tsx), both when the
 * host runs from source (electron/host/, web host, tests) and from the electron-vite bundle
 * (out/main/engine.js): both sit two levels below the repository root, and the app runs from
 * a checkout (`npm start`), so the sources are there.
 */

/** Boot script and entry URL for a worker whose TypeScript entry is core/run/<entry>. */
export function workerFiles(entry: string): { boot: URL; entry: string } {
  return { boot: new URL('../../core/store/ts-worker-boot.mjs', import.meta.url), entry: new URL(`../../core/run/${entry}`, import.meta.url).href };
}
