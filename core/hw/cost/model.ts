/**
 * Cost model: simulated nanoseconds for every hardware (and driver-side CPU) action.
 * docs/architecture.md "Engine rules"; defaults per vendor live next to each model
 * (core/hw/<vendor>/cost.ts), every entry with its source in docs/cost-model-sources.md
 * (row numbers "#n").
 *
 * `charge(action, n)` advances the shared SimClock by n × cost and counts n actions. Counts
 * are exact whatever the costs are (a cost may be overridden to 0); simulated time is
 * model-dependent. Scenarios override entries by name (IommuSystemOptions.costOverrides).
 */
import type { SimClock } from '../../base/clock';

/** Every costed action, by name. Units: ns per action. */
export const COST_ACTIONS = [
  /** #1 build + post one invalidation command (CPU side, per command). */
  'cmd_post',
  /** #2 page-selective IOTLB invalidation + completion wait round trip. */
  'inv_wait_page',
  /** #4 domain/ASID/VMID-wide (or global) invalidation + wait. */
  'inv_wait_domain',
  /** #3 a completion wait/sync with nothing slower in the batch (the avoidable round trip). */
  'inv_wait_empty',
  /** #6 device-TLB (ATS) invalidation + wait. */
  'inv_wait_devtlb',
  /** #8 context/DTE/STE/CD/PASID-entry cache invalidation + wait. */
  'inv_wait_context',
  /** #11 IOTLB hit (added DMA latency). */
  'iotlb_hit',
  /** #12 IOTLB miss with upper walk levels cached (≈2 table reads). */
  'iotlb_miss',
  /** #13 one IOMMU table memory read (context-structure fetch on a context-cache miss). */
  'table_read',
  /** #18 hardware atomic A/D (or DBM AP[2]) update of a leaf. */
  'hw_ad_update',
  /** CPU write of one 64-bit word of a DTE / PASID entry / STE / CD (#34 LLC line) [estimate]. */
  'table_entry_write',
  /** #19 software map, first 4K leaf of a call. */
  'sw_map_leaf',
  /** #20 software map, each extra leaf in the same call. */
  'sw_map_extra',
  /** #21 software unmap, first leaf of a call. */
  'sw_unmap_leaf',
  /** #22 software unmap, each extra leaf. */
  'sw_unmap_extra',
  /** #26 dirty read-and-clear, per present leaf (single-descent walker). */
  'dirty_leaf_walk',
  /** #28 atomic clear of one dirty bit (CPU). */
  'dirty_clear_atomic',
  /** Hardware writing one fault/event record into its queue (one memory write, #13) [estimate]. */
  'fault_record',
  /** #32 I/O page-fault (PRI / stall) handling. */
  'prq_handle',
  /** Bitmap copy to user memory, per byte [estimate: ~10 GB/s memcpy; not in docs/cost-model-sources.md]. */
  'bitmap_byte',
  /** #30 pin + unpin one 64 GiB bitmap chunk. */
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

/** One vendor's table: ns per action. */
export type CostTable = Readonly<Record<CostAction, number>>;

const ACTION_INDEX: Readonly<Record<string, number>> = Object.fromEntries(COST_ACTIONS.map((a, i) => [a, i]));

/** Index of each action in COST_ACTIONS, for the DMA hot path ({@link CostModel.chargeIdx}). */
export const CI = {
  iotlb_hit: COST_ACTIONS.indexOf('iotlb_hit'),
  iotlb_miss: COST_ACTIONS.indexOf('iotlb_miss'),
  hw_ad_update: COST_ACTIONS.indexOf('hw_ad_update'),
} as const;

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
