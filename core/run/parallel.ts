/**
 * Parallel vendor executor: runs each vendor of a comparison as a task of a piscina worker
 * pool (./vendor-task.ts), at most `threads` at once, so a 3-vendor comparison uses every
 * core. Results are identical to the sequential executor (`--threads 1`): each vendor's
 * engine is independent and seeded. Recorded batches come back over a MessagePort per task
 * and go to the run's sink (the single SQLite writer). Cancellation is the pool's: when the
 * comparison's signal aborts, queued tasks are dropped and running ones' threads terminated;
 * their runs are then marked failed by the runner, keeping what was recorded.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { RunSink, VendorExecutor, VendorOutcome, VendorTask } from '../scenario/runner';
import type { MigrationReport } from '../workload/migration';
import { poolStart } from '../rpc/worker-entry';
import type { VendorTaskInput, VendorTaskMessage } from './vendor-task';

type Outcome = VendorOutcome;

/** Failure message of a vendor stopped by its comparison's signal (as the sequential executor's). */
export const CANCELLED = 'cancelled';

/** Run one vendor task on the pool; resolves once its report and every batch it posted arrived. */
function runTask(pool: Piscina, t: VendorTask, sink: RunSink | null): Promise<Outcome> {
  if (t.signal?.aborted) return Promise.resolve({ ok: false, message: CANCELLED });
  const { port1, port2 } = new MessageChannel();
  const record = t.runId !== null && !!sink?.postBatch;
  // All batches are in once 'done' arrives on the port (messages on one port keep their order).
  const drained = new Promise<void>((resolve) => {
    port1.on('message', (m: VendorTaskMessage) => {
      if (m.type === 'batch') {
        if (t.runId !== null) sink?.postBatch?.(t.runId, m.batch);
      } else if (m.type === 'progress') t.onProgress?.(m.p);
      else resolve();
    });
  });
  const input: VendorTaskInput = { scenario: t.scenario, vendor: t.vendor, vendorIndex: t.vendorIndex, record, port: port2 };
  const run = pool.run(input, { transferList: [port2], ...(t.signal ? { signal: t.signal } : {}) }) as Promise<MigrationReport>;
  return run
    .then(
      async (report): Promise<Outcome> => {
        await drained;
        return { ok: true, report };
      },
      (e: unknown): Outcome => ({ ok: false, message: t.signal?.aborted ? CANCELLED : e instanceof Error ? e.message : String(e) }),
    )
    .finally(() => port1.close());
}

/** An executor running up to `threads` vendors at once (default: available cores) on a piscina pool. */
export function parallelExecutor(sink: RunSink | null, threads = availableParallelism()): VendorExecutor {
  return async (tasks, onSettled) => {
    const n = Math.max(1, Math.min(threads, tasks.length));
    const pool = new Piscina({ ...poolStart('vendor-task'), minThreads: 0, maxThreads: n, idleTimeout: 1000 });
    try {
      // Each vendor's outcome is reported as soon as it (and every batch it posted) is in, so
      // its run is finished then, not when the slowest vendor ends.
      return await Promise.all(
        tasks.map((t, i) =>
          runTask(pool, t, sink).then((o) => {
            onSettled?.(i, o);
            return o;
          }),
        ),
      );
    } finally {
      await pool.destroy();
    }
  };
}
