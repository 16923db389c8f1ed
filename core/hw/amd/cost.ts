/**
 * AMD-Vi default cost table, ns. Row numbers "#n" refer to docs/cost-model-sources.md,
 * where every value's evidence and confidence is listed. No per-command AMD latency is
 * published (§1.3, §7 gaps), so the invalidation rows are estimates of the same order as
 * VT-d and SMMUv3.
 */
import type { CostTable } from '../cost/model';

export const AMD_COSTS: CostTable = {
  cmd_post: 50, // #1 [estimate, scaled from SMMU S5]
  inv_wait_page: 1000, // #2 [estimate]
  inv_wait_domain: 1200, // #4 [estimate]
  inv_wait_empty: 300, // #3 [estimate, from VT-d S3: >800 cycles]
  inv_wait_devtlb: 1500, // #6 [estimate]
  inv_wait_context: 1000, // #8 [estimate]
  iotlb_hit: 0, // #11 derived (pcie-bench: flat latency within IOTLB reach)
  iotlb_miss: 280, // #12 [estimate; VT-d derived +226..307 ns]
  table_read: 140, // #13 derived (§5: ≈2 reads per +280 ns miss)
  hw_ad_update: 140, // #18 [estimate: one extra table access]
  table_entry_write: 40, // #34 LLC line write [estimate]
  sw_map_leaf: 65, // #19 measured (iommupt AMD v1 kunit, commit 879ced2bab1b)
  sw_map_extra: 1.3, // #20 derived (§3.1)
  sw_unmap_leaf: 76, // #21 measured (same commit)
  sw_unmap_extra: 1.2, // #22 derived (§3.1)
  dirty_leaf_walk: 3, // #26 [estimate, bounded 0.6-12.5 derived]
  dirty_clear_atomic: 10, // #28 [estimate]
  fault_record: 140, // one event-log write (#13) [estimate]
  prq_handle: 9000, // #32 [estimate from VT-d svm_prq S2]
  bitmap_byte: 0.1, // [estimate: ~10 GB/s copy; not in docs/cost-model-sources.md]
  bitmap_chunk_pin: 20000, // #30 [estimate]
  cache_flush_call: 100, // [estimate: clflush_cache_range call + mfence; AMD-Vi walks are coherent, unused]
  cache_flush_line: 90, // #33 DRAM write of one line [estimate]
};
