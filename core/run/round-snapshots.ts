/**
 * Page-table dirty state per migration round, for the page-table inspector's round picker:
 * the run is re-simulated (simulateVendor, deterministic) and right before each round's
 * dirty read the IO page table's dirty leaves are read without clearing them
 * (read_and_clear_dirty with IOMMU_DIRTY_NO_CLEAR, include/linux/iommu.h) into a bitmap of
 * 4 KiB guest-physical pages, one leaf recorded as its whole size, as
 * IOMMU_HWPT_GET_DIRTY_BITMAP reports it. So snapshot k is the dirty state the round-k read
 * then collects; its page count equals that round's reported dirty pages wherever the read
 * is a plain read of the table (not under a vIOMMU without IOMMU dirty tracking, whose reads
 * report all of guest RAM).
 */
import { simulateVendor, type VendorRunReport } from '../scenario/simulate';
import type { Scenario } from '../scenario/schema';
import type { VendorName } from '../iommu/registry';
import { iotlbGatherInit } from '../pt/gather';
import { IOMMU_DIRTY_NO_CLEAR, type IovaBitmapSink, type PtIommu } from '../pt/types';
import type { Vmm } from '../workload/vmm';
import { NULL_RECORDER } from '../trace/types';

/** Snapshot bytes kept at most (all rounds together); beyond it snapshots stop (`complete` false). */
export const SNAPSHOT_BUDGET_BYTES = 256 * 2 ** 20;
/** Bitmap granularity, bytes (BITMAP_PAGE of core/workload/migration.ts). */
const PAGE = 4096;

/** Dirty 4 KiB pages per round before its read: bit p of byte p >> 3 = guest-physical page p. */
export interface RoundSnapshots {
  bitmaps: Uint8Array[];
  /** Set pages per bitmap. */
  dirtyPages: number[];
  /** False when the budget stopped the snapshots before the last round. */
  complete: boolean;
}

function popcount(bits: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bits.length; i++) {
    let b = bits[i]!;
    while (b) {
      b &= b - 1;
      n++;
    }
  }
  return n;
}

class Sink implements IovaBitmapSink {
  constructor(readonly bits: Uint8Array) {}
  set(iova: number, length: number): void {
    const last = Math.floor((iova + length - 1) / PAGE);
    for (let p = Math.floor(iova / PAGE); p <= last && p >> 3 < this.bits.length; p++) this.bits[p >> 3]! |= 1 << (p & 7);
  }
}

/**
 * The dirty pages of `pt` over the VMM's guest-physical RAM sections, without clearing D and
 * without touching the table's walk statistics (the run continues unchanged).
 */
export function snapshotDirty(pt: PtIommu, vmm: Pick<Vmm, 'sections'>): Uint8Array {
  const end = Math.max(...vmm.sections.map((s) => s.gpa + s.len));
  const bits = new Uint8Array(Math.ceil(end / PAGE / 8));
  const stats = (pt as { stats?: Record<string, number> }).stats;
  const saved = stats ? { ...stats } : null;
  for (const s of vmm.sections) pt.readAndClearDirty(s.gpa, s.len, IOMMU_DIRTY_NO_CLEAR, { bitmap: new Sink(bits), gather: iotlbGatherInit() });
  if (stats && saved) Object.assign(stats, saved);
  return bits;
}

/** Whether guest-physical page `p` is set in `bits`. */
export function pageDirty(bits: Uint8Array, p: number): boolean {
  return ((bits[p >> 3] ?? 0) & (1 << (p & 7))) !== 0;
}

/**
 * Re-simulate `scenario` on `vendor` without recording and snapshot the dirty state before
 * every round's read. @throws Error as simulateVendor does (a scenario the vendor cannot run).
 */
export function simulateWithRoundSnapshots(scenario: Scenario, vendor: VendorName): { report: VendorRunReport; vmm: Vmm; snapshots: RoundSnapshots } {
  const bitmaps: Uint8Array[] = [];
  let used = 0;
  let complete = true;
  const { report, vmm } = simulateVendor(scenario, vendor, NULL_RECORDER, {
    beforeRead: (_round, v) => {
      const pt = v.pageTable();
      if (!pt || !complete) return;
      const bits = snapshotDirty(pt, v);
      if (used + bits.length > SNAPSHOT_BUDGET_BYTES) {
        complete = false;
        return;
      }
      used += bits.length;
      bitmaps.push(bits);
    },
  });
  return { report, vmm, snapshots: { bitmaps, dirtyPages: bitmaps.map(popcount), complete: complete && bitmaps.length === report.rounds.length } };
}
