/**
 * Arm SMMUv3 default cost table, ns. Row numbers "#n" refer to docs/cost-model-sources.md.
 */
import type { CostTable } from '../cost/model';

export const SMMUV3_COSTS: CostTable = {
  cmd_post: 72, // #1 derived: (19.3 - 0.8) µs / 255 extra TLBIs, HiSilicon dma_map_benchmark (S5)
  inv_wait_page: 650, // #2 derived: 4K strict unmap 0.8 µs - 0.1 µs PTE clear (S5)
  inv_wait_domain: 800, // #4 [estimate]
  inv_wait_empty: 300, // #3 [estimate, from VT-d S3]
  inv_wait_devtlb: 1500, // #6 [estimate]
  inv_wait_context: 1000, // #8 [estimate]
  iotlb_hit: 0, // #11 derived
  iotlb_miss: 280, // #12 [estimate from VT-d pcie-bench]
  table_read: 140, // #13 derived (§5)
  hw_ad_update: 140, // #18 [estimate]
  table_entry_write: 40, // #34 [estimate]
  sw_map_leaf: 70, // #19 [estimate ≈ x86-64 format 71]
  sw_map_extra: 1.3, // #20 derived
  sw_unmap_leaf: 75, // #21 [estimate]
  sw_unmap_extra: 0.6, // #22 derived
  dirty_leaf_walk: 3, // #26 [estimate]
  dirty_clear_atomic: 10, // #28 [estimate]
  fault_record: 140, // one event-queue write [estimate]
  prq_handle: 9000, // #32 [estimate from VT-d svm_prq S2]
  bitmap_byte: 0.1, // [estimate; not in docs/cost-model-sources.md]
  bitmap_chunk_pin: 20000, // #30 [estimate]
  cache_flush_call: 2110, // derived: non-coherent 4K unmap 3 µs (S8) - coherent 0.8 µs (S5) - one line
  cache_flush_line: 90, // #33 DRAM write of one line [estimate]
};
