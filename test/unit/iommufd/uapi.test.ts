// Generic uAPI rules: tools/testing/selftests/iommu/iommufd.c fixture `iommufd`
// (cmd_fail, cmd_length, cmd_ex_fail, global_options, VFIO compat on the plain fd).
import { describe, expect, it } from 'vitest';
import { IOCTL, STRUCTS, layoutOf } from '../../../core/uapi/iommufd';
import type { IoctlName } from '../../../core/uapi/iommufd';
import { iommufdIoctl } from '../../../core/iommufd/ioctl';
import { H } from './harness';

describe('ioctl numbers', () => {
  it('are _IO(";", nr) = 0x3B00 | nr as in include/uapi/linux/iommufd.h', () => {
    expect(IOCTL.IOMMU_DESTROY).toBe(0x3b80);
    expect(IOCTL.IOMMU_IOAS_MAP).toBe(0x3b85);
    expect(IOCTL.IOMMU_HWPT_ALLOC).toBe(0x3b89);
    expect(IOCTL.IOMMU_HWPT_SET_DIRTY_TRACKING).toBe(0x3b8b);
    expect(IOCTL.IOMMU_HWPT_GET_DIRTY_BITMAP).toBe(0x3b8c);
    expect(IOCTL.IOMMU_FAULT_QUEUE_ALLOC).toBe(0x3b8e);
    expect(IOCTL.IOMMU_TEST_CMD).toBe(0x3ba0);
    expect(IOCTL.VFIO_IOMMU_DIRTY_PAGES).toBe(0x3b75);
  });
  it('struct sizes match the spec table', () => {
    const size = (n: IoctlName) => layoutOf(STRUCTS[n]!).sizeof;
    expect(size('IOMMU_DESTROY')).toBe(8);
    expect(size('IOMMU_IOAS_ALLOC')).toBe(12);
    expect(size('IOMMU_IOAS_ALLOW_IOVAS')).toBe(24);
    expect(size('IOMMU_IOAS_COPY')).toBe(40);
    expect(size('IOMMU_IOAS_IOVA_RANGES')).toBe(32);
    expect(size('IOMMU_IOAS_MAP')).toBe(40);
    expect(size('IOMMU_IOAS_UNMAP')).toBe(24);
    expect(size('IOMMU_OPTION')).toBe(24);
    expect(size('IOMMU_VFIO_IOAS')).toBe(12);
    expect(size('IOMMU_HWPT_ALLOC')).toBe(48);
    expect(size('IOMMU_GET_HW_INFO')).toBe(40);
    expect(size('IOMMU_HWPT_SET_DIRTY_TRACKING')).toBe(16);
    expect(size('IOMMU_HWPT_GET_DIRTY_BITMAP')).toBe(48);
    expect(size('IOMMU_HWPT_INVALIDATE')).toBe(32);
    expect(size('IOMMU_FAULT_QUEUE_ALLOC')).toBe(16);
  });
});

describe('minimum sizes (offset-end of the last required field)', () => {
  it('match the selftest cmd_length list', () => {
    const min = (n: IoctlName) => layoutOf(STRUCTS[n]!).minSize;
    expect(min('IOMMU_DESTROY')).toBe(8);
    expect(min('IOMMU_GET_HW_INFO')).toBe(32);
    expect(min('IOMMU_HWPT_ALLOC')).toBe(24);
    expect(min('IOMMU_HWPT_INVALIDATE')).toBe(32);
    expect(min('IOMMU_IOAS_ALLOC')).toBe(12);
    expect(min('IOMMU_IOAS_IOVA_RANGES')).toBe(32);
    expect(min('IOMMU_IOAS_ALLOW_IOVAS')).toBe(24);
    expect(min('IOMMU_IOAS_MAP')).toBe(40);
    expect(min('IOMMU_IOAS_COPY')).toBe(40);
    expect(min('IOMMU_IOAS_UNMAP')).toBe(24);
    expect(min('IOMMU_OPTION')).toBe(24);
    expect(min('IOMMU_VFIO_IOAS')).toBe(12);
  });
});

describe('cmd_fail', () => {
  it('destroy id 0 is ENOENT, NULL arg EFAULT, unknown nr ENOTTY', () => {
    const h = new H();
    expect(h.rc('IOMMU_DESTROY', { id: 0 })).toBe('ENOENT');
    expect(h.rc('IOMMU_DESTROY', null)).toBe('EFAULT');
    const r = iommufdIoctl(h.ctx, 0x3b7f, {});
    expect(r.ok ? 'OK' : r.errno).toBe('ENOTTY');
  });
});

describe('cmd_length', () => {
  // Each struct: size = min - 1 -> EINVAL; sizeof + 1 with a non-zero byte -> E2BIG;
  // sizeof + 1 with a zero byte -> the same result as exact size.
  for (const name of Object.keys(STRUCTS) as IoctlName[]) {
    it(name, () => {
      const lay = layoutOf(STRUCTS[name]!);
      const h = new H();
      expect(h.rc(name, { size: lay.minSize - 1 })).toBe('EINVAL');
      expect(h.rc(name, { size: lay.sizeof + 1, __tail: [0xaa] })).toBe('E2BIG');
      const exact = new H().rc(name, { size: lay.sizeof });
      expect(new H().rc(name, { size: lay.sizeof + 1, __tail: [0] })).toBe(exact);
      expect(new H().rc(name, { size: lay.minSize })).toBe(exact);
    });
  }
});

describe('cmd_ex_fail', () => {
  it('a larger destroy struct with a zero tail behaves like the exact one', () => {
    const h = new H();
    expect(h.rc('IOMMU_DESTROY', { size: 16, id: 0, __tail: [0, 0, 0, 0, 0, 0, 0, 0] })).toBe('ENOENT');
    expect(h.rc('IOMMU_DESTROY', { size: 16, id: 0, __tail: [0, 0, 0, 1] })).toBe('E2BIG');
    expect(h.rc('IOMMU_DESTROY', { size: 8, id: 0 })).toBe('ENOENT');
    expect(h.rc('IOMMU_DESTROY', { size: 7, id: 0 })).toBe('EINVAL');
  });
});

describe('global_options', () => {
  it('RLIMIT_MODE get/set and HUGE_PAGES on object 0', () => {
    const h = new H();
    expect(h.ok('IOMMU_OPTION', { option_id: 0, op: 1 }).val64).toBe(0);
    expect(h.rc('IOMMU_OPTION', { option_id: 0, op: 0, val64: 1 })).toBe('OK');
    expect(h.rc('IOMMU_OPTION', { option_id: 0, op: 0, val64: 2 })).toBe('EINVAL');
    expect(h.ok('IOMMU_OPTION', { option_id: 0, op: 1 }).val64).toBe(1);
    expect(h.rc('IOMMU_OPTION', { option_id: 1, op: 1, object_id: 0 })).toBe('ENOENT');
    expect(h.rc('IOMMU_OPTION', { option_id: 1, op: 0, object_id: 0, val64: 1 })).toBe('ENOENT');
    expect(h.rc('IOMMU_OPTION', { option_id: 0, op: 1, object_id: 1 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_OPTION', { option_id: 0, op: 1, __reserved: 1 })).toBe('EOPNOTSUPP');
    h.ioasAlloc();
    expect(h.rc('IOMMU_OPTION', { option_id: 0, op: 0, val64: 0 })).toBe('EBUSY');
  });
});

describe('VFIO compat on the plain fd', () => {
  it('simple_ioctls, map/unmap/info/set_iommu without a container, vfio_ioas', () => {
    const h = new H();
    expect(h.io('VFIO_GET_API_VERSION', {}).ok).toBe(true);
    expect(h.io('VFIO_CHECK_EXTENSION', { arg: 3 }).ok && (h.io('VFIO_CHECK_EXTENSION', { arg: 3 }) as { ret: number }).ret).toBe(1);
    expect((h.io('VFIO_CHECK_EXTENSION', { arg: 7 }) as { ret: number }).ret).toBe(0);
    expect(h.rc('VFIO_IOMMU_MAP_DMA', { argsz: 1 })).toBe('EINVAL');
    expect(h.rc('VFIO_IOMMU_MAP_DMA', { argsz: 32, flags: 1 << 7 })).toBe('EINVAL');
    expect(h.rc('VFIO_IOMMU_MAP_DMA', { argsz: 32 })).toBe('ENODEV');
    expect(h.rc('VFIO_IOMMU_UNMAP_DMA', { argsz: 1 })).toBe('EINVAL');
    expect(h.rc('VFIO_IOMMU_UNMAP_DMA', { argsz: 24, flags: 1 << 7 })).toBe('EINVAL');
    expect(h.rc('VFIO_IOMMU_UNMAP_DMA', { argsz: 24 })).toBe('ENODEV');
    expect(h.rc('VFIO_IOMMU_GET_INFO', { argsz: 1 })).toBe('EINVAL');
    expect(h.rc('VFIO_IOMMU_GET_INFO', { argsz: 16 })).toBe('ENODEV');
    expect(h.rc('VFIO_SET_IOMMU', { arg: 3 })).toBe('ENODEV');
    expect(h.rc('IOMMU_VFIO_IOAS', { op: 0 })).toBe('ENODEV');
    expect(h.rc('IOMMU_VFIO_IOAS', { op: 1, ioas_id: 55 })).toBe('ENOENT');
    const ioas = h.ioasAlloc();
    expect(h.rc('IOMMU_VFIO_IOAS', { op: 1, ioas_id: ioas })).toBe('OK');
    expect(h.ok('IOMMU_VFIO_IOAS', { op: 0 }).ioas_id).toBe(ioas);
    expect(h.rc('IOMMU_VFIO_IOAS', { op: 2 })).toBe('OK');
    expect(h.rc('IOMMU_VFIO_IOAS', { op: 0 })).toBe('ENODEV');
    expect(h.rc('IOMMU_VFIO_IOAS', { op: 3 })).toBe('EOPNOTSUPP');
  });
});

describe('recording', () => {
  it('each ioctl is a slice on track iommufd named by the ioctl with fields and errno', () => {
    const slices: { track: string; name: string; args: Record<string, unknown> }[] = [];
    const rec = { enabled: true, traceDma: false, slice: (track: string, name: string, _ts: number, _d: number, args?: Record<string, unknown>) => slices.push({ track, name, args: args ?? {} }), instant() {}, count() {} };
    const h = new H();
    (h.ctx as unknown as { recorder: unknown }).recorder = rec;
    h.rc('IOMMU_DESTROY', { id: 0 });
    h.ioasAlloc();
    expect(slices).toEqual([
      { track: 'iommufd', name: 'IOMMU_DESTROY', args: { size: 8, id: 0, errno: 'ENOENT' } },
      { track: 'iommufd', name: 'IOMMU_IOAS_ALLOC', args: { size: 12, flags: 0, out_ioas_id: 1, errno: 'OK' } },
    ]);
  });
});
