/**
 * Constants of the kernel selftest mock IOMMU (drivers/iommu/iommufd/selftest.c and
 * tools/testing/selftests/iommu/iommufd_test.h), xarray era (v6.7 - v6.18) on a 4 KiB host.
 * Source: drivers/iommu/iommufd/selftest.c (MOCK_IO_PAGE_SIZE, MOCK_DIRTY_TRACK, mock_domain_*).
 */
/** MOCK_IO_PAGE_SIZE = PAGE_SIZE / 2: the mock's only base page size, bytes. */
export const MOCK_IO_PAGE_SIZE = 2048;
/** MOCK_HUGE_PAGE_SIZE = 512 * MOCK_IO_PAGE_SIZE (1 MiB). */
export const MOCK_HUGE_PAGE_SIZE = 512 * MOCK_IO_PAGE_SIZE;
/** MOCK_APERTURE_START = 1 << 24. */
export const MOCK_APERTURE_START = 1 << 24;
/** MOCK_APERTURE_LAST = (1 << 31) - 1. */
export const MOCK_APERTURE_LAST = 2 ** 31 - 1;

/** Device flags of IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS. */
export const MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0;
export const MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1;
export const MOCK_FLAGS_DEVICE_PASID = 1 << 2;

/**
 * Simulator-only device flags (not in iommufd_test.h): cache-coherency variants the kernel
 * mock cannot express (mock_domain_capable reports no IOMMU_CAP_ENFORCE_CACHE_COHERENCY and
 * the mock domain ops have no enforce_cache_coherency). Reachable through the driver API
 * (MockDriver.createDevice), used by the attach conformance tests.
 *
 * ENFORCE_CC: the device reports IOMMU_CAP_ENFORCE_CACHE_COHERENCY and domains allocated
 * for it have an enforce_cache_coherency op that succeeds.
 * CC_BROKEN (with ENFORCE_CC): that op returns false - the driver bug iommufd_hwpt_paging_alloc
 * WARNs about.
 */
export const MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC = 1 << 16;
export const MOCK_SIM_FLAGS_DEVICE_CC_BROKEN = 1 << 17;

/** IOMMU_HW_INFO_TYPE_SELFTEST and the register value of struct iommu_test_hw_info. */
export const IOMMU_HW_INFO_TYPE_SELFTEST = 0xfeedbeef;
export const IOMMU_HW_INFO_SELFTEST_REGVAL = 0xdeadbeef;
/** MOCK_PASID_WIDTH: out_max_pasid_log2 of a PASID-capable mock device. */
export const MOCK_PASID_WIDTH = 20;

/** Flag bits stored above the PFN in each xarray value (MOCK_PFN_*). */
export const MOCK_PFN_START_IOVA = 1;
export const MOCK_PFN_LAST_IOVA = 1; // same bit as START in the kernel
export const MOCK_PFN_DIRTY_IOVA = 2;
export const MOCK_PFN_HUGE_IOVA = 4;
/** Values are pfn * MOCK_PFN_FLAGS_DIV + flags (JS numbers, no bit packing above 32 bits). */
export const MOCK_PFN_FLAGS_DIV = 8;
