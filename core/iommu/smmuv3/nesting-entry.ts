/**
 * How a VMM nests on SMMUv3 (QEMU arm-smmuv3 accel / iommufd, v6.14+ kernels): a stage-2
 * nesting parent (no dirty tracking), a vIOMMU of IOMMU_VIOMMU_TYPE_ARM_SMMUV3, a vDEVICE
 * per device (vSID), and the guest's vSTE (Config S1, S1ContextPtr = the guest's stage-1
 * table; the model takes it as the table root, see core/hw/smmuv3/model.ts) as the nested
 * HWPT. Guest TLB maintenance becomes IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 commands on
 * the vIOMMU.
 */
import { fset } from '../../base/bitfield';
import { CMDQ_OP, STE, STE_CFG } from '../../hw/smmuv3/regs';
import { IOMMU_HWPT_DATA_ARM_SMMUV3, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3 } from '../../uapi/iommufd';
import type { VendorNesting } from '../system';

export const smmuv3Nesting: VendorNesting = {
  kernel: 'v6.14 vIOMMU / vSTE nesting (arm-smmu-v3-iommufd.c) with v6.15 vEVENTs; stage-2 parents without dirty tracking (arm_smmu_domain_alloc_paging_flags, all versions)',
  s1Format: 'armv8',
  s1Levels: 4,
  dataType: IOMMU_HWPT_DATA_ARM_SMMUV3,
  nestedData(root: number): Uint8Array {
    let s0 = fset(1n, STE.CFG_HI, STE.CFG_LO, STE_CFG.S1_TRANS);
    s0 = fset(s0, STE.S1CTXPTR_HI, STE.S1CTXPTR_LO, Math.floor(root / 64));
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, s0, true);
    return b;
  },
  viommuType: IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
  attachNeedsVdevice: true,
  invalidateAll(): { type: number; entry: Uint8Array; onViommu: boolean } {
    // CMD_TLBI_NSNH_ALL: the host turns it into TLBI_NH_ALL for the vIOMMU's VMID.
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, BigInt(CMDQ_OP.TLBI_NSNH_ALL), true);
    return { type: IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, entry: b, onViommu: true };
  },
  dirtyNote: 'Arm SMMUv3: the nesting parent is a stage-2 table and Linux implements dirty tracking only as stage-1 HTTU, so NEST_PARENT | DIRTY_TRACKING is EOPNOTSUPP and the parent has no dirty bitmap: a VM whose guest uses its own S1 tables cannot be dirty-tracked by the IOMMU.',
};
