/**
 * unmap_pages of the generic page table (drivers/iommu/generic_pt/iommu_pt.h __unmap_range):
 * a leaf that starts at the walk position is removed whole even if the range ends inside it;
 * a walk starting inside a leaf or reaching an empty item stops; tables the range fully
 * covers are unlinked and put on gather.freelist (freed after the IOTLB flush).
 */
import { ERRNO } from '../base/errno';
import type { IotlbGather } from './types';
import type { GenericPt } from './walker';
import { iotlbGatherAddPage } from './gather';

const TABLE = 1;
const OA = 2;

let sUnmapped = 0;
let sMaxLeaf = 0;

/** unmap_pages: see PtIommu.unmapPages. Returns bytes unmapped; adds the range to gather. */
export function unmapPages(pt: GenericPt, iova: number, size: number, gather: IotlbGather): number {
  if (pt.checkRange(iova, size) !== 0) return 0;
  sUnmapped = 0;
  sMaxLeaf = 0;
  unmapLevel(pt, pt.topLevel, pt.rootPage, iova, iova + size - 1, gather);
  const unmapped = sUnmapped;
  // The kernel adds the requested range; widen to what an over-unmap really removed.
  iotlbGatherAddPage(gather, iova, Math.max(size, unmapped), sMaxLeaf);
  return unmapped;
}

/**
 * __unmap_range: 0 or a negative errno that stops the walk (bytes so far still count). The
 * items it cleared in this table are written back once at the end (flush_writes_range).
 */
function unmapLevel(pt: GenericPt, level: number, page: number, va: number, lastVa: number, gather: IotlbGather): number {
  const t = pt.pool.pages[page]!;
  const isz = pt.itemSize[level]!;
  let i = pt.index(va, level);
  const tableBase = va - i * isz - (va % isz);
  let end = 512;
  if (lastVa < tableBase + 512 * isz - 1) end = pt.index(lastVa, level) + 1;
  let first = true;
  let flushStart = 512;
  let flushEnd = 0;
  let rc = 0;
  while (i < end) {
    const lo = t[2 * i]!;
    const hi = t[2 * i + 1]!;
    const type = pt.typeOf(lo, level);
    const itemVa = first ? va : tableBase + i * isz;
    if (type === OA) {
      const n = pt.contigOf(lo, hi, level);
      const leafSize = isz * (1 << n);
      // A walk starting inside a leaf stops; one starting at it removes it whole.
      if (first && itemVa % leafSize !== 0) {
        rc = -ERRNO.EINVAL;
        break;
      }
      const g0 = i & ~((1 << n) - 1);
      for (let k = g0; k < g0 + (1 << n); k++) {
        t[2 * k] = 0;
        t[2 * k + 1] = 0;
      }
      if (g0 < flushStart) flushStart = g0;
      sUnmapped += leafSize;
      if (leafSize > sMaxLeaf) sMaxLeaf = leafSize;
      i = g0 + (1 << n);
      flushEnd = i;
    } else if (type === TABLE) {
      const child = pt.childPage(lo, hi);
      const itemStart = tableBase + i * isz;
      const fully = itemVa === itemStart && lastVa >= itemStart + isz - 1;
      rc = unmapLevel(pt, level - 1, child, itemVa, lastVa, gather);
      if (rc !== 0) break;
      if (fully) {
        t[2 * i] = 0;
        t[2 * i + 1] = 0;
        if (i < flushStart) flushStart = i;
        flushEnd = i + 1;
        // gather_range_pages: iommu_pages_stop_incoherent_list before the gather's freelist.
        pt.incoherent?.stop(child);
        gather.freelist.push(child);
        pt.adjustHeld(-1);
      }
      i++;
    } else {
      rc = -ERRNO.EINVAL;
      break;
    }
    first = false;
  }
  if (flushEnd > flushStart) pt.flushWrites(flushStart, flushEnd);
  return rc;
}
