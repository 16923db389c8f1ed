// Worker bootstrap (every engine worker: SQLite writer, vendor runs, jobs): worker threads do not inherit a TypeScript loader in every host
// (Vitest forks, Electron), so register tsx's ESM hooks here and then load the TS entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
