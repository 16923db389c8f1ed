/**
 * Worker thread of one comparison job (electron/host/jobs.ts): runs core/scenario
 * runComparison into the SQLite writer, the vendors on the vendor pool (./parallel.ts), so
 * the engine host stays free to answer queries. This thread relays the vendors' recorded
 * batches to the writer (blocking on its back-pressure, which the host thread must never do).
 * The host calls {@link ComparisonService} over comlink (core/rpc): `run`, and `cancel`, which
 * aborts the comparison's signal: the pool drops queued vendors and terminates running ones.
 * Progress events are posted on the same port.
 */
import { parentPort } from 'node:worker_threads';
import { serve } from '../rpc/comlink-port';
import { runComparison, type CompareProgress } from '../scenario/runner';
import type { Scenario } from '../scenario/schema';
import { openRunSink } from '../store/run-sink';
import { CANCELLED, parallelExecutor } from './parallel';

/** Progress event posted on the worker's port during `run`. */
export type ComparisonProgressMessage = { type: 'progress'; p: CompareProgress };

/** Result of `run`: the runs recorded, or the store's error opening the database. */
export type ComparisonJobResult =
  | { ok: true; runIds: number[]; explanations: string[]; failed: { vendor: string; message: string }[]; cancelled: boolean }
  | { ok: false; code: string; message: string };

const port = parentPort;
if (!port) throw new Error('comparison-worker must run in a worker_thread');
const abort = new AbortController();

/** Run `scenario` on each of its vendors into `dbPath` (one run per vendor, the summary in the `comparison` table). */
async function run(scenario: Scenario, dbPath: string): Promise<ComparisonJobResult> {
  const sink = await openRunSink(dbPath);
  if (!sink.ok) return { ok: false, code: sink.error.code, message: sink.error.message };
  const signal = abort.signal;
  let r: Awaited<ReturnType<typeof runComparison>>;
  try {
    r = await runComparison(scenario, { sink: sink.sink, signal, onProgress: (p) => port!.postMessage({ type: 'progress', p } satisfies ComparisonProgressMessage), executor: parallelExecutor(sink.sink) });
    // Stored in the `comparison` table on close, like `compare --db` does.
    sink.sink.saveComparison(r.summary);
  } finally {
    // Close (indexes built, writer gone) before reporting, so the host can write and read at once.
    await sink.sink.close();
  }
  const runIds = r.summary.vendors.map((v) => v.runId).filter((id): id is number => id !== null);
  // Vendors stopped by the cancel are not failures: their runs are marked failed, the job cancelled.
  const failed = signal.aborted ? r.failed.filter((f) => f.message !== CANCELLED) : r.failed;
  return { ok: true, runIds, explanations: r.summary.explanations, failed, cancelled: signal.aborted };
}

const service = {
  run,
  /** Stop the comparison: queued vendors are dropped, running ones terminated. */
  cancel: (): void => abort.abort(),
};

/** What the comparison worker serves (core/rpc): one `run` per worker. */
export type ComparisonService = typeof service;

serve(service, port);
