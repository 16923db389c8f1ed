/**
 * Where each engine worker starts. From source (tests, the CLI, the web host, all run through
 * tsx) a worker boots through ./ts-worker-boot.mjs (or ./ts-pool-boot.mjs for piscina pools),
 * which registers tsx and loads the worker's TypeScript file. In the electron-vite bundle
 * (out/main/, see electron.vite.config.ts) every worker is its own bundled JavaScript entry
 * next to the bundle, so a built or packaged app never loads TypeScript at run time.
 *
 * Which one applies is decided by this module's own URL: `.ts` from source, `.js` bundled.
 */

/** The engine's worker entries: name → TypeScript source below core/. */
const SOURCES = {
  'writer-worker': 'store/writer-worker.ts',
  'vendor-task': 'run/vendor-task.ts',
  'comparison-worker': 'run/comparison-worker.ts',
  'replay-worker': 'run/replay-worker.ts',
  'pagetable-worker': 'run/pagetable-worker.ts',
  'sensitivity-worker': 'run/sensitivity-worker.ts',
} as const;

/** Name of an engine worker entry (also its bundled file name, `<name>.js`). */
export type WorkerName = keyof typeof SOURCES;

/** Every worker entry name (electron.vite.config.ts bundles each). */
export const WORKER_NAMES = Object.keys(SOURCES) as WorkerName[];

/** The TypeScript source file of each worker entry, relative to the repository root. */
export const WORKER_SOURCES: Readonly<Record<WorkerName, string>> = Object.fromEntries(WORKER_NAMES.map((n) => [n, `core/${SOURCES[n]}`])) as Record<WorkerName, string>;

/** True when this module runs from its TypeScript source, false in the electron-vite bundle. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** A relative URL resolved against this module (a variable, so bundlers leave it alone). */
function here(rel: string): URL {
  return new URL(rel, import.meta.url);
}

/**
 * How to start worker `name` with `new Worker(url, { workerData: { ...yours, ...workerData } })`:
 * bundled, its JavaScript entry; from source, the tsx boot with the entry in `workerData.entry`.
 */
export function workerStart(name: WorkerName): { url: URL; workerData: { entry?: string } } {
  if (!FROM_SOURCE) return { url: here(`./${name}.js`), workerData: {} };
  return { url: here('./ts-worker-boot.mjs'), workerData: { entry: here(`../${SOURCES[name]}`).href } };
}

/**
 * piscina options for a pool running task module `name` (its default export): bundled, the
 * JavaScript entry; from source, the tsx pool boot with the entry in the pool's workerData.
 */
export function poolStart(name: WorkerName): { filename: string; workerData: { entry?: string } } {
  if (!FROM_SOURCE) return { filename: here(`./${name}.js`).href, workerData: {} };
  return { filename: here('./ts-pool-boot.mjs').href, workerData: { entry: here(`../${SOURCES[name]}`).href } };
}
