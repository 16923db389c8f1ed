/**
 * Cost model: simulated nanoseconds for every hardware (and driver-side CPU) action.
 * Defaults per vendor live next to each model (core/hw/<vendor>/cost.ts), every entry with its
 * class (measured / derived / estimate) and source, a section of docs/cost-model-sources.md.
 *
 * `charge(action, n)` advances the shared SimClock by n × cost and counts n actions. Counts
 * are exact whatever the costs are (a cost may be overridden to 0); simulated time is
 * model-dependent. Scenarios override entries by name (IommuSystemOptions.costOverrides).
 */
import type { SimClock } from '../../base/clock';

/** Every costed action, by name. Units: ns per action. */
export const COST_ACTIONS = [
  /** build + post one invalidation command (CPU side, per command). */
  'cmd_post',
  /** page-selective IOTLB invalidation + completion wait round trip. */
  'inv_wait_page',
  /** domain/ASID/VMID-wide (or global) invalidation + wait. */
  'inv_wait_domain',
  /** a completion wait/sync with nothing slower in the batch (the avoidable round trip). */
  'inv_wait_empty',
  /** device-TLB (ATS) invalidation + wait. */
  'inv_wait_devtlb',
  /** context/DTE/STE/CD/PASID-entry cache invalidation + wait. */
  'inv_wait_context',
  /** Device DMA round trip without IOMMU translation (PCIe): the base of every DMA's latency. */
  'dma_rtt',
  /** IOTLB hit (added DMA latency). */
  'iotlb_hit',
  /** IOTLB miss handling, before the walk's memory reads (charged as table_read each). */
  'iotlb_miss',
  /** one IOMMU table memory read (context-structure fetch on a context-cache miss). */
  'table_read',
  /** hardware atomic A/D (or DBM AP[2]) update of a leaf. */
  'hw_ad_update',
  /** CPU write of one 64-bit word of a DTE / PASID entry / STE / CD . */
  'table_entry_write',
  /** software map, first 4K leaf of a call. */
  'sw_map_leaf',
  /** software map, each extra leaf in the same call. */
  'sw_map_extra',
  /** software unmap, first leaf of a call. */
  'sw_unmap_leaf',
  /** software unmap, each extra leaf. */
  'sw_unmap_extra',
  /** Dirty read-and-clear: one table entry loaded by a single-descent walker (iommupt, io-pgtable-arm). */
  'pt_entry_read',
  /** Dirty read-and-clear: one entry read by a from-root walk repeated per leaf (pre-6.19 AMD fetch_pte, VT-d pfn_to_dma_pte). */
  'pt_walk_level',
  /** CPU locked read-modify-write of one IOPTE (x86 LOCK BTR test_and_clear_bit, arm64 set_bit). */
  'pte_locked_rmw',
  /** CPU plain read + store of one IOPTE (iommupt WRITE_ONCE of a dirty leaf). */
  'pte_plain_rmw',
  /** One indirect function call per entry visited (io-pgtable-arm walk_data->visit). */
  'indirect_call',
  /** Recording one dirty leaf: iova_bitmap_set + iommu_iotlb_gather_add_range. */
  'dirty_record',
  /** Hardware writing one fault/event record into its queue (one memory write). */
  'fault_record',
  /** I/O page-fault (PRI / stall) handling. */
  'prq_handle',
  /** Bitmap copy to user memory, per byte (≈ 10 GB/s). */
  'bitmap_byte',
  /** pin + unpin one 64 GiB bitmap chunk. */
  'bitmap_chunk_pin',
  /**
   * DMA-incoherent walkers only (PT_FEAT_DMA_INCOHERENT): one write-back call for table
   * writes (iommu_pages_flush_incoherent: barrier + call; Arm DC CVAC + DSB via the DMA API).
   */
  'cache_flush_call',
  /** DMA-incoherent walkers only: each 64-byte line written back (clflush / DC CVAC). */
  'cache_flush_line',
] as const;

export type CostAction = (typeof COST_ACTIONS)[number];

/** Actions that make up an IOTLB / cache invalidation (command posting and the waits). */
export const INVALIDATION_ACTIONS: readonly CostAction[] = ['cmd_post', 'inv_wait_page', 'inv_wait_domain', 'inv_wait_empty', 'inv_wait_devtlb', 'inv_wait_context'];

/** One vendor's table: ns per action. */
export type CostTable = Readonly<Record<CostAction, number>>;

/**
 * Evidence class of a cost value (docs/vendors.md "Cost table"): 'measured' = a published
 * number for (nearly) the same operation; 'derived' = arithmetic on published numbers,
 * shown in docs/cost-model-sources.md; 'estimate' = engineering judgement, a tunable.
 */
export type CostClass = 'measured' | 'derived' | 'estimate';

/** One cost value with its evidence. */
export interface CostSpec {
  /** Simulated ns per action. */
  readonly ns: number;
  readonly class: CostClass;
  /** Where the value comes from (docs/cost-model-sources.md section, kernel commit, data set). */
  readonly source: string;
}

/** One vendor's table with evidence per entry. */
export type CostSpecTable = Readonly<Record<CostAction, CostSpec>>;

/** The plain ns table of a spec table. */
export function costTable(specs: CostSpecTable): CostTable {
  const out = {} as Record<CostAction, number>;
  for (const a of COST_ACTIONS) out[a] = specs[a].ns;
  return out;
}

/** Unit and one-line meaning of each action (the cost table's unit and description columns). */
export const COST_INFO: Readonly<Record<CostAction, { unit: string; doc: string }>> = {
  cmd_post: { unit: 'ns / command', doc: 'build and post one invalidation command (CPU side)' },
  inv_wait_page: { unit: 'ns / wait', doc: 'page-selective IOTLB invalidation + completion wait round trip' },
  inv_wait_domain: { unit: 'ns / wait', doc: 'domain / ASID-wide (or global) invalidation + wait' },
  inv_wait_empty: { unit: 'ns / wait', doc: 'a wait with nothing slower pending (the avoidable round trip)' },
  inv_wait_devtlb: { unit: 'ns / wait', doc: 'device-TLB (ATS) invalidation + wait' },
  inv_wait_context: { unit: 'ns / wait', doc: 'context / DTE / STE / CD / PASID-entry invalidation + wait' },
  dma_rtt: { unit: 'ns / DMA', doc: 'device DMA round trip without translation (PCIe), the base of DMA latency' },
  iotlb_hit: { unit: 'ns / translation', doc: 'added DMA latency of an IOTLB hit' },
  iotlb_miss: { unit: 'ns / translation', doc: 'IOTLB miss handling before the walk (each memory read of the walk is a table_read)' },
  table_read: { unit: 'ns / entry', doc: 'one IOMMU table memory read (a walk level not in the walk cache, a context fetch)' },
  hw_ad_update: { unit: 'ns / update', doc: 'hardware atomic A/D (or DBM AP[2]) update of a leaf' },
  table_entry_write: { unit: 'ns / qword', doc: 'CPU write of one qword of a DTE / PASID entry / STE / CD' },
  sw_map_leaf: { unit: 'ns / call', doc: 'software map, first 4 KiB leaf of a call' },
  sw_map_extra: { unit: 'ns / leaf', doc: 'software map, each extra leaf in the same call' },
  sw_unmap_leaf: { unit: 'ns / call', doc: 'software unmap, first leaf of a call' },
  sw_unmap_extra: { unit: 'ns / leaf', doc: 'software unmap, each extra leaf in the same call' },
  pt_entry_read: { unit: 'ns / entry', doc: 'dirty read: one entry loaded by a single-descent walker' },
  pt_walk_level: { unit: 'ns / entry', doc: 'dirty read: one entry read by a per-leaf walk from the root (pre-6.19 AMD / VT-d)' },
  pte_locked_rmw: { unit: 'ns / IOPTE', doc: 'locked read-modify-write of one IOPTE (test_and_clear_bit, set_bit)' },
  pte_plain_rmw: { unit: 'ns / IOPTE', doc: 'plain read + store of one IOPTE (iommupt WRITE_ONCE)' },
  indirect_call: { unit: 'ns / call', doc: 'indirect call per entry of a callback walker (io-pgtable-arm visit)' },
  dirty_record: { unit: 'ns / dirty leaf', doc: 'iova_bitmap_set + iommu_iotlb_gather_add_range per dirty leaf' },
  fault_record: { unit: 'ns / record', doc: 'hardware writes one fault / event record' },
  prq_handle: { unit: 'ns / request', doc: 'I/O page-fault (PRI / stall) handling' },
  bitmap_byte: { unit: 'ns / byte', doc: 'dirty bitmap copy to user memory' },
  bitmap_chunk_pin: { unit: 'ns / chunk', doc: 'pin + unpin one 64 GiB bitmap chunk' },
  cache_flush_call: { unit: 'ns / call', doc: 'write-back call for table writes (DMA-incoherent walkers only)' },
  cache_flush_line: { unit: 'ns / line', doc: 'one 64-byte line written back (DMA-incoherent walkers only)' },
};

const ACTION_INDEX: Readonly<Record<string, number>> = Object.fromEntries(COST_ACTIONS.map((a, i) => [a, i]));

/** Index of each action in COST_ACTIONS, for the DMA hot path ({@link CostModel.chargeIdx}). */
export const CI = {
  dma_rtt: COST_ACTIONS.indexOf('dma_rtt'),
  iotlb_hit: COST_ACTIONS.indexOf('iotlb_hit'),
  iotlb_miss: COST_ACTIONS.indexOf('iotlb_miss'),
  table_read: COST_ACTIONS.indexOf('table_read'),
  hw_ad_update: COST_ACTIONS.indexOf('hw_ad_update'),
} as const;

/**
 * Hardware capacities of a vendor model (not ns costs): IOTLB entries, walk (paging-structure)
 * cache entries per level, concurrent page walks. With class and source like the costs.
 */
export const HW_PARAMS = ['iotlbEntries', 'walkCacheEntries', 'walkers'] as const;
export type HwParam = (typeof HW_PARAMS)[number];

/** Unit and meaning of each hardware parameter. */
export const HW_PARAM_INFO: Readonly<Record<HwParam, { unit: string; doc: string }>> = {
  iotlbEntries: { unit: 'entries', doc: 'IOTLB capacity (4 KiB-or-larger translations), fully associative, CLOCK replacement' },
  walkCacheEntries: { unit: 'entries / level', doc: 'paging-structure (walk) cache per table level above the leaves' },
  walkers: { unit: 'walks in flight', doc: 'concurrent page walks: bounds the IOTLB-miss throughput of a device' },
};

/** One hardware parameter value with its evidence. */
export interface HwParamSpec {
  readonly value: number;
  readonly class: CostClass;
  readonly source: string;
}

/** One vendor's hardware parameters. */
export type HwParamSpecTable = Readonly<Record<HwParam, HwParamSpec>>;

/** Whether `name` is a cost action (for validating scenario overrides). */
export function isCostAction(name: string): name is CostAction {
  return name in ACTION_INDEX;
}

export class CostModel {
  /** Effective ns per action, after overrides. */
  readonly ns: Record<CostAction, number>;
  private readonly counts = new Float64Array(COST_ACTIONS.length);
  private readonly nsTotal = new Float64Array(COST_ACTIONS.length);
  private readonly nsByIdx = new Float64Array(COST_ACTIONS.length);

  /**
   * @param table vendor defaults
   * @param clock the shared simulated clock this model advances
   * @param overrides ns by action name; unknown names throw a RangeError naming them, and
   *   negative or non-finite values are rejected (a scenario error, caught at load time)
   */
  constructor(table: CostTable, readonly clock: SimClock, overrides?: Record<string, number>) {
    this.ns = { ...table };
    for (const [k, v] of Object.entries(overrides ?? {})) {
      if (!isCostAction(k)) throw new RangeError(`unknown cost action '${k}' (known: ${COST_ACTIONS.join(', ')})`);
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`cost '${k}' must be a finite number >= 0 ns`);
      this.ns[k] = v;
    }
    COST_ACTIONS.forEach((a, i) => (this.nsByIdx[i] = this.ns[a]));
  }

  /** Hot-path form of {@link charge}: one action by index (see CI). */
  chargeIdx(i: number): void {
    const d = this.nsByIdx[i]!;
    this.counts[i]!++;
    this.nsTotal[i]! += d;
    this.clock.now += d;
  }

  /**
   * Device-side (DMA path) form of {@link chargeIdx}: counts the action and its ns but does
   * not advance the CPU's clock (a translation delays the device's DMA, not the CPU);
   * returns the ns, which the caller adds to the DMA's latency.
   */
  accrueIdx(i: number, n = 1): number {
    const d = this.nsByIdx[i]! * n;
    this.counts[i]! += n;
    this.nsTotal[i]! += d;
    return d;
  }

  /** Charge `n` actions: advances the clock by n × ns[action]; returns the ns charged. */
  charge(action: CostAction, n = 1): number {
    const i = ACTION_INDEX[action]!;
    const d = this.ns[action] * n;
    this.counts[i]! += n;
    this.nsTotal[i]! += d;
    this.clock.advance(d);
    return d;
  }

  /** Exact count of each action so far (only actions charged at least once). */
  countsByAction(): Record<string, number> {
    const out: Record<string, number> = {};
    COST_ACTIONS.forEach((a, i) => {
      if (this.counts[i]) out[a] = this.counts[i]!;
    });
    return out;
  }

  /** Simulated ns spent per action so far. */
  nsByAction(): Record<string, number> {
    const out: Record<string, number> = {};
    COST_ACTIONS.forEach((a, i) => {
      if (this.counts[i]) out[a] = this.nsTotal[i]!;
    });
    return out;
  }
}
