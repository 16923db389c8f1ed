/**
 * Named test hooks: what-ifs and inspection that need the hardware page table behind an HWPT,
 * which the iommufd uAPI deliberately does not expose. The kernel's equivalents are the
 * selftest IOMMU_TEST_CMD (drivers/iommu/iommufd/selftest.c) and the page-table dumps of
 * the vendor debugfs (drivers/iommu/intel/debugfs.c, amd/debugfs.c). A VMM model calls the
 * uAPI for everything a real VMM does through ioctls and only these for what-ifs; every
 * hook names the what-if it serves.
 *
 * Every hook takes the ctx and an HWPT id and returns a negative errno: -ENOENT when the id is
 * not a paging HWPT; the domain op's own error otherwise.
 */
import { ERRNO } from '../base/errno';
import type { IommuDomain } from '../iommu/types';
import { newIotlbGather } from '../iommu/iommu';
import { GenericPt, PT_ATTR } from '../pt';
import type { IovaBitmapSink, LeafRef, PtIommu } from '../pt/types';
import type { IommufdCtx } from './ctx';
import type { HwptPaging } from './objects';

function domainOf(ctx: IommufdCtx, hwptId: number): IommuDomain | number {
  const hwpt = ctx.getObj<HwptPaging>(hwptId, 'HWPT_PAGING');
  return typeof hwpt === 'number' ? -ERRNO.ENOENT : hwpt.domain;
}

/**
 * Flush-elision what-if (migration.flushAfterClear = false): read_and_clear_dirty over
 * [iova, iova+length) into `bitmap` WITHOUT the iotlb_sync on its gather that
 * IOMMU_HWPT_GET_DIRTY_BITMAP always does, so IOTLB entries caching "already dirty" survive
 * the clear (drivers/iommu/iommufd/io_pagetable.c iopt_read_and_clear_dirty_data flushes).
 * Returns 0 or a negative errno (-EOPNOTSUPP without dirty ops).
 */
export function testHwptReadDirtyNoFlush(ctx: IommufdCtx, hwptId: number, iova: number, length: number, bitmap: IovaBitmapSink): number {
  const d = domainOf(ctx, hwptId);
  if (typeof d === 'number') return d;
  const ops = d.dirtyOps;
  if (!ops) return -ERRNO.EOPNOTSUPP;
  return ops.readAndClearDirty(d, iova, length, 0, { bitmap, gather: newIotlbGather() });
}

/**
 * Device-TLB what-if (migration.devtlbFlushAfterClear = false): read_and_clear_dirty over
 * [iova, iova+length) into `bitmap`, then the iotlb_sync of its gather WITHOUT the device-TLB
 * invalidations every Linux driver issues with it (AMD INVALIDATE_IOTLB_PAGES, VT-d
 * QI_DIOTLB, SMMUv3 CMD_ATC_INV), so an ATS device keeps its writable ATC entries and its
 * later writes set no D. Returns 0 or a negative errno (-EOPNOTSUPP without dirty ops).
 */
export function testHwptReadDirtySkipDevtlb(ctx: IommufdCtx, hwptId: number, iova: number, length: number, bitmap: IovaBitmapSink): number {
  const d = domainOf(ctx, hwptId);
  if (typeof d === 'number') return d;
  const ops = d.dirtyOps;
  if (!ops) return -ERRNO.EOPNOTSUPP;
  const gather = newIotlbGather();
  const rc = ops.readAndClearDirty(d, iova, length, 0, { bitmap, gather });
  const pd = d as IommuDomain & { devtlbFlush?: boolean };
  const before = pd.devtlbFlush;
  if (before !== undefined) pd.devtlbFlush = false;
  d.ops.iotlbSync(d, gather);
  if (before !== undefined) pd.devtlbFlush = before;
  return rc;
}

/**
 * RFC v1 switch-over what-if: IOMMU_IOAS_UNMAP_DIRTY (never merged) unmaps [iova,
 * iova+length) from the domain collecting dirty bits in the same walk, then flushes once.
 * The IOAS areas stay (the run ends). Returns the bytes unmapped.
 */
export function testHwptUnmapReadDirty(ctx: IommufdCtx, hwptId: number, iova: number, length: number, bitmap: IovaBitmapSink): number {
  const d = domainOf(ctx, hwptId);
  if (typeof d === 'number') return d;
  const gather = newIotlbGather();
  const n = d.ops.unmapReadDirty(d, iova, length, gather, { bitmap, gather });
  d.ops.iotlbSync(d, gather);
  return n;
}

/** Review-thread switch-over what-if: write-protect [iova, iova+length), flush, collect and clear dirty. Returns 0 or a negative errno. */
export function testHwptWriteProtectAndClear(ctx: IommufdCtx, hwptId: number, iova: number, length: number, bitmap: IovaBitmapSink): number {
  const d = domainOf(ctx, hwptId);
  if (typeof d === 'number') return d;
  return d.ops.writeProtectAndClear(d, iova, length, { bitmap, gather: newIotlbGather() });
}

/**
 * huge-demote what-if: cut_mapping at `iova` (iommupt, drivers/iommu/generic_pt), splitting
 * the large leaf that covers it. Returns 0 or a negative errno (-EOPNOTSUPP without it).
 */
export function testHwptCutMapping(ctx: IommufdCtx, hwptId: number, iova: number): number {
  const d = domainOf(ctx, hwptId);
  if (typeof d === 'number') return d;
  return d.ops.cutMapping(d, iova);
}

/** The IO page table behind an HWPT, for the page-table inspector (read-only use), or a negative errno. */
export function testHwptPageTable(ctx: IommufdCtx, hwptId: number): PtIommu | number {
  const d = domainOf(ctx, hwptId);
  if (typeof d === 'number') return d;
  return d.pt ?? -ERRNO.EOPNOTSUPP;
}

/**
 * Classify a page the IOMMU failed to report: true when the leaf mapping `iova` is writable
 * but lacks its format's per-leaf dirty modifier (Arm DBM), e.g. mapped after enabling under
 * the SMMUv3 RFC v1 design (errata E20). False for formats without a modifier or no leaf.
 */
export function testHwptLeafUntracked(ctx: IommufdCtx, hwptId: number, iova: number, scratch: LeafRef): boolean {
  const d = domainOf(ctx, hwptId);
  if (typeof d === 'number') return false;
  const pt = d.pt;
  if (!(pt instanceof GenericPt) || !pt.fmt.dirtyModifier || !pt.lookupLeaf(iova, scratch)) return false;
  const t = pt.pool.pages[scratch.page]!;
  const a = pt.fmt.leafAttrs(t[2 * scratch.index]!, t[2 * scratch.index + 1]!);
  return (a & PT_ATTR.WRITE) !== 0 && (a & PT_ATTR.DBM) === 0;
}
