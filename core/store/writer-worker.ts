/**
 * The SQLite writer worker (one per database file). Serves {@link WriterService} to
 * TraceWriter (./writer.ts) over comlink (core/rpc): `begin` (insert run row), `batch` (one
 * EventBatch = one transaction), `end` (finish a run), `close` (create indexes, close).
 * Progress is published in shared memory so a producer blocked on back-pressure
 * (Atomics.wait) sees it without an event loop:
 *   Int32 [0] = batches processed, Int32 [1] = 1 after a failure; Float64 at byte 8 = slices committed.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { serve } from '../rpc/comlink-port';
import type { EventBatch } from '../trace/batch';
import { BatchInserter, type RunInfo } from './insert';
import { WRITER_PRAGMAS } from './schema';
import { createIndexes, releaseWriter } from './db';

const { path, shared } = workerData as { path: string; shared: SharedArrayBuffer };
const i32 = new Int32Array(shared, 0, 2);
const f64 = new Float64Array(shared, 8, 1);
const db = new Database(path, { fileMustExist: true });
for (const p of WRITER_PRAGMAS) db.pragma(p);
const ins = new BatchInserter(db);
/** The first failure's message: every later request rejects with it (batches are dropped). */
let failure: string | null = null;

function fail(e: unknown): never {
  failure ??= e instanceof Error ? e.message : String(e);
  Atomics.store(i32, 1, 1);
  throw new Error(failure);
}

function ok<T>(fn: () => T): T {
  if (failure !== null) throw new Error(failure);
  try {
    return fn();
  } catch (e) {
    return fail(e);
  }
}

const service = {
  /** Insert the run row (status 'running'); resolves to its id. */
  begin: (info: RunInfo, pid: number): number => ok(() => ins.beginRun(info, pid)),
  /**
   * Insert one batch (one transaction) of run `runId`. Never rejects: a failure is published
   * in shared memory (Int32 [1]) and reported by the next begin/end/close.
   */
  batch(runId: number, batch: EventBatch): void {
    try {
      if (failure === null) ins.insert(runId, batch);
      f64[0] = ins.committedSlices;
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
      Atomics.store(i32, 1, 1);
    } finally {
      Atomics.add(i32, 0, 1);
      Atomics.notify(i32, 0);
    }
  },
  /** Mark run `runId` finished with its simulated end time (ns). */
  end: (runId: number, status: 'complete' | 'failed', simEndNs: number | null): void => ok(() => ins.endRun(runId, status, simEndNs)),
  /** Create the indexes and close the database (the caller then terminates the worker). */
  close: (): void =>
    ok(() => {
      createIndexes(db);
      releaseWriter(db);
      db.close();
    }),
};

/** What the writer worker serves. */
export type WriterService = typeof service;

serve(service, parentPort!);
