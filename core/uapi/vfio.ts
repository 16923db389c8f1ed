/**
 * VFIO type1 uAPI constants the iommufd compat layer answers on the iommufd
 * (include/uapi/linux/vfio.h, VFIO_BASE 100; drivers/iommu/iommufd/vfio_compat.c).
 */
export const VFIO_API_VERSION = 0;
export const VFIO_TYPE1_IOMMU = 1;
export const VFIO_TYPE1v2_IOMMU = 3;
export const VFIO_UNMAP_ALL = 9;
export const VFIO_DMA_MAP_FLAG_READ = 1 << 0;
export const VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
export const VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP = 1 << 0;
export const VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_START = 1 << 0;
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP = 1 << 1;
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP = 1 << 2;
export const VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
export const VFIO_IOMMU_INFO_CAPS = 1 << 1;
/** DIRTY_BITMAP_PAGES_MAX = INT_MAX bits; DIRTY_BITMAP_SIZE_MAX in bytes. */
export const DIRTY_BITMAP_PAGES_MAX = 2 ** 31 - 1;
export const DIRTY_BITMAP_SIZE_MAX = Math.ceil(DIRTY_BITMAP_PAGES_MAX / 64) * 8;


/**
 * VFIO device cdev ioctls (include/uapi/linux/vfio.h, v6.6+; drivers/vfio/device_cdev.c):
 * _IO(VFIO_TYPE ';', VFIO_BASE 100 + nr) on /dev/vfio/devices/vfioX.
 */
export const VFIO_DEVICE_BIND_IOMMUFD = (0x3b << 8) | (100 + 18);
export const VFIO_DEVICE_ATTACH_IOMMUFD_PT = (0x3b << 8) | (100 + 19);
export const VFIO_DEVICE_DETACH_IOMMUFD_PT = (0x3b << 8) | (100 + 20);
/** sizeof(struct vfio_device_bind_iommufd) up to out_devid: argsz, flags, iommufd, out_devid (u32 each). */
export const VFIO_DEVICE_BIND_IOMMUFD_MINSZ = 16;
/** sizeof(struct vfio_device_attach_iommufd_pt) up to pt_id: argsz, flags, pt_id. */
export const VFIO_DEVICE_ATTACH_IOMMUFD_PT_MINSZ = 12;
/** sizeof(struct vfio_device_detach_iommufd_pt): argsz, flags. */
export const VFIO_DEVICE_DETACH_IOMMUFD_PT_MINSZ = 8;
/** VFIO_DEVICE_ATTACH_PASID / VFIO_DEVICE_DETACH_PASID (v6.15): the `pasid` field is valid. */
export const VFIO_DEVICE_ATTACH_PASID = 1 << 0;
export const VFIO_DEVICE_DETACH_PASID = 1 << 0;
/** offsetofend(struct vfio_device_attach_iommufd_pt, pasid) and of the detach struct's pasid. */
export const VFIO_DEVICE_ATTACH_IOMMUFD_PT_PASID_SZ = 16;
export const VFIO_DEVICE_DETACH_IOMMUFD_PT_PASID_SZ = 12;
