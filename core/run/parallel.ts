/**
 * Parallel vendor executor: runs each vendor of a comparison in its own worker thread (at
 * most `threads` at once), so a 3-vendor comparison uses every core. Results are identical
 * to the sequential executor: each vendor's engine is independent and seeded.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RunSink, VendorExecutor, VendorTask } from '../scenario/runner';
import type { VendorWorkerData, VendorWorkerMessage } from './vendor-worker';
import type { MigrationReport } from '../workload/migration';

type Outcome = { ok: true; report: MigrationReport } | { ok: false; message: string };

const BOOT = new URL('../store/ts-worker-boot.mjs', import.meta.url);
const ENTRY = new URL('./vendor-worker.ts', import.meta.url).href;

function runInWorker(t: VendorTask, sink: RunSink | null): Promise<Outcome> {
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const data: VendorWorkerData = { entry: ENTRY, scenario: t.scenario, vendor: t.vendor, vendorIndex: t.vendorIndex, record: t.runId !== null && !!sink?.postBatch, cancel };
  const worker = new Worker(BOOT, { workerData: data });
  const onAbort = (): void => void Atomics.store(cancel, 0, 1);
  t.signal?.addEventListener?.('abort', onAbort);
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const done = (o: Outcome): void => {
      if (settled) return;
      settled = true;
      t.signal?.removeEventListener?.('abort', onAbort);
      resolve(o);
    };
    worker.on('message', (m: VendorWorkerMessage) => {
      if (m.type === 'batch') {
        if (t.runId !== null) sink?.postBatch?.(t.runId, m.batch);
      } else if (m.type === 'progress') t.onProgress?.(m.p);
      else if (m.type === 'done') done({ ok: true, report: m.report });
      else done({ ok: false, message: m.message });
    });
    worker.on('error', (e) => done({ ok: false, message: e.message }));
    worker.on('exit', (code) => done({ ok: false, message: `vendor worker exited (${code})` }));
  }).finally(() => void worker.terminate());
}

/** An executor running up to `threads` vendors at once (default: available cores). */
export function parallelExecutor(sink: RunSink | null, threads = availableParallelism()): VendorExecutor {
  return async (tasks) => {
    const out: Outcome[] = new Array(tasks.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = tasks[i].signal?.aborted ? { ok: false, message: 'cancelled' } : await runInWorker(tasks[i], sink);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(threads, tasks.length)) }, lane));
    return out;
  };
}
