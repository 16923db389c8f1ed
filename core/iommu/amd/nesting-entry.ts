/**
 * How a VMM nests on AMD-Vi (v6.19-era mainline; QEMU's AMD vIOMMU nesting is not merged):
 * a vIOMMU over the v1 nesting parent, a nested HWPT from it with IOMMU_HWPT_DATA_AMD_GUEST
 * (the guest DTE with GV = 1 and the GCR3 root of the guest's x86-64 4-level v2 table).
 * Mainline's enum iommu_viommu_type has no AMD value and amd_iommufd_get_viommu_size does
 * not check the type, so the VMM passes 3 (the value the unmerged AMD HW-vIOMMU series gives
 * IOMMU_VIOMMU_TYPE_AMD). No guest invalidation path exists.
 */
import { IOMMU_HWPT_DATA_AMD_GUEST } from '../../uapi/iommufd';
import type { VendorNesting } from '../system';
import { amdGuestDte } from './nested';

export const amdNesting: VendorNesting = {
  kernel: 'v6.19-era nested translation series (drivers/iommu/amd/nested.c, iommufd.c): vIOMMU + AMD_GUEST nested domains, no cache invalidation op',
  s1Format: 'x86_64',
  s1Levels: 4,
  dataType: IOMMU_HWPT_DATA_AMD_GUEST,
  nestedData: (root) => amdGuestDte(root),
  viommuType: 3,
  attachNeedsVdevice: false,
  invalidateAll: () => null,
  dirtyNote: 'AMD-Vi: a NEST_PARENT | DIRTY_TRACKING v1 table; DTE.HAD of a nested device is copied from the parent when the nested domain is attached, and set_dirty_tracking walks only the parent\'s own devices, so tracking switched on after the guest programmed its vIOMMU does not reach nested devices (mainline as read). No guest IOTLB invalidation path (IOMMU_HWPT_INVALIDATE is EOPNOTSUPP).',
};
