/**
 * Worker thread that rebuilds one run's IO page table at the end of the run (and its dirty
 * state before each round's read, core/run/round-snapshots.ts) and answers
 * inspector queries (electron/host/pagetables.ts) over comlink (core/rpc): {@link PageTableService}.
 * The run is re-simulated from its stored scenario and seed without recording (the engine is
 * deterministic) by simulateVendor, the function the comparison runs; the per-round
 * dirty-page counts are returned with the build so the host compares them with the recorded
 * migration_round events, and a divergence is reported, not hidden.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serve } from '../rpc/comlink-port';
import { pageDirty, simulateWithRoundSnapshots, type RoundSnapshots } from './round-snapshots';
import type { Scenario } from '../scenario/schema';
import type { VendorName } from '../iommu/registry';
import type { LeafRef, PtWalkStep } from '../pt/types';

export interface PageTableWorkerData {
  scenario: Scenario;
  vendor: VendorName;
}

/** The rebuilt table: its format, guest size (bytes), rebuild wall time (ms) and dirty pages per simulated round. */
export interface PageTableBuild {
  format: string;
  guestBytes: number;
  rebuiltMs: number;
  simulatedRounds: number[];
  /** Dirty pages in the table right before each round's read (snapshots; fewer when the budget ran out). */
  roundDirtyPages: number[];
}

/** The IOVA space [start, end) in `cells` equal cells: leaf size (lg2 bytes, 0 = unmapped) and dirty fraction of sampled pages. */
export interface PageTableCells {
  start: number;
  end: number;
  cellBytes: number;
  sizeLg2: number[];
  dirty: number[];
}

/** Samples per map cell: enough to see mixed cells, few enough for 2048 cells to stay fast. */
const SAMPLES = 8;

const data = workerData as PageTableWorkerData;

/** Rebuild the table (runs once, when the worker starts; calls queue behind it). */
function rebuild(): { build: PageTableBuild; pt: NonNullable<ReturnType<ReturnType<typeof simulateWithRoundSnapshots>['vmm']['pageTable']>>; snapshots: RoundSnapshots } {
  const t = performance.now();
  const s = data.scenario;
  const { report, vmm, snapshots } = simulateWithRoundSnapshots(s, data.vendor);
  const pt = vmm.pageTable();
  if (!pt) throw new Error(`${data.vendor}: the domain has no generic page table to inspect`);
  return {
    pt,
    snapshots,
    build: {
      format: (pt as { formatName?: string }).formatName ?? '',
      guestBytes: s.guest.memory,
      rebuiltMs: Math.round(performance.now() - t),
      simulatedRounds: report.rounds.map((r) => r.dirtyPages),
      roundDirtyPages: snapshots.dirtyPages,
    },
  };
}

let built: ReturnType<typeof rebuild> | Error;
try {
  built = rebuild();
} catch (e) {
  built = e instanceof Error ? e : new Error(String(e));
}

function table(): ReturnType<typeof rebuild> {
  if (built instanceof Error) throw built;
  return built;
}

const service = {
  /** The build's description. @throws the rebuild's error (the scenario cannot run on the vendor). */
  info: (): PageTableBuild => table().build,
  /** The walk of `iova`: one step per level read. */
  walk: (iova: number): PtWalkStep[] => table().pt.walk(iova),
  /**
   * The map of [start, end) in `cells` cells (1..4096), `SAMPLES` leaf look-ups per cell. Leaf
   * sizes are the end-of-run table's; the dirty fraction is the end-of-run D state, or with
   * `round` the state right before that round's read (RangeError for a round without a snapshot).
   */
  map(start: number, end: number, cells: number, round?: number): PageTableCells {
    const { pt, snapshots } = table();
    const snap = round === undefined ? null : snapshots.bitmaps[round];
    if (snap === undefined) throw new RangeError(`round ${round} has no dirty snapshot (${snapshots.bitmaps.length} rounds kept)`);
    const leaf: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
    const n = Math.max(1, Math.min(4096, Math.floor(cells)));
    const width = Math.max(1, (end - start) / n);
    const sizeLg2: number[] = [];
    const dirty: number[] = [];
    for (let c = 0; c < n; c++) {
      let first = 0;
      let d = 0;
      let mapped = 0;
      for (let k = 0; k < SAMPLES; k++) {
        const iova = Math.floor(start + c * width + (k * width) / SAMPLES);
        if (!pt.lookupLeaf(iova, leaf)) continue;
        if (mapped === 0) first = leaf.sizeLg2;
        mapped++;
        if (snap ? pageDirty(snap, Math.floor(iova / 4096)) : pt.leafDirty(leaf)) d++;
      }
      sizeLg2.push(first);
      dirty.push(mapped ? d / mapped : 0);
    }
    return { start, end: start + width * n, cellBytes: width, sizeLg2, dirty };
  },
};

/** What the page-table worker serves. */
export type PageTableService = typeof service;

if (!parentPort) throw new Error('pagetable-worker must run in a worker_thread');
serve(service, parentPort);
