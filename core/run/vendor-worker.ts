/**
 * Worker thread running one vendor of a comparison (core/cli/parallel.ts). It records into
 * its own BufferedRecorder whose batches are posted (zero-copy) to the parent, which hands
 * them to the single SQLite writer; cancellation is a shared flag polled between rounds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { VendorName } from '../iommu/registry';
import { runVendor, type CompareProgress } from '../scenario/runner';
import type { Scenario } from '../scenario/schema';
import { batchTransferList, type EventBatch } from '../trace/batch';
import { BufferedRecorder } from '../trace/recorder';
import { NULL_RECORDER } from '../trace/types';
import type { MigrationReport } from '../workload/migration';

export interface VendorWorkerData {
  entry: string;
  scenario: Scenario;
  vendor: VendorName;
  vendorIndex: number;
  record: boolean;
  /** [0] = 1 once cancelled. */
  cancel: Int32Array;
}

export type VendorWorkerMessage =
  | { type: 'batch'; batch: EventBatch }
  | { type: 'progress'; p: CompareProgress }
  | { type: 'done'; report: MigrationReport }
  | { type: 'error'; message: string };

const port = parentPort!;
const d = workerData as VendorWorkerData;
const post = (m: VendorWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

const recorder = d.record
  ? new BufferedRecorder({ write: (batch) => post({ type: 'batch', batch }, batchTransferList(batch)) }, { traceDma: d.scenario.recording === 'dma' })
  : NULL_RECORDER;
const signal = { get aborted(): boolean { return Atomics.load(d.cancel, 0) === 1; } } as AbortSignal;

try {
  const report = runVendor(d.scenario, d.vendor, recorder, { vendorIndex: d.vendorIndex, signal, onProgress: (p) => post({ type: 'progress', p }) });
  if (recorder instanceof BufferedRecorder) recorder.flush();
  post({ type: 'done', report });
} catch (e) {
  post({ type: 'error', message: (e as Error).message });
}
