/**
 * Dirty-read walker profiles: how a kernel's read_and_clear_dirty implementation turns one
 * walk over a table into CPU work. core/pt scans the table once and counts what is there
 * (entries in range, present leaves with their depth, holes, dirty leaves, items cleared;
 * GenericPt.stats); a profile says which of those a given driver touches and how, and
 * {@link dirtyWalkWork} turns the counts into priced work items. The effects on the table
 * (bits cleared, bitmap, gather) are the same for every profile, as they are in Linux.
 *
 * Profiles (each vendor picks one per kernel version, core/iommu/<vendor>/driver.ts):
 * - 'iommupt' (6.19 AMD v1 and VT-d second stage; drivers/iommu/generic_pt/iommu_pt.h
 *   __read_and_clear_dirty + record_dirty): one descent; every entry of each visited table
 *   loaded once (pt_load_entry), a multi-item leaf read once (pt_next_entry skips its
 *   items); a dirty leaf cleared with a plain READ_ONCE/WRITE_ONCE of every item
 *   (pt_entry_make_write_clean); no locked instruction.
 * - 'per-leaf-rewalk' (6.7-6.18 AMD io_pgtable.c iommu_v1_read_and_clear_dirty with
 *   fetch_pte, VT-d iommu.c intel_iommu_read_and_clear_dirty with pfn_to_dma_pte): for every
 *   present leaf and every hole a walk from the root (top level − leaf level + 1 entry
 *   reads), then test_and_clear_bit (x86 LOCK BTR) on EVERY item of every present leaf,
 *   dirty or not (pte_test_and_clear_dirty / dma_sl_pte_test_and_clear_dirty).
 * - 'io-pgtable-arm' (SMMUv3, io-pgtable-arm.c __arm_lpae_iopte_walk_dirty with the
 *   generic walker's walk_data->visit): one descent; one indirect visit call per entry
 *   visited (tables included); set_bit(AP_RDONLY) — an atomic — on dirty leaves only.
 * With IOMMU_DIRTY_NO_CLEAR nothing is cleared in any profile (test_bit / plain reads).
 * Every profile records each dirty leaf (iova_bitmap_set + iommu_iotlb_gather_add_range).
 */
import type { CostAction } from './costs';

/** What the scan of one read_and_clear_dirty call found (deltas of GenericPt.stats). */
export interface DirtyWalkCounts {
  /** Entries in range of every visited table (empty ones included). */
  entries: number;
  /** Present leaves in range (a multi-item leaf once) and their items. */
  leaves: number;
  leafItems: number;
  /** Entry reads a from-root walk makes to reach every present leaf, summed. */
  leafDepth: number;
  /** Non-present entries in range, and the from-root reads that reach them, summed. */
  holes: number;
  holeDepth: number;
  /** Dirty leaves recorded. */
  records: number;
  /** Items whose D was cleared (every item of a dirty multi-item leaf). */
  itemsCleared: number;
}

/** How a driver's read_and_clear_dirty walks (see the module comment). */
export interface DirtyWalkProfile {
  readonly kind: 'iommupt' | 'per-leaf-rewalk' | 'io-pgtable-arm';
  /** Kernel function that implements it, for the docs, the trace and the UI. */
  readonly source: string;
}

/** The CPU work of one read_and_clear_dirty call, by cost action (core/hw/cost/model.ts). */
export interface DirtyWalkWork {
  /** pt_entry_read: entries loaded by a single descent. */
  entryReads: number;
  /** pt_walk_level: entries read by per-leaf walks from the root. */
  walkReads: number;
  /** pte_locked_rmw: locked read-modify-writes of an IOPTE. */
  lockedRmw: number;
  /** pte_plain_rmw: plain read + store of an IOPTE. */
  plainRmw: number;
  /** indirect_call: one per entry visited by a callback walker. */
  indirectCalls: number;
  /** dirty_record: dirty leaves recorded. */
  records: number;
}

/**
 * The work `profile` does for a scan that found `c`; `clear` false for IOMMU_DIRTY_NO_CLEAR.
 * Exact counts: the charging multiplies them by the vendor's cost per action.
 */
export function dirtyWalkWork(profile: DirtyWalkProfile, c: DirtyWalkCounts, clear: boolean): DirtyWalkWork {
  const w: DirtyWalkWork = { entryReads: 0, walkReads: 0, lockedRmw: 0, plainRmw: 0, indirectCalls: 0, records: c.records };
  switch (profile.kind) {
    case 'iommupt':
      // Each multi-item leaf is loaded once: its other items are skipped by pt_next_entry.
      w.entryReads = c.entries - (c.leafItems - c.leaves);
      if (clear) w.plainRmw = c.itemsCleared;
      break;
    case 'per-leaf-rewalk':
      w.walkReads = c.leafDepth + c.holeDepth;
      // test_and_clear_bit on every item of every present leaf, dirty or not.
      if (clear) w.lockedRmw = c.leafItems;
      break;
    case 'io-pgtable-arm':
      w.entryReads = c.entries;
      w.indirectCalls = c.entries;
      if (clear) w.lockedRmw = c.itemsCleared;
      break;
  }
  return w;
}

/**
 * The cost action each field of {@link DirtyWalkWork} is charged as (core/hw/cost/model.ts;
 * the charging is in core/iommu/paging-domain.ts chargeWork).
 */
export const DIRTY_WORK_ACTIONS: Readonly<Record<keyof DirtyWalkWork, CostAction>> = {
  entryReads: 'pt_entry_read',
  walkReads: 'pt_walk_level',
  lockedRmw: 'pte_locked_rmw',
  plainRmw: 'pte_plain_rmw',
  indirectCalls: 'indirect_call',
  records: 'dirty_record',
};

/**
 * The cost actions `profile` charges when it reads and clears a table that has something of
 * everything (an entry, a present multi-item leaf, a hole, a dirty leaf): the rows of the cost
 * table that set a vendor's dirty-read time under that kernel (the Costs view, `costs --kernel`).
 */
export function dirtyWalkActions(profile: DirtyWalkProfile): CostAction[] {
  const every: DirtyWalkCounts = { entries: 3, leaves: 1, leafItems: 2, leafDepth: 1, holes: 1, holeDepth: 1, records: 1, itemsCleared: 2 };
  const w = dirtyWalkWork(profile, every, true);
  return (Object.keys(DIRTY_WORK_ACTIONS) as (keyof DirtyWalkWork)[]).filter((k) => w[k] > 0).map((k) => DIRTY_WORK_ACTIONS[k]);
}

/** iommupt read_and_clear_dirty (iommu_pt.h __read_and_clear_dirty / record_dirty). */
export const IOMMUPT_WALK: DirtyWalkProfile = { kind: 'iommupt', source: 'generic_pt/iommu_pt.h __read_and_clear_dirty' };
