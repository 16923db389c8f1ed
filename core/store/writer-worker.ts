/**
 * The SQLite writer worker (one per database file). Receives messages from TraceWriter
 * (./writer.ts): 'begin' (insert run row), 'batch' (one EventBatch = one transaction),
 * 'end' (finish a run), 'close' (create indexes, close). Progress is published in shared
 * memory so a producer blocked on back-pressure (Atomics.wait) sees it without an event loop:
 *   Int32 [0] = batches processed, Int32 [1] = 1 after a failure; Float64 at byte 8 = slices committed.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { BatchInserter } from './insert';
import type { WriterRequest, WriterReply } from './writer-protocol';
import { WRITER_PRAGMAS } from './schema';
import { createIndexes } from './db';

const { path, shared } = workerData as { path: string; shared: SharedArrayBuffer };
const i32 = new Int32Array(shared, 0, 2);
const f64 = new Float64Array(shared, 8, 1);
const db = new Database(path, { fileMustExist: true });
for (const p of WRITER_PRAGMAS) db.pragma(p);
const ins = new BatchInserter(db);
let failure: string | null = null;
const port = parentPort!;

function reply(r: WriterReply): void {
  port.postMessage(r);
}

port.on('message', (m: WriterRequest) => {
  try {
    if (m.t === 'batch') {
      if (failure === null) ins.insert(m.runId, m.batch);
      f64[0] = ins.committedSlices;
    } else if (failure !== null) {
      reply({ t: 'err', id: m.id, message: failure });
    } else if (m.t === 'begin') {
      reply({ t: 'ok', id: m.id, value: ins.beginRun(m.info, m.pid) });
    } else if (m.t === 'end') {
      ins.endRun(m.runId, m.status, m.simEndNs);
      reply({ t: 'ok', id: m.id, value: 0 });
    } else if (m.t === 'close') {
      createIndexes(db);
      db.close();
      reply({ t: 'ok', id: m.id, value: 0 });
      port.close();
    }
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
    Atomics.store(i32, 1, 1);
    if (m.t !== 'batch') reply({ t: 'err', id: m.id, message: failure });
  } finally {
    if (m.t === 'batch') {
      Atomics.add(i32, 0, 1);
      Atomics.notify(i32, 0);
    }
  }
});
