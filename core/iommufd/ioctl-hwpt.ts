/**
 * HWPT, device-info, dirty-tracking and fault-queue ioctl handlers
 * (drivers/iommu/iommufd/hw_pagetable.c, device.c, fault.c) with the kernel's validation
 * order: IOMMU_HWPT_ALLOC, IOMMU_GET_HW_INFO, IOMMU_HWPT_SET_DIRTY_TRACKING,
 * IOMMU_HWPT_GET_DIRTY_BITMAP, IOMMU_FAULT_QUEUE_ALLOC (IOMMU_HWPT_INVALIDATE: hwpt-nested.ts).
 * Source: include/uapi/linux/iommufd.h and the handlers named above.
 */
import { ERRNO } from '../base/errno';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_FAULT_ID_VALID } from '../uapi/iommufd';
import { hwptNestedAlloc, hwptUserData, viommuAllocHwptNested } from './hwpt-nested';
import type { Cmd, Extra } from './cmd';
import { num } from './cmd';
import type { IommufdCtx } from './ctx';
import { hwptPagingAlloc } from './device';
import type { DirtyReadStats } from './dirty';
import { checkIovaRange, ioptSetDirtyTracking, readAndClearDirtyData } from './dirty';
import { faultAlloc } from './fault';
import type { Fault, Hwpt, HwptPaging, Idev } from './objects';
import { HW_INFO_DATA_LEN, hwInfoBytes, IOMMU_HWPT_DATA_NONE, IOMMU_HWPT_DIRTY_TRACKING_ENABLE, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_TYPE_DEFAULT } from '../uapi/iommufd';

/**
 * IOMMU_HWPT_ALLOC (iommufd_hwpt_alloc, v6.18 order): pt_id an IOAS -> a paging HWPT; a
 * NEST_PARENT paging HWPT or a vIOMMU -> a nested HWPT (hwpt-nested.ts); anything else or
 * unknown -> EINVAL. NEST_PARENT with FAULT_ID_VALID -> EOPNOTSUPP (a parent never takes
 * faults). The fault object is looked up after the HWPT exists (abort on ENOENT).
 */
export function hwptAlloc(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.__reserved) return -ERRNO.EOPNOTSUPP;
  const dataNone = cmd.data_type === BigInt(IOMMU_HWPT_DATA_NONE);
  if ((dataNone && cmd.data_len) || (!dataNone && !cmd.data_len)) return -ERRNO.EINVAL;
  const idev = ctx.getObj<Idev>(Number(cmd.dev_id), 'DEVICE');
  if (typeof idev === 'number') return idev;
  const pt = ctx.table.get(Number(cmd.pt_id));
  if (!pt) return -ERRNO.EINVAL;
  const flags = Number(cmd.flags);
  let hwpt: Hwpt | number;
  if (pt.type === 'IOAS') {
    // Paging path. User data on a paging HWPT is refused by every modelled driver.
    const valid = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID;
    if (flags & ~valid || !dataNone) return -ERRNO.EOPNOTSUPP;
    if (flags & IOMMU_HWPT_FAULT_ID_VALID && flags & IOMMU_HWPT_ALLOC_NEST_PARENT) return -ERRNO.EOPNOTSUPP;
    hwpt = hwptPagingAlloc(ctx, pt, idev, flags & ~IOMMU_HWPT_FAULT_ID_VALID, false, null);
  } else if (pt.type === 'HWPT_PAGING') {
    hwpt = hwptNestedAlloc(ctx, pt, idev, flags, hwptUserData(ctx, cmd));
  } else if (pt.type === 'VIOMMU') {
    hwpt = pt.iommuDev !== idev.driver ? -ERRNO.EINVAL : viommuAllocHwptNested(ctx, pt, flags, hwptUserData(ctx, cmd));
  } else {
    return -ERRNO.EINVAL;
  }
  if (typeof hwpt === 'number') return hwpt;
  if (flags & IOMMU_HWPT_FAULT_ID_VALID) {
    const f = ctx.getObj<Fault>(Number(cmd.fault_id), 'FAULT');
    if (typeof f === 'number') {
      ctx.destroyObj(hwpt);
      return f;
    }
    hwpt.fault = f;
    f.users++;
  }
  ctx.table.finalize(hwpt);
  cmd.out_hwpt_id = BigInt(hwpt.id);
  return 0;
}

export function getHwInfo(ctx: IommufdCtx, cmd: Cmd, extra: Extra): number {
  if (cmd.flags & ~BigInt(IOMMU_HW_INFO_FLAG_INPUT_TYPE) || cmd.__reserved || cmd.__reserved_1 || cmd.__reserved_2) return -ERRNO.EOPNOTSUPP;
  const idev = ctx.getObj<Idev>(Number(cmd.dev_id), 'DEVICE');
  if (typeof idev === 'number') return idev;
  const info = idev.driver.hwInfo(idev.dev);
  if (cmd.flags & BigInt(IOMMU_HW_INFO_FLAG_INPUT_TYPE)) {
    const want = Number(cmd.out_data_type);
    if (want !== IOMMU_HW_INFO_TYPE_DEFAULT && want !== info.outDataType) return -ERRNO.EOPNOTSUPP;
  }
  const kernelLen = HW_INFO_DATA_LEN[info.outDataType] ?? 0;
  const userLen = Number(cmd.data_len);
  // Copy min(user, kernel) bytes; a larger user buffer gets its tail zeroed.
  if (userLen) {
    const bytes = new Uint8Array(userLen);
    bytes.set(hwInfoBytes(info.outDataType, info.data).subarray(0, userLen));
    if (ctx.mm.write(num(cmd.data_uptr), bytes)) return -ERRNO.EFAULT;
  }
  extra.data = info.data;
  extra.data_copied = Math.min(userLen, kernelLen);
  cmd.data_len = BigInt(kernelLen);
  cmd.out_data_type = BigInt(info.outDataType);
  cmd.out_max_pasid_log2 = BigInt(idev.dev.maxPasidLog2 ?? 0);
  let caps = info.capabilities;
  if (idev.driver.capable(idev.dev, 'IOMMU_CAP_DIRTY_TRACKING')) caps |= IOMMU_HW_CAP_DIRTY_TRACKING;
  cmd.out_capabilities = BigInt(caps);
  return 0;
}

export function hwptSetDirtyTracking(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.flags & ~BigInt(IOMMU_HWPT_DIRTY_TRACKING_ENABLE)) return -ERRNO.EOPNOTSUPP;
  const hwpt = ctx.getObj<HwptPaging>(Number(cmd.hwpt_id), 'HWPT_PAGING');
  if (typeof hwpt === 'number') return hwpt;
  if (!hwpt.dirtyTracking) return -ERRNO.EOPNOTSUPP;
  return ioptSetDirtyTracking(hwpt.ioas.iopt, hwpt.domain, (cmd.flags & 1n) === 1n);
}

export function hwptGetDirtyBitmap(ctx: IommufdCtx, cmd: Cmd, extra: Extra): number {
  if (cmd.flags & ~BigInt(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) || cmd.__reserved) return -ERRNO.EOPNOTSUPP;
  const hwpt = ctx.getObj<HwptPaging>(Number(cmd.hwpt_id), 'HWPT_PAGING');
  if (typeof hwpt === 'number') return hwpt;
  const iopt = hwpt.ioas.iopt;
  const rc = checkIovaRange(iopt, cmd.iova, cmd.length, cmd.page_size);
  if (rc) return rc;
  const stats: DirtyReadStats = { windows: 0, driverCalls: 0, iotlbSyncs: 0, swallowed: 0 };
  const r = readAndClearDirtyData(ctx, iopt, hwpt.domain, Number(cmd.flags), { iova: num(cmd.iova), length: num(cmd.length), page_size: num(cmd.page_size), data: num(cmd.data) }, stats);
  extra.stats = stats;
  return r;
}

export function faultQueueAlloc(ctx: IommufdCtx, cmd: Cmd): number {
  if (cmd.flags) return -ERRNO.EOPNOTSUPP;
  const f = faultAlloc(ctx);
  if (typeof f === 'number') return f;
  cmd.out_fault_id = BigInt(f.id);
  cmd.out_fault_fd = BigInt(f.fd);
  return 0;
}
