/**
 * Worker thread of one sensitivity job (electron/host/jobs.ts): runs
 * core/scenario/sensitivity-run.ts runSensitivity (the baseline comparison, first-order
 * probes, re-runs of the deciding ones) with the vendors on the vendor pool (./parallel.ts),
 * so the engine host stays free and this thread's event loop can take a cancel. Nothing is
 * recorded (no database). The host calls {@link SensitivityService} over comlink (core/rpc):
 * `run`, and `cancel`, which aborts the signal: the pool drops queued vendors and terminates
 * running ones. Progress events are posted on the same port.
 */
import { parentPort } from 'node:worker_threads';
import { serve } from '../rpc/comlink-port';
import type { Scenario } from '../scenario/schema';
import { runSensitivity, type SensitivityOutcome, type SensitivityProgress } from '../scenario/sensitivity-run';
import { parallelExecutor } from './parallel';

/** Progress event posted on the worker's port during `run`. */
export type SensitivityProgressMessage = { type: 'progress'; p: SensitivityProgress };

const port = parentPort;
if (!port) throw new Error('sensitivity-worker must run in a worker_thread');
const abort = new AbortController();

/** Run the analysis of `scenario` with `factor` and `rerun` (core/scenario/sensitivity-run.ts). */
async function run(scenario: Scenario, factor: number, rerun: number): Promise<SensitivityOutcome> {
  return runSensitivity(scenario, {
    factor,
    rerun,
    executor: parallelExecutor(null),
    signal: abort.signal,
    onProgress: (p) => port!.postMessage({ type: 'progress', p } satisfies SensitivityProgressMessage),
  });
}

const service = {
  run,
  /** Stop the analysis: queued vendors are dropped, running ones terminated. */
  cancel: (): void => abort.abort(),
};

/** What the sensitivity worker serves (core/rpc): one `run` per worker. */
export type SensitivityService = typeof service;

serve(service, port);
