/**
 * struct iommu_iotlb_gather helpers (include/linux/iommu.h): one pending invalidation hull
 * plus the table pages freed by unmap, released only after the IOTLB flush.
 * Source: include/linux/iommu.h iommu_iotlb_gather_init / _add_range /
 * _is_disjoint.
 */
import type { IotlbGather } from './types';
import type { TablePool } from './pool';

/** iommu_iotlb_gather_init: empty hull (start = ULONG_MAX, end = 0), empty freelist. */
export function iotlbGatherInit(): IotlbGather {
  return { start: Number.MAX_SAFE_INTEGER, end: 0, pgsize: 0, freelist: [], queued: false };
}

/** Reset an existing gather in place (what iommu_iotlb_sync leaves behind). */
export function iotlbGatherReset(g: IotlbGather): void {
  g.start = Number.MAX_SAFE_INTEGER;
  g.end = 0;
  g.pgsize = 0;
  g.freelist.length = 0;
  g.queued = false;
}

/** True when the gather holds no range (start > end). */
export function iotlbGatherIsEmpty(g: IotlbGather): boolean {
  return g.start > g.end;
}

/**
 * iommu_iotlb_gather_add_range: widen the hull to cover [iova, iova+size-1]. A single hull,
 * not a list: two far-apart ranges produce one large invalidation, as in the kernel.
 */
export function iotlbGatherAddRange(g: IotlbGather, iova: number, size: number): void {
  const end = iova + size - 1;
  if (g.start > iova) g.start = iova;
  if (g.end < end) g.end = end;
}

/** Like add_range, also remembering the largest page size seen (bytes). */
export function iotlbGatherAddPage(g: IotlbGather, iova: number, size: number, pgsize: number): void {
  iotlbGatherAddRange(g, iova, size);
  if (pgsize > g.pgsize) g.pgsize = pgsize;
}

/**
 * iommu_iotlb_gather_is_disjoint: true when [iova, iova+size-1] neither overlaps nor touches
 * the current (non-empty) hull, i.e. adding it would widen the flush over unrelated IOVA.
 */
export function iotlbGatherIsDisjoint(g: IotlbGather, iova: number, size: number): boolean {
  const start = iova;
  const end = iova + size - 1;
  return g.end !== 0 && (end + 1 < g.start || start > g.end + 1);
}

/**
 * Release the gather's freed table pages back to the pool. Call after the IOTLB (and walk
 * cache) flush that made them unreachable, as iommu_put_pages_list after iotlb_sync.
 * Returns the number of pages released.
 */
export function iotlbGatherReleaseFreelist(g: IotlbGather, pool: TablePool): number {
  const n = g.freelist.length;
  for (let i = 0; i < n; i++) pool.free(g.freelist[i]!);
  g.freelist.length = 0;
  return n;
}
