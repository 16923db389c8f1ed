/**
 * Intel VT-d default cost table, ns. Row numbers "#n" refer to docs/cost-model-sources.md.
 */
import type { CostTable } from '../cost/model';

export const VTD_COSTS: CostTable = {
  cmd_post: 50, // #1 [estimate, scaled from SMMU S5]
  inv_wait_page: 700, // #2 derived: SPR dmar_perf_latency inv_iotlb mean ≈0.7 µs (S2); KBL 2 µs (S1)
  inv_wait_domain: 1000, // #4 [estimate]
  inv_wait_empty: 300, // #3 derived: batching saves >800 cycles per qi_submit_sync (S3)
  inv_wait_devtlb: 1000, // #6 measured: SPR inv_devtlb max 2 µs, mostly 0.1-1 µs (S2)
  inv_wait_context: 1000, // #8 [estimate]
  iotlb_hit: 0, // #11 derived (pcie-bench)
  iotlb_miss: 280, // #12 derived: Broadwell +280 ns per miss (pcie-bench data)
  table_read: 140, // #13 derived (§5)
  hw_ad_update: 140, // #18 [estimate]
  table_entry_write: 40, // #34 [estimate]
  sw_map_leaf: 53, // #19 measured (iommupt VT-d SS kunit, commit 5448c1558f60)
  sw_map_extra: 1.3, // #20 derived
  sw_unmap_leaf: 67, // #21 measured (same commit)
  sw_unmap_extra: 0.6, // #22 derived
  dirty_leaf_walk: 3, // #26 [estimate]
  dirty_clear_atomic: 10, // #28 [estimate]
  fault_record: 140, // one fault-recording register write [estimate]
  prq_handle: 9000, // #32 measured: svm_prq avg 9 µs (S2)
  bitmap_byte: 0.1, // [estimate; not in docs/cost-model-sources.md]
  bitmap_chunk_pin: 20000, // #30 [estimate]
  cache_flush_call: 100, // [estimate: clflush_cache_range call + mfence]
  cache_flush_line: 90, // #33 DRAM write of one line [estimate]
};
