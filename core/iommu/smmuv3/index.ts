/** Arm SMMUv3 as a registered vendor (core/iommu/registry.ts). */
import { SMMUV3_COST_SPECS, SMMUV3_HW_PARAMS } from '../../hw/smmuv3/cost';
import { armVirtRamSections } from '../ram-layout';
import { hwSystem, type VendorEntry } from '../system';
import { ARM_LPAE_WALK, SMMU_DIRTY_DESIGNS, SmmuV3Driver } from './driver';
import { smmuv3Nesting } from './nesting-entry';

export const smmuv3Vendor = {
  name: 'smmuv3',
  title: 'Arm SMMUv3',
  color: '#009e73',
  scenarios: true,
  // QEMU's arm64 virt guest RAM layout (scenario guest.layout: 'qemu').
  qemuRamSections: armVirtRamSections,
  costSpecs: SMMUV3_COST_SPECS,
  hwParamSpecs: SMMUV3_HW_PARAMS,
  // io-pgtable-arm in every modelled kernel (no Arm format was converted to iommupt in 6.19).
  dirtyWalk: () => ARM_LPAE_WALK,
  create: (o) => hwSystem('smmuv3', new SmmuV3Driver(o)),
  // SMMU_IDR0.HTTU = 1 (access flag only): arm_smmu_dbm_capable() is false.
  noDirtyCaps: { httu: 1 },
  hardwareCaps: (h) => {
    const design = h.smmuv3DirtyDesign ?? 'v2';
    const i = SMMU_DIRTY_DESIGNS.indexOf(design as (typeof SMMU_DIRTY_DESIGNS)[number]);
    if (i < 0) throw new RangeError(`hardware.smmuv3DirtyDesign ${JSON.stringify(design)}: not one of ${SMMU_DIRTY_DESIGNS.join(', ')}`);
    return { dirtyDesign: i };
  },
  // SMMU_IDR0.COHACC clear.
  nonCoherentCaps: { coherent: false },
  nesting: smmuv3Nesting,
} as const satisfies VendorEntry<'smmuv3'>;
