/**
 * Worker thread that rebuilds one run's IO page table at the end of the run and answers
 * inspector queries (electron/host/pagetables.ts). The run is re-simulated from its stored
 * scenario and seed without recording (the engine is deterministic) by simulateVendor, the
 * function the comparison runs; the per-round dirty-page counts are then
 * compared with the recorded migration_round events, so a divergence is reported, not hidden.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { simulateVendor } from '../scenario/simulate';
import type { Scenario } from '../scenario/schema';
import type { VendorName } from '../iommu/registry';
import type { LeafRef } from '../pt/types';
import { NULL_RECORDER } from '../trace/types';

export interface PageTableWorkerData {
  scenario: Scenario;
  vendor: VendorName;
  /** Recorded dirty pages per round (migration_round events), to check the re-simulation. */
  recordedRounds: number[];
}

/** A query to the worker; requests carry an id the reply echoes. */
export type PageTableQuery = { op: 'walk'; iova: number } | { op: 'map'; start: number; end: number; cells: number };
export type PageTableRequest = PageTableQuery & { id: number };

export type PageTableReply =
  | { type: 'ready'; format: string; guestBytes: number; rebuiltMs: number; simulatedRounds: number[] }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; value: unknown };

const port = parentPort;
if (!port) throw new Error('pagetable-worker must run in a worker_thread');
const data = workerData as PageTableWorkerData;


/** Samples per map cell: enough to see mixed cells, few enough for 2048 cells to stay fast. */
const SAMPLES = 8;

try {
  const t = performance.now();
  const s = data.scenario;
  const { report, vmm } = simulateVendor(s, data.vendor, NULL_RECORDER);
  const pt = vmm.pageTable();
  if (!pt) throw new Error(`${data.vendor}: the domain has no generic page table to inspect`);
  const leaf: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
  port.postMessage({
    type: 'ready',
    format: (pt as { formatName?: string }).formatName ?? '',
    guestBytes: s.guest.memory,
    rebuiltMs: Math.round(performance.now() - t),
    simulatedRounds: report.rounds.map((r) => r.dirtyPages),
  } satisfies PageTableReply);

  port.on('message', (q: PageTableRequest) => {
    if (q.op === 'walk') {
      port.postMessage({ type: 'reply', id: q.id, value: pt.walk(q.iova) } satisfies PageTableReply);
      return;
    }
    const cells = Math.max(1, Math.min(4096, Math.floor(q.cells)));
    const width = Math.max(1, (q.end - q.start) / cells);
    const sizeLg2: number[] = [];
    const dirty: number[] = [];
    for (let c = 0; c < cells; c++) {
      let first = 0;
      let d = 0;
      let mapped = 0;
      for (let k = 0; k < SAMPLES; k++) {
        const iova = Math.floor(q.start + c * width + (k * width) / SAMPLES);
        if (!pt.lookupLeaf(iova, leaf)) continue;
        if (mapped === 0) first = leaf.sizeLg2;
        mapped++;
        if (pt.leafDirty(leaf)) d++;
      }
      sizeLg2.push(first);
      dirty.push(mapped ? d / mapped : 0);
    }
    port.postMessage({ type: 'reply', id: q.id, value: { start: q.start, end: q.start + width * cells, cellBytes: width, sizeLg2, dirty } } satisfies PageTableReply);
  });
} catch (e) {
  port.postMessage({ type: 'failed', message: e instanceof Error ? e.message : String(e) } satisfies PageTableReply);
}
