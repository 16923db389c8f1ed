/**
 * Dirty tracking in the io_pagetable (drivers/iommu/iommufd/io_pagetable.c, v6.7+):
 * iopt_set_dirty_tracking (enable first clears every area's dirty bits with a NULL bitmap
 * and one IOTLB sync, then calls the driver) and iopt_read_and_clear_dirty_data
 * (validate the range, walk the request window by window through struct iova_bitmap,
 * call read_and_clear_dirty for each run of contiguous areas, one iotlb_sync at the end
 * unless NO_CLEAR). Sources: drivers/iommu/iommufd/hw_pagetable.c
 * (iommufd_hwpt_set_dirty_tracking, iommufd_hwpt_get_dirty_bitmap), io_pagetable.c
 * (iopt_set_dirty_tracking, iopt_read_and_clear_dirty_data).
 */
import { ERRNO } from '../base/errno';
import type { IommuDomain } from '../iommu/types';
import { IOMMU_DIRTY_NO_CLEAR } from '../pt/types';
import type { IommufdCtx } from './ctx';
import { newIotlbGather } from '../iommu/iommu';
import type { IoPagetable } from './io-pagetable';
import { IOVA_MAX, areaLength } from './io-pagetable';
import { IovaBitmap } from './iova-bitmap';
import { rfcReadAndClearDirtyData } from './rfc-dirty';

/** struct iommu_hwpt_get_dirty_bitmap fields the walk needs (bytes). */
export interface DirtyRequest {
  iova: number;
  length: number;
  page_size: number;
  /** User VA of the bitmap. */
  data: number;
}

/** Per-request statistics (tests, cost accounting). */
export interface DirtyReadStats {
  windows: number;
  driverCalls: number;
  iotlbSyncs: number;
  /** Error the kernel swallowed (0 when none). */
  swallowed: number;
}

/** iopt_set_dirty_tracking: -EOPNOTSUPP without dirty_ops; driver errors. */
export function ioptSetDirtyTracking(iopt: IoPagetable, domain: IommuDomain, enable: boolean): number {
  const ops = domain.dirtyOps;
  if (!ops) return -ERRNO.EOPNOTSUPP;
  if (enable) {
    // iopt_clear_dirty_data: start from a clean snapshot.
    const gather = newIotlbGather();
    const dirty = { bitmap: null, gather };
    let rc = 0;
    for (const area of iopt.areas) {
      if (!area.pages) continue;
      rc = ops.readAndClearDirty(domain, area.iova, areaLength(area), 0, dirty);
      if (rc) break;
    }
    domain.ops.iotlbSync(domain, gather);
    if (rc) return rc;
  }
  return ops.setDirtyTracking(domain, enable);
}

/** iommufd_check_iova_range: EOVERFLOW / EINVAL checks of a bitmap request. */
export function checkIovaRange(iopt: IoPagetable, iova: bigint, length: bigint, pageSize: bigint): number {
  const last = iova + length - 1n;
  if (last >= 1n << 64n || length === 0n) return -ERRNO.EOVERFLOW;
  if (iova > BigInt(IOVA_MAX) || last > BigInt(IOVA_MAX)) return -ERRNO.EOVERFLOW;
  const align = BigInt(iopt.iovaAlignment);
  if (iova & (align - 1n) || (last + 1n) & (align - 1n)) return -ERRNO.EINVAL;
  if (pageSize === 0n) return -ERRNO.EINVAL;
  if (iova & (pageSize - 1n) || (last + 1n) & (pageSize - 1n)) return -ERRNO.EINVAL;
  return 0;
}

/**
 * iommu_read_and_clear_dirty for one domain (the HWPT's): -EOPNOTSUPP without dirty ops,
 * -ENOMEM when the bitmap cannot be set up; walk errors are returned only with
 * options.propagateDirtyErrors (mainline returns 0). With options.rfcIovaBitmap the RFC v1
 * read path as posted instead (core/iommufd/rfc_dirty.ts, errata E10/E11).
 */
export function readAndClearDirtyData(ctx: IommufdCtx, iopt: IoPagetable, domain: IommuDomain, flags: number, req: DirtyRequest, stats?: DirtyReadStats): number {
  if (ctx.options.rfcIovaBitmap) return rfcReadAndClearDirtyData(ctx, iopt, domain, flags, req, stats);
  const ops = domain.dirtyOps;
  if (!ops) return -ERRNO.EOPNOTSUPP;
  const bm = IovaBitmap.alloc(ctx.mm, ctx.fail, req.data, req.iova, req.length, req.page_size, ctx.options.bitmapWindowPages);
  if (typeof bm === 'number') return bm;
  const gather = newIotlbGather();
  const dirty = { bitmap: bm, gather };
  const dflags = flags & IOMMU_DIRTY_NO_CLEAR;
  let calls = 0;
  const rc = bm.forEach(ctx.fail, (iova, length) => {
    const last = iova + length - 1;
    const areas = iopt.areasIn(iova, last);
    let cur = iova;
    for (const a of areas) {
      if (a.iova > cur || !a.pages) return -ERRNO.EINVAL;
      const e = Math.min(last, a.last);
      calls++;
      const r = ops.readAndClearDirty(domain, cur, e - cur + 1, dflags, dirty);
      if (r) return r;
      cur = e + 1;
      if (cur > last) return 0;
    }
    return cur > last ? 0 : -ERRNO.EINVAL;
  });
  let syncs = 0;
  if (!(flags & IOMMU_DIRTY_NO_CLEAR)) {
    domain.ops.iotlbSync(domain, gather);
    syncs = 1;
  }
  if (stats) {
    stats.windows += bm.stats.windows;
    stats.driverCalls += calls;
    stats.iotlbSyncs += syncs;
    stats.swallowed = ctx.options.propagateDirtyErrors ? 0 : rc;
  }
  return ctx.options.propagateDirtyErrors ? rc : 0;
}

