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
  IOMMU_TEST_OP_DEV_CHECK_CACHE: 16,
  IOMMU_TEST_OP_TRIGGER_VEVENT: 17,
  IOMMU_TEST_OP_PASID_ATTACH: 18,
  IOMMU_TEST_OP_PASID_REPLACE: 19,
  IOMMU_TEST_OP_PASID_DETACH: 20,
  IOMMU_TEST_OP_PASID_CHECK_HWPT: 21,
  /** Simulator extension (not in the kernel): device DMA through the IOMMU model. */
  IOMMU_TEST_OP_SIM_DMA: 0x100,
} as const;
export type TestOpName = keyof typeof TEST_OP;

/** Selftest nested-HWPT data type and struct iommu_hwpt_selftest { u32 iotlb; } (4 bytes). */
export const IOMMU_HWPT_DATA_SELFTEST = 0xdead;
export const IOMMU_TEST_IOTLB_DEFAULT = 0xbadbeef;
export const IOMMU_TEST_DEV_CACHE_DEFAULT = 0xbaddad;
/** struct iommu_hwpt_invalidate_selftest { u32 flags; u32 iotlb_id; } (8 bytes). */
export const IOMMU_HWPT_INVALIDATE_DATA_SELFTEST = 0xdeadbeef;
export const IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID = 0xdadbeef;
export const IOMMU_TEST_INVALIDATE_FLAG_ALL = 1 << 0;
export const MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3;
export const MOCK_NESTED_DOMAIN_IOTLB_NUM = 4;
export const MOCK_DEV_CACHE_ID_MAX = 3;
export const MOCK_DEV_CACHE_NUM = 4;
/** struct iommu_viommu_selftest { u32 in_data; u32 out_data; u64 out_mmap_offset; u64 out_mmap_length; } (24 bytes). */
export const IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeef;
/** struct iommu_viommu_invalidate_selftest { u32 flags; u32 vdev_id; u32 cache_id; } (12 bytes). */
export const IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST = 0xdeadbeef;
export const IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID = 0xdadbeef;
/** struct iommu_viommu_event_selftest { u32 virt_id; } (4 bytes). */
export const IOMMU_VEVENTQ_TYPE_SELFTEST = 0xbeefbeef;
export const IOMMU_HW_QUEUE_TYPE_SELFTEST = 0xdeadbeef;
export const IOMMU_TEST_HW_QUEUE_MAX = 2;
/** The mock's designed PASID replace failure (mock_domain_set_dev_pasid_nop: -ENOMEM). */
export const IOMMU_TEST_PASID_RESERVED = 1024;
