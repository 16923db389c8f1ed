// Worker bootstrap when the engine runs from source (tests, CLI, web host; core/rpc/worker-entry.ts):
// worker threads do not inherit a TypeScript loader in every host (Vitest forks), so register
// tsx's ESM hooks here and then load the TypeScript entry named in workerData.entry. The
// electron-vite bundle (out/main) starts its workers from bundled JavaScript instead.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
