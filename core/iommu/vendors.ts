/**
 * Titles of the vendor models core/ implements, keyed by driver name. The registry
 * (core/iommu/registry.ts) maps the same names to factories.
 */
import type { VendorName } from './types';

export const VENDOR_TITLES: Record<VendorName, string> = {
  amd: 'AMD-Vi',
  intel: 'Intel VT-d',
  smmuv3: 'Arm SMMUv3',
  mock: 'iommufd selftest mock',
};
