// VFIO device cdev PASID attach / detach (include/uapi/linux/vfio.h VFIO_DEVICE_ATTACH_PASID /
// VFIO_DEVICE_DETACH_PASID, drivers/vfio/device_cdev.c, v6.15): argsz must cover `pasid`,
// unknown flags are EINVAL, attaching an attached PASID replaces, detach releases it.
import { describe, expect, it } from 'vitest';
import { pasidHwpt } from '../../../core/iommufd/device-pasid';
import { VfioDeviceFile, vfioDeviceIoctl } from '../../../core/iommufd/vfio-cdev';
import type { Idev } from '../../../core/iommufd/objects';
import { MOCK_FLAGS_DEVICE_PASID } from '../../../core/iommu/mock';
import { VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_DETACH_IOMMUFD_PT } from '../../../core/uapi/vfio';
import { H } from './harness';

describe('VFIO cdev PASID attach', () => {
  it('argsz and flags checks, attach, replace on a second attach, detach', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    const dev = h.ctx.platform.createDevice(MOCK_FLAGS_DEVICE_PASID);
    if (typeof dev === 'number') throw new Error('createDevice');
    const df = new VfioDeviceFile(dev);
    const of = (fd: number) => (fd === 3 ? h.ctx : undefined);
    const io = (cmd: number, arg: Record<string, number>) => {
      const r = vfioDeviceIoctl(df, cmd, arg, of);
      return r.ok ? 'OK' : r.errno;
    };
    expect(io(VFIO_DEVICE_BIND_IOMMUFD, { iommufd: 3 })).toBe('OK');
    const idev = df.idev as Idev;
    const s2 = h.ok('IOMMU_HWPT_ALLOC', { dev_id: idev.id, pt_id: ioas, flags: 8 }).out_hwpt_id!;
    const s2b = h.ok('IOMMU_HWPT_ALLOC', { dev_id: idev.id, pt_id: ioas, flags: 8 }).out_hwpt_id!;
    expect(io(VFIO_DEVICE_ATTACH_IOMMUFD_PT, { pt_id: s2 })).toBe('OK');
    expect(io(VFIO_DEVICE_ATTACH_IOMMUFD_PT, { flags: 2, pt_id: s2, pasid: 5 })).toBe('EINVAL');
    expect(io(VFIO_DEVICE_ATTACH_IOMMUFD_PT, { flags: 1, argsz: 12, pt_id: s2, pasid: 5 })).toBe('EINVAL');
    expect(io(VFIO_DEVICE_ATTACH_IOMMUFD_PT, { flags: 1, pt_id: s2, pasid: 5 })).toBe('OK');
    expect(pasidHwpt(idev, 5)?.id).toBe(s2);
    expect(io(VFIO_DEVICE_ATTACH_IOMMUFD_PT, { flags: 1, pt_id: s2b, pasid: 5 })).toBe('OK');
    expect(pasidHwpt(idev, 5)?.id).toBe(s2b);
    expect(io(VFIO_DEVICE_ATTACH_IOMMUFD_PT, { flags: 1, pt_id: ioas, pasid: 6 })).toBe('EINVAL');
    expect(io(VFIO_DEVICE_DETACH_IOMMUFD_PT, { flags: 1, argsz: 8, pasid: 5 })).toBe('EINVAL');
    expect(io(VFIO_DEVICE_DETACH_IOMMUFD_PT, { flags: 1, pasid: 5 })).toBe('OK');
    expect(pasidHwpt(idev, 5)).toBeNull();
    expect(h.rc('IOMMU_DESTROY', { id: s2b })).toBe('OK');
    // The RID stays attached.
    expect(h.rc('IOMMU_DESTROY', { id: s2 })).toBe('EBUSY');
  });
});
