/** AMD-Vi as a registered vendor (core/iommu/registry.ts). */
import { AMD_COST_SPECS, AMD_HW_PARAMS } from '../../hw/amd/cost';
import { q35RamSections } from '../ram-layout';
import { hwSystem, type VendorEntry } from '../system';
import { AmdIommuDriver, amdDirtyWalk } from './driver';
import { amdNesting } from './nesting-entry';

export const amdVendor = {
  name: 'amd',
  title: 'AMD-Vi',
  color: '#d55e00',
  scenarios: true,
  // QEMU's q35 guest RAM layout (scenario guest.layout: 'qemu').
  qemuRamSections: q35RamSections,
  costSpecs: AMD_COST_SPECS,
  hwParamSpecs: AMD_HW_PARAMS,
  dirtyWalk: amdDirtyWalk,
  create: (o) => hwSystem('amd', new AmdIommuDriver(o)),
  // EFR.HDSup clear: amd_iommu_domain_alloc_paging_flags refuses DIRTY_TRACKING.
  noDirtyCaps: { hdsup: false },
  // Capability header bit 26 (NpCache): iotlb_sync_map flushes new mappings.
  cachingModeCaps: { npCache: true },
  nesting: amdNesting,
} as const satisfies VendorEntry<'amd'>;
