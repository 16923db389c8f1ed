/**
 * Where the engine host's worker threads start. Workers load TypeScript sources through
 * ./comparison-boot.mjs (tsx), both when the host runs from source (web host, tests) and
 * from the electron-vite bundle (out/main/engine.js), which sits two levels below the
 * repository root; the app runs from a checkout (`npm start`), so the sources are there.
 */

const fromSource = import.meta.url.endsWith('.ts');

/** URL of a file in electron/host/ (this folder), from source or from the bundle. */
export function hostFile(name: string): URL {
  return fromSource ? new URL(`./${name}`, import.meta.url) : new URL(`../../electron/host/${name}`, import.meta.url);
}

/** Boot script and entry URL for a worker whose TypeScript entry is electron/host/<entry>. */
export function workerFiles(entry: string): { boot: URL; entry: string } {
  return { boot: hostFile('comparison-boot.mjs'), entry: hostFile(entry).href };
}
