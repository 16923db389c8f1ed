/**
 * The domain ops every NESTED domain shares. A nested domain has no IOVA page table of its own
 * (the guest's stage-1 table lives in guest memory), so the kernel's nested
 * iommu_domain_ops carry only attach_dev, set_dev_pasid, cache_invalidate_user and free
 * (drivers/iommu/intel/nested.c intel_nested_domain_ops, amd/nested.c nested_domain_ops,
 * arm-smmu-v3-iommufd.c arm_smmu_nested_ops); the page-table ops here answer as the core does
 * for a domain without them: map-like ops -EOPNOTSUPP, unmap 0 bytes, flushes no-ops.
 */
import { ERRNO } from '../base/errno';
import type { IommuDomainOps } from './types';

/** The ops a nested domain's driver supplies itself. */
export type NestedOwnOps = Pick<IommuDomainOps, 'attachDev' | 'free'> & Partial<Pick<IommuDomainOps, 'setDevPasid' | 'cacheInvalidateUser' | 'iovaToPhys'>>;

/**
 * A complete IommuDomainOps for a nested domain from the driver's own ops.
 * @returns ops whose mapPages / cutMapping / unmapReadDirty / writeProtectAndClear return
 * -EOPNOTSUPP, unmapPages 0 bytes, iovaToPhys 0 (unless given), flushes nothing.
 */
export function nestedDomainOps(own: NestedOwnOps): IommuDomainOps {
  const unsupported = (): number => -ERRNO.EOPNOTSUPP;
  return {
    mapPages: unsupported,
    unmapPages: () => 0,
    iotlbSyncMap: () => 0,
    iotlbSync: () => undefined,
    flushIotlbAll: () => undefined,
    iovaToPhys: () => 0,
    cutMapping: unsupported,
    unmapReadDirty: unsupported,
    writeProtectAndClear: unsupported,
    ...own,
  };
}
