/**
 * The iommufd selftest uAPI: IOMMU_TEST_CMD operations
 * (tools/testing/selftests/iommu/iommufd_test.h), served by core/iommufd/selftest.ts.
 */
/** IOMMU_TEST_OP_* (tools/testing/selftests/iommu/iommufd_test.h). */
export const TEST_OP = {
  IOMMU_TEST_OP_ADD_RESERVED: 1,
  IOMMU_TEST_OP_MOCK_DOMAIN: 2,
  IOMMU_TEST_OP_MD_CHECK_MAP: 3,
  IOMMU_TEST_OP_MD_CHECK_REFS: 4,
  IOMMU_TEST_OP_CREATE_ACCESS: 5,
  IOMMU_TEST_OP_DESTROY_ACCESS_PAGES: 6,
  IOMMU_TEST_OP_ACCESS_PAGES: 7,
  IOMMU_TEST_OP_ACCESS_RW: 8,
  IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT: 9,
  IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: 10,
  IOMMU_TEST_OP_ACCESS_REPLACE_IOAS: 11,
  IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS: 12,
  IOMMU_TEST_OP_DIRTY: 13,
  IOMMU_TEST_OP_MD_CHECK_IOTLB: 14,
  IOMMU_TEST_OP_TRIGGER_IOPF: 15,
  /** Simulator extension (not in the kernel): device DMA through the IOMMU model. */
  IOMMU_TEST_OP_SIM_DMA: 0x100,
} as const;
export type TestOpName = keyof typeof TEST_OP;
