/**
 * Exact per-IOMMU action counters. Names are vendor-neutral where the concept is shared
 * (issue 4 item 7); each architected command is also counted under its own name in `cmd`.
 */
export class HwCounters {
  dma_read = 0;
  dma_write = 0;
  dma_bytes = 0;
  /** Page translations performed (one per page-sized piece of a DMA). */
  translations = 0;
  iotlb_hit = 0;
  iotlb_miss = 0;
  /** Writes that hit an entry not known dirty and had to walk to update the PTE. */
  iotlb_dirty_upgrade = 0;
  /** Page-table entries read from memory by hardware walks (levels the walk caches did not cover). */
  pte_read = 0;
  /** Two-stage (nested) walks: IOTLB misses of a nested context (core/hw/nested-walk.ts). */
  nested_walks = 0;
  /** IOPTE reads of those walks (g + g*h + h each: the 2-D walk), included in pte_read. */
  nested_walk_refs = 0;
  /** Walk-cache (paging-structure cache) entries dropped by invalidation commands. */
  walk_cache_invalidated = 0;
  /** ATS devices: translations served by the device's ATC (translated requests) and ATC misses (translation requests). */
  atc_hit = 0;
  atc_miss = 0;
  /** ATC entries dropped by device-TLB invalidations. */
  atc_invalidated = 0;
  /** Hardware interlocked 64-bit A/D (or AP[2]) updates. */
  pte_write_atomic = 0;
  /** Context-structure fetches by hardware (DTE, root/context/PASID entry, STE, CD) on a context-cache miss. */
  ctx_fetch = 0;
  /** CPU writes of context-structure qwords (DTE, PASID entry, STE, CD). */
  table_entry_write = 0;
  /** Entries in range of the tables a software dirty walk visited, and items whose D it cleared (core/pt scan counters). */
  dirty_entries_read = 0;
  dirty_entries_cleared = 0;
  /** Dirty-walk work by the driver's walker profile (core/iommu/dirty-walk.ts): entries read by per-leaf walks from the root. */
  dirty_walk_reads = 0;
  /** IOPTEs changed with a locked read-modify-write (test_and_clear_bit / set_bit) and with a plain store. */
  dirty_clear_locked = 0;
  dirty_clear_plain = 0;
  /** Indirect calls of a callback walker (io-pgtable-arm visit). */
  dirty_indirect_calls = 0;
  /** Dirty leaves recorded into the bitmap. */
  dirty_records = 0;
  /** DMA-incoherent walkers: CPU write-backs of IOPTE writes (calls) and 64-byte lines written back. */
  pt_cache_flush = 0;
  pt_cache_flush_lines = 0;
  inv_iotlb = 0;
  inv_context = 0;
  inv_pasid = 0;
  inv_devtlb = 0;
  inv_wait = 0;
  faults = 0;
  page_requests = 0;
  /** Page responses the hardware consumed (COMPLETE_PPR_REQUEST, page group response, CMD_PRI_RESP). */
  page_responses = 0;
  /** Count of each architected command / descriptor by name. */
  readonly cmd: Record<string, number> = {};

  /** Plain object snapshot (cmd counts prefixed with 'cmd:'). */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this)) if (typeof v === 'number') out[k] = v;
    for (const [k, v] of Object.entries(this.cmd)) out[`cmd:${k}`] = v;
    return out;
  }
}
