/**
 * Kernel versions whose IOMMU driver code the engine can model (scenario field `kernel`).
 * What differs between them is the driver software, never the hardware:
 *
 * - '6.19': the generic IO page table ("iommupt", drivers/iommu/generic_pt/) serves AMD-Vi v1
 *   (commit 789a5913b29c "iommu/amd: Use the generic iommu page table") and VT-d
 *   (d373449d8e97 "iommu/vt-d: Use the generic iommu page table"), both in iommu/next on
 *   2025-11-05, i.e. the v6.19 merge window. read_and_clear_dirty is one descent with plain
 *   stores on dirty leaves (iommu_pt.h __read_and_clear_dirty / record_dirty).
 * - '6.7-6.18': the drivers' own tables: AMD io_pgtable.c iommu_v1_read_and_clear_dirty
 *   (fetch_pte from the root per leaf, test_and_clear_bit on every present PTE), VT-d
 *   iommu.c intel_iommu_read_and_clear_dirty (pfn_to_dma_pte from the root per leaf,
 *   dma_sl_pte_test_and_clear_dirty on every present PTE).
 *
 * SMMUv3 keeps io-pgtable-arm in both (no Arm format was converted to iommupt in v6.19).
 * docs/vendors.md "Dirty-read walkers" has the per-vendor rules and their costs.
 */

/** Kernel versions a scenario may name, newest first. */
export const KERNEL_VERSIONS = ['6.19', '6.7-6.18'] as const;

/** One of {@link KERNEL_VERSIONS}. */
export type KernelVersion = (typeof KERNEL_VERSIONS)[number];

/** The kernel modelled when none is named: mainline with iommupt. */
export const DEFAULT_KERNEL: KernelVersion = '6.19';

/** Whether `v` names a modelled kernel. */
export function isKernelVersion(v: unknown): v is KernelVersion {
  return typeof v === 'string' && (KERNEL_VERSIONS as readonly string[]).includes(v);
}
