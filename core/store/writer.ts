/**
 * TraceWriter: the single writer of a trace database. By default the SQLite work happens in
 * a worker_thread (./writer-worker.ts, called over comlink: core/rpc); batches are posted
 * with their ArrayBuffers transferred. With `inProcess: true` the same BatchInserter runs synchronously on the
 * calling thread (tests, tools without workers).
 *
 * Back-pressure: the recorder's sink is synchronous, so when more than `maxInFlight`
 * batches are queued the producer blocks in Atomics.wait until the worker catches up
 * (allowed in Node main threads and utility processes, not in browsers).
 *
 * Usage:
 *   const w = await openWriter('run.sqlite');           // { ok, writer } | { ok: false, error }
 *   const run = await w.writer.startRun({ scenario, vendor: 'intel', seed: 1, versions });
 *   run.recorder.slice('iommufd', 'IOMMU_IOAS_MAP', ts, dur, { iova, length, errno: 0 });
 *   await run.finish(simEndNs);                          // flush, status 'complete'
 *   await w.writer.close();                              // creates indexes
 */
import Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { BufferedRecorder, type RecorderOptions } from '../trace/recorder';
import { batchTransferList, type BatchSink, type EventBatch } from '../trace/batch';
import { BatchInserter, type RunInfo } from './insert';
import { createIndexes, openStore, releaseWriter, type OpenOptions, type StoreError } from './db';
import { WRITER_PRAGMAS } from './schema';
import { connect, transfer } from '../rpc/comlink-port';
import { workerStart } from '../rpc/worker-entry';
import type { WriterService } from './writer-worker';

/** Options for {@link openWriter}. */
export interface WriterOptions {
  /** Run SQLite on this thread instead of a worker (default false). */
  inProcess?: boolean;
  /** Batches queued to the worker before the producer blocks (default 4). */
  maxInFlight?: number;
  /** Open options (migrate, check). Mode is always 'write'. */
  open?: Omit<OpenOptions, 'mode'>;
}

/** A run being recorded. */
export interface RunRecorder {
  readonly runId: number;
  readonly recorder: BufferedRecorder;
  /** Flush, wait until committed, and mark the run complete (or failed). */
  finish(simEndNs?: number | null, status?: 'complete' | 'failed'): Promise<void>;
}

interface Backend {
  begin(info: RunInfo, pid: number): Promise<number>;
  end(runId: number, status: 'complete' | 'failed', simEndNs: number | null): Promise<void>;
  close(): Promise<void>;
  post(runId: number, batch: EventBatch): void;
  committedSlices(): number;
  terminate(): Promise<void>;
}

function inProcessBackend(path: string): Backend {
  const db = new Database(path, { fileMustExist: true });
  for (const p of WRITER_PRAGMAS) db.pragma(p);
  const ins = new BatchInserter(db);
  return {
    begin: async (info, pid) => ins.beginRun(info, pid),
    end: async (runId, status, simEndNs) => ins.endRun(runId, status, simEndNs),
    close: async () => {
      createIndexes(db);
      releaseWriter(db);
      db.close();
    },
    post: (runId, batch) => ins.insert(runId, batch),
    committedSlices: () => ins.committedSlices,
    terminate: async () => {
      if (db.open) db.close();
    },
  };
}

function workerBackend(path: string, maxInFlight: number): Backend {
  const shared = new SharedArrayBuffer(16);
  const i32 = new Int32Array(shared, 0, 2);
  const f64 = new Float64Array(shared, 8, 1);
  const start = workerStart('writer-worker');
  const worker = new Worker(start.url, { workerData: { path, shared, ...start.workerData } });
  const peer = connect<WriterService>(worker, 'writer worker');
  let posted = 0;
  return {
    begin: (info, pid) => peer.call((w) => w.begin(info, pid)),
    end: (runId, status, simEndNs) => peer.call((w) => w.end(runId, status, simEndNs)),
    close: () => peer.call((w) => w.close()),
    post(runId, batch) {
      if (peer.dead) throw peer.dead;
      if (Atomics.load(i32, 1) !== 0) throw new Error('writer worker failed; see the next request for the message');
      // Never rejects (a failure shows in shared memory); a dead worker is seen by the next call.
      peer.call((w) => w.batch(runId, transfer(batch, batchTransferList(batch)))).catch(() => {});
      posted++;
      for (;;) {
        const done = Atomics.load(i32, 0);
        if (posted - done <= maxInFlight) break;
        Atomics.wait(i32, 0, done, 1000);
      }
    },
    committedSlices: () => f64[0],
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** The database's single writer. Create with {@link openWriter}. */
export class TraceWriter {
  private readonly backend: Backend;
  private closed = false;

  constructor(backend: Backend) {
    this.backend = backend;
  }

  /** Begin a run: inserts the run row (status 'running') and returns a recorder bound to it. */
  async startRun(info: RunInfo, rec: RecorderOptions = {}): Promise<RunRecorder> {
    const runId = await this.backend.begin(info, process.pid);
    const backend = this.backend;
    const sink: BatchSink = { write: (b) => backend.post(runId, b) };
    const recorder = new BufferedRecorder(sink, rec);
    return {
      runId,
      recorder,
      finish: async (simEndNs = null, status = 'complete') => {
        recorder.flush();
        await this.backend.end(runId, status, simEndNs);
      },
    };
  }

  /**
   * Queue a batch recorded elsewhere (e.g. a vendor run in another worker) for run `runId`,
   * which must have been begun with {@link startRun}. Blocks when too many are in flight.
   */
  postBatch(runId: number, batch: EventBatch): void {
    this.backend.post(runId, batch);
  }

  /** Slices committed so far (all runs of this writer). */
  committedSlices(): number {
    return this.backend.committedSlices();
  }

  /** Create indexes after the bulk load and close the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.backend.close();
    } finally {
      await this.backend.terminate();
    }
  }
}

/**
 * Open `path` for recording (created if missing; validated like openStore otherwise).
 * Errors: the StoreError of {@link openStore}.
 */
export async function openWriter(path: string, opts: WriterOptions = {}): Promise<{ ok: true; writer: TraceWriter } | { ok: false; error: StoreError }> {
  const r = openStore(path, { ...opts.open, mode: 'write' });
  if (!r.ok) return r;
  r.db.close();
  const backend = opts.inProcess
    ? inProcessBackend(path)
    : workerBackend(path, opts.maxInFlight ?? 4);
  return { ok: true, writer: new TraceWriter(backend) };
}
