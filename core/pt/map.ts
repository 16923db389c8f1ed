/**
 * map_pages of the generic page table (drivers/iommu/generic_pt/iommu_pt.h __map_range,
 * pt_compute_best_pgsize), plus the tree helpers deinit and undo share.
 * Leaves are placed with pt_compute_best_pgsize at every step; single-item leaves are written
 * from a per-level template (entry bits without OA) so the 4 KiB loop makes no format calls.
 * On any error everything this call installed is removed again (including tables it
 * allocated), so nothing is left half-mapped.
 */
import { ERRNO } from '../base/errno';
import { IOMMU_READ, IOMMU_WRITE } from './types';
import type { GenericPt } from './walker';
import { alignLg2 as alignLg2Import, floorLg2 as floorLg2Import } from '../base/bits';
import { iotlbGatherInit, iotlbGatherReleaseFreelist } from './gather';
import { unmapPages } from './unmap';

const TABLE = 1;
const TWO32 = 4294967296;
// Local bindings of hot helpers (an imported binding may compile to a getter call).
const alignLg2 = alignLg2Import;
const floorLg2 = floorLg2Import;
const A_READ = 1;
const A_WRITE = 2;
const A_DIRTY = 4;
const A_DBM = 16;
const A_SNOOP = 32;

function itemLg2(level: number): number {
  return 12 + 9 * level;
}

// Running state of one map call (single-threaded; no per-call allocation).
let sVa = 0;
let sLast = 0;
let sOa = 0;
let sAttrs = 0;
/** (parent page, index, child page) triples of tables allocated by the current call. */
const newTables: number[] = [];

/**
 * map_pages: see PtIommu.mapPages (core/pt/types.ts). Returns 0 or -EINVAL, -ERANGE, -EOVERFLOW,
 * -EADDRINUSE, -ENOMEM; on error the table is as before the call and `mapped` is unchanged.
 */
export function mapPages(pt: GenericPt, iova: number, paddr: number, size: number, prot: number, mapped?: { bytes: number }): number {
  if ((prot & (IOMMU_READ | IOMMU_WRITE)) === 0) return -ERRNO.EINVAL;
  let rc = pt.checkRange(iova, size);
  if (rc === -ERRNO.ERANGE && pt.maxLevels > pt.topLevel + 1 && iova >= 0 && iova + size <= pt.maxVaLimit) {
    // PT_FEAT_DYNAMIC_TOP: grow the top first (increase_top), then map.
    rc = pt.growTo(iova + size - 1);
  }
  if (rc) return rc;
  if (iova % 4096 !== 0 || paddr % 4096 !== 0 || size % 4096 !== 0 || !Number.isInteger(paddr)) return -ERRNO.EINVAL;
  if (paddr < 0 || paddr + size > 2 ** pt.fmt.oaLg2) return -ERRNO.ERANGE;
  let attrs = 0;
  if (prot & IOMMU_READ) attrs |= A_READ;
  if (prot & IOMMU_WRITE) attrs |= A_WRITE;
  if (pt.dbmOnMap && pt.fmt.dirtyModifier && (attrs & A_WRITE)) attrs |= A_DBM | A_DIRTY;
  if (pt.forceCoherence) attrs |= A_SNOOP;
  if (attrs !== pt.tplAttrs) {
    const scratch = new Uint32Array(2);
    for (let l = 0; l <= pt.topLevel; l++) {
      pt.fmt.writeLeaf(scratch, 0, l, 0, itemLg2(l), attrs);
      pt.tplLo[l] = scratch[0]!;
      pt.tplHi[l] = scratch[1]!;
    }
    pt.tplAttrs = attrs;
  }
  if (size === 4096 && pt.l0Frees === pt.pool.frees && iova >= pt.l0Base && iova < pt.l0Base + 2097152 && pt.incoherent === null) {
    // Single 4 KiB page into the level-0 table of the previous map (see GenericPt.l0Page);
    // like the kernel's __map_single_page it is not used when the walker is DMA-incoherent.
    const t = pt.pool.pages[pt.l0Page]!;
    const i = (iova - pt.l0Base) / 4096;
    if ((t[2 * i]! & pt.presentLo) !== 0) return -ERRNO.EADDRINUSE;
    t[2 * i] = (pt.tplLo[0]! | ((paddr >>> 0) & 0xfffff000)) >>> 0;
    t[2 * i + 1] = (pt.tplHi[0]! | ((paddr / TWO32) & pt.oaHiMask)) >>> 0;
    if (mapped) mapped.bytes += size;
    return 0;
  }
  sVa = iova;
  sLast = iova + size - 1;
  sOa = paddr;
  sAttrs = attrs;
  newTables.length = 0;
  rc = mapLevel(pt, pt.topLevel, pt.rootPage);
  if (rc !== 0) {
    // Unlike the kernel (whose caller unmaps `mapped` bytes), undo here: nothing of this
    // call stays mapped and `mapped.bytes` is left unchanged.
    undoMap(pt, iova, sOa - paddr);
    return rc;
  }
  if (mapped) mapped.bytes += size;
  return 0;
}

function mapLevel(pt: GenericPt, level: number, page: number): number {
  if (level === 0) {
    pt.l0Page = page;
    pt.l0Base = sVa - pt.index(sVa, 0) * 4096;
    pt.l0Frees = pt.pool.frees;
  }
  const fmt = pt.fmt;
  const t = pt.pool.pages[page]!;
  const isz = pt.itemSize[level]!;
  const bestTbl = pt.best[level]!;
  const tplLo = pt.tplLo[level]!;
  const tplHi = pt.tplHi[level]!;
  const oaHiMask = pt.oaHiMask;
  let i = pt.index(sVa, level);
  // Leaf items written at this level: [leafStart, i) is written back once at the end
  // (__map_range_leaf's flush_writes_range), on error too.
  const leafStart = i;
  let leafEnd = i;
  let rc = 0;
  while (i < 512 && sVa <= sLast) {
    const va = sVa;
    // pt_compute_best_pgsize inlined: min(align(va), align(oa), floor(log2(len))).
    let m = floorLg2(sLast - va + 1);
    const a = alignLg2(va);
    if (a < m) m = a;
    const b = alignLg2(sOa);
    if (b < m) m = b;
    const s = bestTbl[m]!;
    const lo = t[2 * i]!;
    if (s !== 0) {
      const lg2 = itemLg2(level);
      const n = 1 << (s - lg2);
      if (n === 1 ? (lo & pt.presentLo) !== 0 : !itemsEmpty(pt, t, i, n, level)) {
        if (!clearEmptyTables(pt, t, i, n, level)) {
          rc = -ERRNO.EADDRINUSE;
          break;
        }
      }
      if (n === 1) {
        // Single-item leaf: template bits | OA, no format call (same bits as writeLeaf).
        const oa = sOa;
        t[2 * i] = (tplLo | ((oa >>> 0) & 0xfffff000)) >>> 0;
        t[2 * i + 1] = (tplHi | ((oa / TWO32) & oaHiMask)) >>> 0;
      } else {
        fmt.writeLeaf(t, i, level, sOa, s, sAttrs);
      }
      const sz = n * isz;
      sVa = va + sz;
      sOa += sz;
      i += n;
      leafEnd = i;
      continue;
    }
    if (level === 0) {
      rc = -ERRNO.EINVAL; // unreachable: 4 KiB always fits aligned input
      break;
    }
    const hi = t[2 * i + 1]!;
    let child: number;
    if ((lo & pt.presentLo) === 0) {
      child = pt.allocTableNormal('pt_map_table');
      if (child < 0) {
        rc = child;
        break;
      }
      newTables.push(page, i, child);
      fmt.writeTable(t, i, level, pt.pool.phys(child));
      pt.flushWrites(i, i + 1); // pt_iommu_new_table: flush_writes_item
    } else if (pt.typeOf(lo, level) === TABLE) {
      child = pt.childPage(lo, hi);
    } else {
      rc = -ERRNO.EADDRINUSE;
      break;
    }
    rc = mapLevel(pt, level - 1, child);
    if (rc !== 0) break;
    i++;
  }
  if (leafEnd > leafStart) pt.flushWrites(leafStart, leafEnd);
  return rc;
}

function itemsEmpty(pt: GenericPt, t: Uint32Array, i: number, n: number, _level: number): boolean {
  const p = pt.presentLo;
  for (let k = i; k < i + n; k++) if ((t[2 * k]! & p) !== 0) return false;
  return true;
}

/** Whether the table at page (level) holds no OA entry anywhere below it. */
function subtreeEmpty(pt: GenericPt, page: number, level: number): boolean {
  const t = pt.pool.pages[page]!;
  for (let k = 0; k < 512; k++) {
    const lo = t[2 * k]!;
    if ((lo & pt.presentLo) === 0) continue;
    const hi = t[2 * k + 1]!;
    if (level === 0 || pt.typeOf(lo, level) !== TABLE) return false;
    if (!subtreeEmpty(pt, pt.childPage(lo, hi), level - 1)) return false;
  }
  return true;
}

/** Free the table at page and every table below it. */
export function freeSubtree(pt: GenericPt, page: number, level: number): void {
  if (level > 0) {
    const t = pt.pool.pages[page]!;
    for (let k = 0; k < 512; k++) {
      const lo = t[2 * k]!;
      if ((lo & pt.presentLo) === 0) continue;
      const hi = t[2 * k + 1]!;
      if (pt.typeOf(lo, level) === TABLE) freeSubtree(pt, pt.childPage(lo, hi), level - 1);
    }
  }
  pt.freeTable(page);
  pt.adjustHeld(-1);
}

/**
 * Items [i, i+n) are in the way of a leaf: succeed (and free them) only when each is empty
 * or an empty table, as the kernel's map replaces empty tables with large leaves.
 */
function clearEmptyTables(pt: GenericPt, t: Uint32Array, i: number, n: number, level: number): boolean {
  if (level === 0) return false;
  for (let k = i; k < i + n; k++) {
    const lo = t[2 * k]!;
    if ((lo & pt.presentLo) === 0) continue;
    const hi = t[2 * k + 1]!;
    if (pt.typeOf(lo, level) !== TABLE || !subtreeEmpty(pt, pt.childPage(lo, hi), level - 1)) return false;
  }
  for (let k = i; k < i + n; k++) {
    const lo = t[2 * k]!;
    if ((lo & pt.presentLo) === 0) continue;
    const child = pt.childPage(lo, t[2 * k + 1]!);
    t[2 * k] = 0;
    t[2 * k + 1] = 0;
    freeSubtree(pt, child, level - 1);
  }
  return true;
}

/** Remove what a failed map call installed, leaving the table as before the call. */
function undoMap(pt: GenericPt, iova: number, bytes: number): void {
  if (bytes > 0) {
    const g = iotlbGatherInit();
    unmapPages(pt, iova, bytes, g);
    iotlbGatherReleaseFreelist(g, pt.pool);
  }
  const nt = newTables;
  for (let k = nt.length - 3; k >= 0; k -= 3) {
    const parent = nt[k]!;
    const idx = nt[k + 1]!;
    const child = nt[k + 2]!;
    if (!pt.pool.isAllocated(parent) || !pt.pool.isAllocated(child)) continue;
    const t = pt.pool.pages[parent]!;
    const lo = t[2 * idx]!;
    if ((lo & pt.presentLo) === 0 || pt.childPage(lo, t[2 * idx + 1]!) !== child) continue;
    t[2 * idx] = 0;
    t[2 * idx + 1] = 0;
    pt.flushWrites(idx, idx + 1);
    freeSubtree(pt, child, -1);
  }
  nt.length = 0;
}
