/**
 * One vendor of a comparison, as a task of the vendor pool (./parallel.ts, piscina): runs
 * runVendor into its own BufferedRecorder and streams what it records to the pool's caller
 * over the task's MessagePort: `batch` messages (ArrayBuffers transferred), `progress`
 * messages, then `done` once every batch is posted. The task's return value is the vendor's
 * migration report. Cancellation is the pool's: an aborted task's thread is terminated.
 */
import type { MessagePort } from 'node:worker_threads';
import type { VendorName } from '../iommu/registry';
import { runVendor, type CompareProgress } from '../scenario/runner';
import type { Scenario } from '../scenario/schema';
import { batchTransferList, type EventBatch } from '../trace/batch';
import { BufferedRecorder } from '../trace/recorder';
import { NULL_RECORDER } from '../trace/types';
import type { MigrationReport } from '../workload/migration';

/** Input of a vendor task. */
export interface VendorTaskInput {
  scenario: Scenario;
  vendor: VendorName;
  vendorIndex: number;
  /** Record events (batches are posted on `port`); false runs without recording. */
  record: boolean;
  /** Where batches and progress go (transferred with the task). */
  port: MessagePort;
}

/** Messages a vendor task posts on its port, in order; `done` is the last. */
export type VendorTaskMessage = { type: 'batch'; batch: EventBatch } | { type: 'progress'; p: CompareProgress } | { type: 'done' };

/**
 * Run one vendor. @returns its migration report. @throws Error when the engine cannot be set
 * up for this vendor (the caller records the run as failed).
 */
export default function runVendorTask(t: VendorTaskInput): MigrationReport {
  const post = (m: VendorTaskMessage, transfer: ArrayBuffer[] = []): void => t.port.postMessage(m, transfer);
  const recorder = t.record ? new BufferedRecorder({ write: (batch) => post({ type: 'batch', batch }, batchTransferList(batch)) }, { traceDma: t.scenario.recording === 'dma' }) : NULL_RECORDER;
  try {
    const report = runVendor(t.scenario, t.vendor, recorder, { vendorIndex: t.vendorIndex, onProgress: (p) => post({ type: 'progress', p }) });
    if (recorder instanceof BufferedRecorder) recorder.flush();
    return report;
  } finally {
    post({ type: 'done' });
    t.port.close();
  }
}
