/**
 * Worker thread of one comparison job (electron/host/jobs.ts): runs core/scenario
 * runComparison into the SQLite writer so the engine host stays free to answer queries
 * while the (CPU-bound) vendor runs execute, one worker per vendor. Cancellation comes
 * through a shared flag (the host's message loop and this one are separate threads).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runComparison, type CompareProgress } from '../scenario/runner';
import type { Scenario } from '../scenario/schema';
import { openRunSink } from '../store/run-sink';
import { parallelExecutor } from './parallel';

/** Input of the worker. */
export interface ComparisonWorkerData {
  scenario: Scenario;
  dbPath: string;
  /** Int32Array view over a SharedArrayBuffer; [0] = 1 once cancelled. */
  cancel: Int32Array;
}

/** Messages the worker posts. */
export type ComparisonWorkerMessage =
  | { type: 'progress'; p: CompareProgress }
  | { type: 'done'; runIds: number[]; explanations: string[]; failed: { vendor: string; message: string }[]; cancelled: boolean; summary: unknown }
  | { type: 'error'; code: string; message: string };

const port = parentPort;
if (!port) throw new Error('comparison-worker must run in a worker_thread');
const data = workerData as ComparisonWorkerData;
const post = (m: ComparisonWorkerMessage): void => port.postMessage(m);

// Vendors run in their own worker threads (core/cli parallelExecutor), so this thread's loop
// stays free to notice the host's shared cancel flag and abort the runner's signal.
const abort = new AbortController();
const poll = setInterval(() => {
  if (Atomics.load(data.cancel, 0) === 1) abort.abort();
}, 25);
const signal = abort.signal;

async function main(): Promise<void> {
  const sink = await openRunSink(data.dbPath);
  if (!sink.ok) return post({ type: 'error', code: sink.error.code, message: sink.error.message });
  let r: Awaited<ReturnType<typeof runComparison>>;
  try {
    r = await runComparison(data.scenario, { sink: sink.sink, signal, onProgress: (p) => post({ type: 'progress', p }), executor: parallelExecutor(sink.sink) });
    // Stored in the `comparison` table on close, like `compare --db` does.
    sink.sink.saveComparison(r.summary);
  } finally {
    clearInterval(poll);
    // Close (indexes built, writer gone) before reporting, so the host can write and read at once.
    await sink.sink.close();
  }
  const runIds = r.summary.vendors.map((v) => v.runId).filter((id): id is number => id !== null);
  post({ type: 'done', runIds, explanations: r.summary.explanations, failed: r.failed, cancelled: signal.aborted, summary: r.summary });
}

main().catch((e: unknown) => post({ type: 'error', code: 'EIO', message: e instanceof Error ? e.message : String(e) }));
