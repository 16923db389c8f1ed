/**
 * How a VMM nests on VT-d (QEMU intel-iommu with x-flts, iommufd backend): the guest's
 * first-stage table is x86_64 4-level; the nested HWPT comes from the parent HWPT with
 * IOMMU_HWPT_DATA_VTD_S1 {flags 0, pgtbl_addr, addr_width 48}; guest IOTLB invalidations
 * become IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 entries on the nested HWPT.
 */
import { IOMMU_HWPT_DATA_VTD_S1, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 } from '../../uapi/iommufd';
import type { VendorNesting } from '../system';

export const vtdNesting: VendorNesting = {
  kernel: 'v6.8 (nested.c, PGTT=3) with the v6.13 domain_alloc_nested op and the v6.8 dirty fixes (SSADE at nested attach, parent tracking propagated to children)',
  s1Format: 'x86_64',
  s1Levels: 4,
  dataType: IOMMU_HWPT_DATA_VTD_S1,
  nestedData(root: number): Uint8Array {
    const b = new Uint8Array(24);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(8, BigInt(root), true);
    dv.setUint32(16, 48, true);
    return b;
  },
  viommuType: null,
  attachNeedsVdevice: false,
  invalidateAll(): { type: number; entry: Uint8Array; onViommu: boolean } {
    // struct iommu_hwpt_vtd_s1_invalidate { addr 0, npages U64_MAX, flags 0 }.
    const b = new Uint8Array(24);
    new DataView(b.buffer).setBigUint64(8, (1n << 64n) - 1n, true);
    return { type: IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, entry: b, onViommu: false };
  },
  dirtyNote: 'VT-d: a NEST_PARENT | DIRTY_TRACKING second-stage table; enabling tracking on the parent sets SSADE in every nested PASID entry, so guest DMA through its own first-stage tables sets D in the host second stage and GET_DIRTY_BITMAP on the parent sees it.',
};
