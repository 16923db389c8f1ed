/**
 * IOMMU_TEST_CMD (drivers/iommu/iommufd/selftest.c iommufd_test): the kernel's test-only
 * ioctl, used by the conformance tests and scripts. Ops take `id` and flat op fields
 * (the union members of struct iommu_test_cmd). MOCK_DOMAIN creates a device on the ctx's
 * platform - the mock IOMMU, or a vendor model - binds it and attaches it to pt_id.
 * IOMMU_TEST_OP_DIRTY marks entries dirty directly on a mock domain (as the kernel does)
 * and, on a vendor model, performs a real device DMA write of page_size bytes per set bit.
 * IOMMU_TEST_OP_SIM_DMA (0x100) is a simulator extension: device DMA through the model
 * (`pasid` 0 = a request without PASID).
 */
import { ERRNO } from '../base/errno';
import type { Device, IommuDomain } from '../iommu/types';
import { accessCreate, accessPin, accessRw, accessUnpin } from './access';
import type { Cmd } from './cmd';
import { num } from './cmd';
import type { IommufdCtx } from './ctx';
import { deviceAttach, deviceBind, deviceReplace, deviceUnbind } from './device';
import { devicePasidAttach, devicePasidDetach, devicePasidReplace, pasidHwpt } from './device-pasid';
import { faultReport } from './fault';
import { IOVA_MAX } from './io-pagetable';
import { PAGE_SIZE } from './mm';
import type { Access, AnyObject, HwptNested, HwptPaging, Idev, Ioas, SelftestDev } from './objects';
import { IOMMU_VEVENTQ_TYPE_SELFTEST, MOCK_DEV_CACHE_ID_MAX, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX, TEST_OP } from '../uapi/iommufd-test';

/** A domain that can mark an entry dirty without DMA (the mock's xarray). */
interface TestDirtyDomain extends IommuDomain {
  testMarkDirty(iova: number): number;
}

function hasTestDirty(d: IommuDomain): d is TestDirtyDomain {
  return typeof (d as Partial<TestDirtyDomain>).testMarkDirty === 'function';
}

/** iommufd_test_mock_domain: create + bind + attach; outputs stdev, hwpt and idev ids. */
function mockDomain(ctx: IommufdCtx, cmd: Cmd, flags: number): number {
  // The selftest object is allocated first, then the device is bound (ids follow).
  const st = ctx.allocObj<SelftestDev>({ type: 'SELFTEST', idev: null as unknown as Idev });
  if (typeof st === 'number') return st;
  const dev = ctx.platform.createDevice(flags, cmd.group_id ? Number(cmd.group_id) : undefined);
  const idev = typeof dev === 'number' ? dev : deviceBind(ctx, dev);
  if (typeof idev === 'number') {
    ctx.table.remove(st);
    return idev;
  }
  st.idev = idev;
  const r = deviceAttach(ctx, idev, Number(cmd.id));
  if (r.rc) {
    ctx.table.remove(st);
    deviceUnbind(ctx, idev);
    return r.rc;
  }
  ctx.table.finalize(st);
  cmd.out_stdev_id = BigInt(st.id);
  cmd.out_hwpt_id = BigInt(r.ptId);
  cmd.out_idev_id = BigInt(idev.id);
  return 0;
}

function stdevOf(ctx: IommufdCtx, id: number): SelftestDev | number {
  return ctx.getObj<SelftestDev>(id, 'SELFTEST');
}

/** iommufd_test_dirty: -EINVAL for bad sizes/alignment or tracking off. */
function testDirty(ctx: IommufdCtx, cmd: Cmd): number {
  const iova = num(cmd.iova);
  const length = num(cmd.length);
  const pageSize = num(cmd.page_size);
  const uptr = num(cmd.uptr);
  if (!pageSize || !length || iova % pageSize || length % pageSize || !uptr || uptr < 0) return -ERRNO.EINVAL;
  const hwpt = ctx.getObj<HwptPaging>(Number(cmd.id), 'HWPT_PAGING');
  if (typeof hwpt === 'number') return hwpt;
  const dom = hwpt.domain;
  if (!dom.dirtyTracking) return -ERRNO.EINVAL;
  const nbits = length / pageSize;
  const bytes = ctx.mm.read(uptr, Math.ceil(nbits / 64) * 8);
  if (typeof bytes === 'number') return -ERRNO.EFAULT;
  const dev = [...dom.devices][0];
  let count = 0;
  for (let i = 0; i < nbits; i++) {
    if (!((bytes[i >> 3]! >> (i & 7)) & 1)) continue;
    const at = iova + i * pageSize;
    if (hasTestDirty(dom)) {
      if (dom.testMarkDirty(at) === 0) count++;
    } else if (dev && dom.driver.dma(dev, 0, at, pageSize, true) === 0) {
      count++;
    }
  }
  cmd.out_nr_dirty = BigInt(count);
  return 0;
}

/** MD_CHECK_MAP: every page of [iova, +length) translates to uptr's page and is pinned. */
function checkMap(ctx: IommufdCtx, cmd: Cmd): number {
  const hwpt = ctx.getObj<HwptPaging>(Number(cmd.id), 'HWPT_PAGING');
  if (typeof hwpt === 'number') return hwpt;
  const iova = num(cmd.iova);
  const length = num(cmd.length);
  const uptr = num(cmd.uptr);
  if (length <= 0 || iova % 2048 || uptr % 2048) return -ERRNO.EINVAL;
  const step = 2048;
  for (let off = 0; off < length; off += step) {
    const pa = ctx.mm.translate(uptr + off);
    if (pa < 0) return -ERRNO.EFAULT;
    if (hwpt.domain.ops.iovaToPhys(hwpt.domain, iova + off) !== pa) return -ERRNO.EINVAL;
    if (ctx.mm.pinCount(uptr + off) < 1) return -ERRNO.EINVAL;
  }
  return 0;
}

/** MD_CHECK_REFS: every page of [uptr, +length) has exactly `refs` pins. */
function checkRefs(ctx: IommufdCtx, cmd: Cmd): number {
  const uptr = num(cmd.uptr);
  const length = num(cmd.length);
  if (uptr % PAGE_SIZE || length % PAGE_SIZE) return -ERRNO.EINVAL;
  for (let off = 0; off < length; off += PAGE_SIZE) if (ctx.mm.pinCount(uptr + off) !== Number(cmd.refs)) return -ERRNO.EINVAL;
  return 0;
}

/** Dispatch one IOMMU_TEST_CMD op. */
export function iommufdTest(ctx: IommufdCtx, cmd: Cmd): number {
  const id = Number(cmd.id);
  switch (Number(cmd.op)) {
    case TEST_OP.IOMMU_TEST_OP_ADD_RESERVED: {
      const ioas = ctx.getObj<Ioas>(id, 'IOAS');
      if (typeof ioas === 'number') return ioas;
      const last = cmd.start + cmd.length - 1n;
      return ioas.iopt.reserveIova(num(cmd.start) < 0 ? IOVA_MAX : num(cmd.start), last > BigInt(IOVA_MAX) ? IOVA_MAX : Number(last), null);
    }
    case TEST_OP.IOMMU_TEST_OP_MOCK_DOMAIN:
      return mockDomain(ctx, cmd, 0);
    case TEST_OP.IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
      return mockDomain(ctx, cmd, Number(cmd.dev_flags));
    case TEST_OP.IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: {
      const st = stdevOf(ctx, id);
      if (typeof st === 'number') return st;
      const r = deviceReplace(ctx, st.idev, Number(cmd.pt_id));
      if (!r.rc) cmd.pt_id = BigInt(r.ptId);
      return r.rc;
    }
    case TEST_OP.IOMMU_TEST_OP_MD_CHECK_MAP:
      return checkMap(ctx, cmd);
    case TEST_OP.IOMMU_TEST_OP_MD_CHECK_REFS:
      return checkRefs(ctx, cmd);
    case TEST_OP.IOMMU_TEST_OP_CREATE_ACCESS: {
      const ioas = ctx.getObj<Ioas>(id, 'IOAS');
      if (typeof ioas === 'number') return ioas;
      const acc = accessCreate(ctx, ioas);
      if (typeof acc === 'number') return acc;
      cmd.out_access_fd = BigInt(acc.id);
      return 0;
    }
    case TEST_OP.IOMMU_TEST_OP_ACCESS_PAGES: {
      const acc = ctx.getObj<Access>(id, 'ACCESS');
      if (typeof acc === 'number') return acc;
      const r = accessPin(ctx, acc, num(cmd.iova), num(cmd.length), (cmd.flags & 1n) === 1n);
      if (r < 0) return r;
      cmd.out_access_pages_id = BigInt(r);
      return 0;
    }
    case TEST_OP.IOMMU_TEST_OP_DESTROY_ACCESS_PAGES: {
      const acc = ctx.getObj<Access>(id, 'ACCESS');
      if (typeof acc === 'number') return acc;
      return accessUnpin(acc, Number(cmd.access_pages_id));
    }
    case TEST_OP.IOMMU_TEST_OP_ACCESS_RW: {
      const acc = ctx.getObj<Access>(id, 'ACCESS');
      if (typeof acc === 'number') return acc;
      const len = num(cmd.length);
      const write = (cmd.flags & 1n) === 1n;
      let buf: Uint8Array;
      if (write) {
        const r = ctx.mm.read(num(cmd.uptr), len);
        if (typeof r === 'number') return r;
        buf = r;
      } else buf = new Uint8Array(len);
      const rc = accessRw(ctx, acc, num(cmd.iova), buf, write);
      if (rc) return rc;
      return write ? 0 : ctx.mm.write(num(cmd.uptr), buf);
    }
    case TEST_OP.IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
      return 0;
    case TEST_OP.IOMMU_TEST_OP_DIRTY:
      return testDirty(ctx, cmd);
    case TEST_OP.IOMMU_TEST_OP_TRIGGER_IOPF: {
      const idev = ctx.getObj<Idev>(Number(cmd.dev_id), 'DEVICE');
      if (typeof idev === 'number') return idev;
      const pasid = Number(cmd.pasid);
      // iommufd_test_trigger_iopf: LAST_PAGE, plus PASID_VALID when pasid != 0 (since v6.11);
      // iommu_report_device_fault delivers to the HWPT at that PASID, falling back to the
      // RID's (ops->user_pasid_table) when nothing is attached there.
      const hwpt = (pasid ? pasidHwpt(idev, pasid) : null) ?? idev.hwpt;
      return faultReport(idev, { flags: pasid ? 3 : 2, pasid, grpid: Number(cmd.grpid), perm: Number(cmd.perm), addr: num(cmd.addr), length: PAGE_SIZE }, hwpt);
    }
    case TEST_OP.IOMMU_TEST_OP_MD_CHECK_IOTLB: {
      // iommufd_test_md_check_iotlb: `id` a nested HWPT of the mock; iotlb_id <= 3 and equal.
      const hwpt = ctx.getObj<HwptNested>(id, 'HWPT_NESTED');
      if (typeof hwpt === 'number') return hwpt;
      const iotlb = (hwpt.domain as unknown as { iotlb?: number[] }).iotlb;
      if (!iotlb) return -ERRNO.EINVAL;
      const i = Number(cmd.iotlb_id);
      return i > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX || iotlb[i] !== Number(cmd.iotlb) ? -ERRNO.EINVAL : 0;
    }
    case TEST_OP.IOMMU_TEST_OP_DEV_CHECK_CACHE: {
      // iommufd_test_dev_check_cache: `id` an idev; cache_id <= 3 and equal.
      const idev = ctx.getObj<Idev>(id, 'DEVICE');
      if (typeof idev === 'number') return idev;
      const cache = (idev.dev as unknown as { cache?: number[] }).cache;
      const i = Number(cmd.cache_id);
      if (!cache || i > MOCK_DEV_CACHE_ID_MAX) return -ERRNO.EINVAL;
      return cache[i] === Number(cmd.cache) ? 0 : -ERRNO.EINVAL;
    }
    case TEST_OP.IOMMU_TEST_OP_TRIGGER_VEVENT: {
      // iommufd_test_trigger_vevent: report {virt_id} of the device's vDEVICE.
      const idev = ctx.getObj<Idev>(Number(cmd.dev_id), 'DEVICE');
      if (typeof idev === 'number') return idev;
      const trig = (idev.driver as unknown as { triggerVevent?: (d: Device, t: number) => number }).triggerVevent;
      return trig ? trig.call(idev.driver, idev.dev, IOMMU_VEVENTQ_TYPE_SELFTEST) : -ERRNO.EOPNOTSUPP;
    }
    case TEST_OP.IOMMU_TEST_OP_PASID_ATTACH:
    case TEST_OP.IOMMU_TEST_OP_PASID_REPLACE: {
      const st = stdevOf(ctx, id);
      if (typeof st === 'number') return st;
      const attach = Number(cmd.op) === TEST_OP.IOMMU_TEST_OP_PASID_ATTACH;
      const r = (attach ? devicePasidAttach : devicePasidReplace)(ctx, st.idev, Number(cmd.pasid), Number(cmd.pt_id));
      if (!r.rc) cmd.pt_id = BigInt(r.ptId);
      return r.rc;
    }
    case TEST_OP.IOMMU_TEST_OP_PASID_DETACH: {
      const st = stdevOf(ctx, id);
      if (typeof st === 'number') return st;
      devicePasidDetach(ctx, st.idev, Number(cmd.pasid));
      return 0;
    }
    case TEST_OP.IOMMU_TEST_OP_PASID_CHECK_HWPT: {
      // iommufd_test_pasid_check_hwpt: hwpt_id 0 = nothing attached at the PASID.
      const st = stdevOf(ctx, id);
      if (typeof st === 'number') return st;
      const cur = pasidHwpt(st.idev, Number(cmd.pasid));
      const want = Number(cmd.hwpt_id);
      if (!want) return cur ? -ERRNO.EINVAL : 0;
      const w = ctx.table.get(want);
      if (!w || (w.type !== 'HWPT_PAGING' && w.type !== 'HWPT_NESTED')) return -ERRNO.ENOENT;
      return cur && cur.domain === w.domain ? 0 : -ERRNO.EINVAL;
    }
    case TEST_OP.IOMMU_TEST_OP_SIM_DMA: {
      const st = stdevOf(ctx, id);
      if (typeof st === 'number') return st;
      return st.idev.driver.dma(st.idev.dev, Number(cmd.pasid), num(cmd.iova), num(cmd.length), (cmd.flags & 1n) === 1n);
    }
    default:
      return -ERRNO.EOPNOTSUPP;
  }
}

/** Selftest device destroy: detach and unbind its idev. */
export function registerSelftest(ctx: IommufdCtx): void {
  ctx.destroyers.set('SELFTEST', (o: AnyObject) => {
    const st = o as SelftestDev;
    deviceUnbind(ctx, st.idev);
  });
}
