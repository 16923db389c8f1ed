/**
 * Dirty tracking on the generic page table: read_and_clear_dirty, the Arm DBM modifier and
 * write-protect-and-clear. Format-agnostic: the dirty state of an item is tested and cleared
 * with the format's data-driven {@link DirtyEncoding}, so the level-0 scan is a tight loop
 * over the table's typed array with no per-entry calls.
 *
 * Semantics (drivers/iommu/generic_pt/iommu_pt.h read_and_clear_dirty; include/linux/iommu.h
 * iommu_dirty_bitmap_record):
 * - A leaf made of several items (AMD replicated PTEs, Arm contiguous) is dirty if ANY item is
 *   (hardware may update only the replica it fetched); clearing clears every item.
 * - Each dirty leaf is recorded as its WHOLE size (iommu_dirty_bitmap_record(iova, pgsize)),
 *   even if it extends outside [iova, iova+size).
 * - Like iommu_dirty_bitmap_record, every record also widens dirty.gather (also with
 *   IOMMU_DIRTY_NO_CLEAR), so the caller issues one iotlb_sync for the whole request.
 * - Test-and-clear of one item is atomic: the simulator is single-threaded and hardware
 *   updates (PtIommu.hwAccess) happen between, never inside, these per-item steps.
 * - Empty subtrees and non-present items are skipped.
 */
import { ERRNO } from '../base/errno';
import { IOMMU_DIRTY_NO_CLEAR, type IommuDirtyBitmap, type IotlbGather, type IovaBitmapSink } from './types';
import { PT_ATTR, itemLg2, type DirtyEncoding } from './format';

const TABLE = 1;
const OA = 2;
import type { GenericPt } from './walker';
import { iotlbGatherAddRange } from './gather';

// Per-call state of the scan (single-threaded; avoids closures and allocation).
let sClear = true;
let sBitmap: IovaBitmapSink | null = null;
let sGather: IotlbGather | null = null;
let sEnc: DirtyEncoding | null = null;
let sTables = 0;
let sEntries = 0;
let sCleared = 0;
let sTop = 0;
let sLeaves = 0;
let sLeafItems = 0;
let sLeafDepth = 0;
let sHoles = 0;
let sHoleDepth = 0;
let sRecords = 0;

function record(iova: number, len: number): void {
  sRecords++;
  if (sBitmap !== null) sBitmap.set(iova, len);
  const g = sGather!;
  if (g.start > iova) g.start = iova;
  const end = iova + len - 1;
  if (g.end < end) g.end = end;
}

/** Test (and clear unless NO_CLEAR) the dirty state of the 2^n items of a leaf at g0. */
function processGroup(t: Uint32Array, g0: number, count: number, leafVa: number, leafSize: number): void {
  const e = sEnc!;
  let dirty = false;
  for (let k = g0; k < g0 + count; k++) {
    if ((t[2 * k]! & e.loMask) === e.loVal && (t[2 * k + 1]! & e.hiMask) === e.hiVal) {
      dirty = true;
      break;
    }
  }
  if (!dirty) return;
  record(leafVa, leafSize);
  if (sClear) {
    for (let k = g0; k < g0 + count; k++) t[2 * k] = ((t[2 * k]! & e.cleanLoAnd) | e.cleanLoOr) >>> 0;
    sCleared += count;
  }
}

/** One present leaf of `items` items whose from-root walk reads `depth` entries. */
function countLeaf(items: number, depth: number): void {
  sLeaves++;
  sLeafItems += items;
  sLeafDepth += depth;
}

// Scan bounds after boundary groups are handled (module state: no allocation).
let bI0 = 0;
let bI1 = 0;

/**
 * Leaves that straddle the scan bounds [i0, i1] of a table: process all their items (the dirty
 * one may be outside the range), then narrow the bounds to exclude them (bI0/bI1).
 */
function boundaries(pt: GenericPt, t: Uint32Array, level: number, i0: number, i1: number, base: number, isz: number): void {
  const depth = sTop - level + 1;
  let lo = t[2 * i0]!;
  if (pt.typeOf(lo, level) === OA) {
    const n = pt.contigOf(lo, t[2 * i0 + 1]!, level);
    if (n > 0) {
      const g0 = i0 & ~((1 << n) - 1);
      countLeaf(1 << n, depth);
      processGroup(t, g0, 1 << n, base + g0 * isz, isz * (1 << n));
      i0 = g0 + (1 << n);
    }
  }
  lo = t[2 * i1]!;
  if (i1 >= i0 && pt.typeOf(lo, level) === OA) {
    const n = pt.contigOf(lo, t[2 * i1 + 1]!, level);
    if (n > 0) {
      const g0 = i1 & ~((1 << n) - 1);
      if (g0 >= i0 && g0 + (1 << n) - 1 > i1) {
        countLeaf(1 << n, depth);
        processGroup(t, g0, 1 << n, base + g0 * isz, isz * (1 << n));
        i1 = g0 - 1;
      }
    }
  }
  bI0 = i0;
  bI1 = i1;
}

/** Level 0: every present item is a leaf; one masked compare rejects clean items. */
function scanLevel0(pt: GenericPt, t: Uint32Array, i0: number, i1: number, base: number): void {
  const e = sEnc!;
  const present = pt.presentLo;
  const depth = sTop + 1;
  const grouped = pt.fmt.contiguous || pt.fmt.replicated;
  if (grouped) {
    boundaries(pt, t, 0, i0, i1, base, 4096);
    i0 = bI0;
    i1 = bI1;
  }
  const loMask = e.loMask, loVal = e.loVal, hiMask = e.hiMask, hiVal = e.hiVal;
  const cleanAnd = e.cleanLoAnd, cleanOr = e.cleanLoOr;
  const clear = sClear;
  let holes = 0;
  if (!grouped) {
    // Every present item is a one-item leaf: leaves = items in range - holes.
    for (let i = i0; i <= i1; i++) {
      const lo = t[2 * i]!;
      if ((lo & present) === 0) {
        holes++;
        continue;
      }
      if ((lo & loMask) !== loVal) continue;
      const hi = t[2 * i + 1]!;
      if ((hi & hiMask) !== hiVal) continue;
      record(base + i * 4096, 4096);
      if (clear) {
        t[2 * i] = ((lo & cleanAnd) | cleanOr) >>> 0;
        sCleared++;
      }
    }
    const n = i1 - i0 + 1 - holes;
    if (n > 0) {
      sLeaves += n;
      sLeafItems += n;
      sLeafDepth += n * depth;
    }
  } else {
    for (let i = i0; i <= i1; i++) {
      const lo = t[2 * i]!;
      if ((lo & present) === 0) {
        holes++;
        continue;
      }
      const hi = t[2 * i + 1]!;
      const n = pt.contigOf(lo, hi, 0);
      if (n > 0) {
        const g0 = i & ~((1 << n) - 1);
        countLeaf(1 << n, depth);
        processGroup(t, g0, 1 << n, base + g0 * 4096, 4096 << n);
        i = g0 + (1 << n) - 1;
        continue;
      }
      countLeaf(1, depth);
      if ((lo & loMask) !== loVal || (hi & hiMask) !== hiVal) continue;
      record(base + i * 4096, 4096);
      if (clear) {
        t[2 * i] = ((lo & cleanAnd) | cleanOr) >>> 0;
        sCleared++;
      }
    }
  }
  if (holes > 0) {
    sHoles += holes;
    sHoleDepth += holes * depth;
  }
}

function scan(pt: GenericPt, level: number, page: number, va: number, lastVa: number): void {
  const t = pt.pool.pages[page]!;
  const isz = pt.itemSize[level]!;
  let i0 = pt.index(va, level);
  const base = va - i0 * isz - (va % isz);
  let i1 = lastVa >= base + 512 * isz - 1 ? 511 : pt.index(lastVa, level);
  sTables++;
  sEntries += i1 - i0 + 1;
  if (level === 0) {
    scanLevel0(pt, t, i0, i1, base);
    return;
  }
  const grouped = pt.fmt.contiguous || pt.fmt.replicated;
  if (grouped) {
    boundaries(pt, t, level, i0, i1, base, isz);
    i0 = bI0;
    i1 = bI1;
  }
  const present = pt.presentLo;
  const lut = pt.typeLut[level]!;
  const shift = pt.typeShift;
  const tmask = pt.typeMask;
  const depth = sTop - level + 1;
  const e = sEnc!;
  const loMask = e.loMask, loVal = e.loVal, hiMask = e.hiMask, hiVal = e.hiVal;
  let holes = 0;
  for (let i = i0; i <= i1; i++) {
    const lo = t[2 * i]!;
    if ((lo & present) === 0) {
      holes++;
      continue;
    }
    const type = lut[(lo >>> shift) & tmask]!;
    if (type === TABLE) {
      const itemVa = base + i * isz;
      const hi = t[2 * i + 1]!;
      const last = itemVa + isz - 1;
      scan(pt, level - 1, pt.childPage(lo, hi), itemVa > va ? itemVa : va, last < lastVa ? last : lastVa);
      continue;
    }
    if (type !== OA) continue;
    const hi = t[2 * i + 1]!;
    if (grouped) {
      const n = pt.contigOf(lo, hi, level);
      if (n > 0) {
        const g0 = i & ~((1 << n) - 1);
        countLeaf(1 << n, depth);
        processGroup(t, g0, 1 << n, base + g0 * isz, isz * (1 << n));
        i = g0 + (1 << n) - 1;
        continue;
      }
    }
    countLeaf(1, depth);
    if ((lo & loMask) !== loVal || (hi & hiMask) !== hiVal) continue;
    record(base + i * isz, isz);
    if (sClear) {
      t[2 * i] = ((lo & e.cleanLoAnd) | e.cleanLoOr) >>> 0;
      sCleared++;
    }
  }
  if (holes > 0) {
    sHoles += holes;
    sHoleDepth += holes * depth;
  }
}

/**
 * read_and_clear_dirty over [iova, iova+size). Returns 0, -EOPNOTSUPP (format without dirty
 * state), or a make_range errno (-EINVAL, -ERANGE, -EOVERFLOW).
 */
export function readAndClearDirty(pt: GenericPt, iova: number, size: number, flags: number, dirty: IommuDirtyBitmap): number {
  // iommu_pt.h record_dirty: "DMA incoherence and atomic dirty tracking bits can't work together".
  if (pt.fmt.dirty === null || pt.incoherent !== null) return -ERRNO.EOPNOTSUPP;
  const rc = pt.checkRange(iova, size);
  if (rc) return rc;
  sEnc = pt.fmt.dirty;
  sClear = (flags & IOMMU_DIRTY_NO_CLEAR) === 0;
  sBitmap = dirty.bitmap;
  sGather = dirty.gather;
  sTables = 0;
  sEntries = 0;
  sCleared = 0;
  sTop = pt.topLevel;
  sLeaves = 0;
  sLeafItems = 0;
  sLeafDepth = 0;
  sHoles = 0;
  sHoleDepth = 0;
  sRecords = 0;
  try {
    scan(pt, pt.topLevel, pt.rootPage, iova, iova + size - 1);
    const st = pt.stats;
    st.dirtyTablesVisited += sTables;
    st.dirtyEntriesRead += sEntries;
    st.dirtyEntriesCleared += sCleared;
    st.dirtyLeaves += sLeaves;
    st.dirtyLeafItems += sLeafItems;
    st.dirtyLeafDepth += sLeafDepth;
    st.dirtyHoles += sHoles;
    st.dirtyHoleDepth += sHoleDepth;
    st.dirtyRecords += sRecords;
  } finally {
    sBitmap = null;
    sGather = null;
  }
  return 0;
}

/** Visit each leaf intersecting [va, lastVa]: fn(table, first item, level, leaf VA, items lg2). */
function forEachLeaf(
  pt: GenericPt, level: number, page: number, va: number, lastVa: number,
  fn: (t: Uint32Array, g0: number, level: number, leafVa: number, n: number) => void,
): void {
  const t = pt.pool.pages[page]!;
  const isz = pt.itemSize[level]!;
  const i0 = pt.index(va, level);
  const base = va - i0 * isz - (va % isz);
  const i1 = lastVa >= base + 512 * isz - 1 ? 511 : pt.index(lastVa, level);
  const fmt = pt.fmt;
  for (let i = i0; i <= i1; i++) {
    const lo = t[2 * i]!;
    if ((lo & fmt.presentLo) === 0) continue;
    const hi = t[2 * i + 1]!;
    const type = pt.typeOf(lo, level);
    const itemVa = base + i * isz;
    if (type === TABLE) {
      const last = itemVa + isz - 1;
      forEachLeaf(pt, level - 1, pt.childPage(lo, hi), itemVa > va ? itemVa : va, last < lastVa ? last : lastVa, fn);
    } else if (type === OA) {
      const n = pt.contigOf(lo, hi, level);
      const g0 = i & ~((1 << n) - 1);
      fn(t, g0, level, base + g0 * isz, n);
      i = g0 + (1 << n) - 1;
    }
  }
}

/** PT_ATTR of a leaf: permissions of its first item, A/D ORed over all items. */
export function groupAttrs(pt: GenericPt, t: Uint32Array, g0: number, n: number): number {
  let a = 0;
  for (let k = g0; k < g0 + (1 << n); k++) a |= pt.fmt.leafAttrs(t[2 * k]!, t[2 * k + 1]!);
  return a;
}

/**
 * Arm DBM modifier on every writable leaf in range (RFC set_dirty_tracking_range,
 * docs/rfc-errata.md): on → DBM=1, AP[2]=1 (writable-clean); off → DBM=0, AP[2]=0 (plain
 * writable; dirty state forgotten). Leaves already in the requested state, read-only leaves
 * and holes are skipped (the RFC returned -EINVAL for the latter two; iommufd only calls it
 * on mapped areas). Changed ranges are added to gather. 0, -EOPNOTSUPP, or a range errno.
 */
export function setDirtyModifier(pt: GenericPt, iova: number, size: number, on: boolean, gather: IotlbGather): number {
  if (!pt.fmt.dirtyModifier || pt.incoherent !== null) return -ERRNO.EOPNOTSUPP;
  const rc = pt.checkRange(iova, size);
  if (rc) return rc;
  forEachLeaf(pt, pt.topLevel, pt.rootPage, iova, iova + size - 1, (t, g0, level, leafVa, n) => {
    const a = groupAttrs(pt, t, g0, n);
    if ((a & PT_ATTR.WRITE) === 0 || ((a & PT_ATTR.DBM) !== 0) === on) return;
    const na = on ? (a | PT_ATTR.DBM) & ~PT_ATTR.DIRTY : a & ~(PT_ATTR.DBM | PT_ATTR.DIRTY);
    const sizeLg2 = itemLg2(level) + n;
    pt.fmt.writeLeaf(t, g0, level, pt.fmt.leafOa(t[2 * g0]!, t[2 * g0 + 1]!, level), sizeLg2, na);
    iotlbGatherAddRange(gather, leafVa, 2 ** sizeLg2);
  });
  return 0;
}

/**
 * Write-protect-and-clear (the review thread's alternative to unmap-with-dirty): every
 * writable leaf in range becomes read-only and its dirty state is collected into `dirty`
 * (whole-leaf records). All changed ranges are added to dirty.gather: the caller must flush
 * before relying on the protection. 0, -EOPNOTSUPP (no dirty state), or a range errno.
 */
export function writeProtectAndClear(pt: GenericPt, iova: number, size: number, dirty: IommuDirtyBitmap): number {
  if (pt.fmt.dirty === null || pt.incoherent !== null) return -ERRNO.EOPNOTSUPP;
  const rc = pt.checkRange(iova, size);
  if (rc) return rc;
  forEachLeaf(pt, pt.topLevel, pt.rootPage, iova, iova + size - 1, (t, g0, level, leafVa, n) => {
    const a = groupAttrs(pt, t, g0, n);
    if ((a & PT_ATTR.WRITE) === 0) return;
    const sizeLg2 = itemLg2(level) + n;
    const len = 2 ** sizeLg2;
    if ((a & PT_ATTR.DIRTY) !== 0 && dirty.bitmap !== null) dirty.bitmap.set(leafVa, len);
    pt.fmt.writeLeaf(t, g0, level, pt.fmt.leafOa(t[2 * g0]!, t[2 * g0 + 1]!, level), sizeLg2,
      a & ~(PT_ATTR.WRITE | PT_ATTR.DIRTY | PT_ATTR.DBM));
    iotlbGatherAddRange(dirty.gather, leafVa, len);
  });
  return 0;
}
