// Pool-worker bootstrap when the engine runs from source (core/rpc/worker-entry.ts): piscina
// loads this file in each pool thread; it registers tsx's ESM hooks and re-exports the
// TypeScript task module named in the pool's workerData.entry. The electron-vite bundle
// (out/main) gives piscina the bundled JavaScript task instead.
import { workerData } from 'piscina';
import { register } from 'tsx/esm/api';

register();
const task = await import(workerData.entry);
export default task.default;
