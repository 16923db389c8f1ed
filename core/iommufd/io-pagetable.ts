/**
 * struct io_pagetable: the IOVA -> user-memory map of one IOAS (drivers/iommu/iommufd/
 * io_pagetable.c). Holds the areas (non-overlapping, kept sorted by IOVA and found by binary
 * search: the interval tree of the kernel, specialised to disjoint intervals), reserved
 * ranges tagged with an owner (a device, a domain or null for test reservations), the
 * user's allowed ranges, the attached domains and iova_alignment.
 *
 * Units: IOVAs and lengths in bytes; `last` values are inclusive. The simulator's
 * ULONG_MAX is {@link IOVA_MAX} (2^53 - 1). Returns 0 or a negative errno, as the kernel.
 */
import { ERRNO } from '../base/errno';
import type { IommuDomain } from '../iommu/types';
import type { AllocFailInjector } from '../base/fail-nth';
import { or53 } from '../base/bits';
import { PAGE_SIZE } from './mm';
import type { Mm } from './mm';
import type { IoptPages } from './pages';

/** The simulator's ULONG_MAX: the largest IOVA a JS number holds exactly. */
export const IOVA_MAX = Number.MAX_SAFE_INTEGER;

/** struct iopt_area. */
export interface IoptArea {
  iova: number;
  last: number;
  /** Null while the area is being created or torn down. */
  pages: IoptPages | null;
  /** Byte offset of `iova` inside pages (relative to pages.uptr). */
  startByte: number;
  /** IOMMU_READ | IOMMU_WRITE (| IOMMU_CACHE not modelled). */
  prot: number;
  /** The domain its PFNs are read back from; null when in no domain. */
  storageDomain: IommuDomain | null;
  /** In-kernel access users pinning through this area. */
  numAccesses: number;
  preventAccess: boolean;
}

/** A reserved IOVA range (struct iopt_reserved). */
export interface IoptReserved {
  start: number;
  last: number;
  owner: unknown;
}

/** An allowed range (struct iopt_allowed). */
export interface IovaRange {
  start: number;
  last: number;
}

/** Something with an IOVA alignment requirement (an access). */
export interface IoptAccessUser {
  iovaAlignment: number;
}

/** Context an io_pagetable needs from its ctx. */
export interface IoptEnv {
  mm: Mm;
  fail: AllocFailInjector;
  /** §1.5.7 extension: split areas stored in domains by cutting every domain first. */
  splitWithCut: boolean;
}

/** Area page range helpers. */
export function areaLength(a: IoptArea): number {
  return a.last - a.iova + 1;
}
export function areaFirstIndex(a: IoptArea): number {
  return Math.floor(a.startByte / PAGE_SIZE);
}
export function areaLastIndex(a: IoptArea): number {
  return Math.floor((a.startByte + areaLength(a) - 1) / PAGE_SIZE);
}
/** iopt_area_start_byte(area, iova). */
export function areaStartByte(a: IoptArea, iova: number): number {
  return a.startByte + (iova - a.iova);
}

/** The io_pagetable of one IOAS. */
export class IoPagetable {
  /** Sorted by iova, disjoint. */
  readonly areas: IoptArea[] = [];
  readonly reserved: IoptReserved[] = [];
  allowed: IovaRange[] = [];
  readonly domains: IommuDomain[] = [];
  readonly accesses = new Set<IoptAccessUser>();
  iovaAlignment = 1;
  disableLargePages = false;

  constructor(readonly env: IoptEnv) {}

  /** Index of the first area with last >= iova (binary search). */
  private lowerIndex(iova: number): number {
    let lo = 0;
    let hi = this.areas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.areas[mid]!.last < iova) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** iopt_area_iter_first: the lowest area intersecting [start, last], or null. */
  areaIterFirst(start: number, last: number): IoptArea | null {
    const a = this.areas[this.lowerIndex(start)];
    return a && a.iova <= last ? a : null;
  }

  /** Every area intersecting [start, last], in IOVA order. */
  areasIn(start: number, last: number): IoptArea[] {
    const out: IoptArea[] = [];
    for (let i = this.lowerIndex(start); i < this.areas.length; i++) {
      const a = this.areas[i]!;
      if (a.iova > last) break;
      out.push(a);
    }
    return out;
  }

  insertArea(a: IoptArea): void {
    this.areas.splice(this.lowerIndex(a.iova), 0, a);
  }

  removeArea(a: IoptArea): void {
    const i = this.areas.indexOf(a);
    if (i >= 0) this.areas.splice(i, 1);
  }

  /** iopt_reserved_iter_first. */
  reservedIterFirst(start: number, last: number): IoptReserved | null {
    for (const r of this.reserved) if (r.start <= last && r.last >= start) return r;
    return null;
  }

  allowedIterFirst(start: number, last: number): IovaRange | null {
    for (const r of this.allowed) if (r.start <= last && r.last >= start) return r;
    return null;
  }

  /**
   * iopt_contig_areas: the areas covering [iova, last] without holes, or null when a hole
   * (or an area being torn down) interrupts the range (callers return -ENOENT / -EINVAL).
   */
  contigAreas(iova: number, last: number): IoptArea[] | null {
    const out = this.areasIn(iova, last);
    let cur = iova;
    for (const a of out) {
      if (a.iova > cur || !a.pages) return null;
      cur = a.last + 1;
      if (cur > last) return out;
    }
    return cur > last ? out : null;
  }

  /** iopt_check_iova: alignment, overflow, reserved (-EINVAL) and overlap (-EEXIST). */
  checkIova(iova: number, length: number): number {
    if (iova % this.iovaAlignment) return -ERRNO.EINVAL;
    const last = iova + length - 1;
    if (last > IOVA_MAX) return -ERRNO.EOVERFLOW;
    if (this.reservedIterFirst(iova, last)) return -ERRNO.EINVAL;
    if (this.areaIterFirst(iova, last)) return -ERRNO.EEXIST;
    return 0;
  }

  /**
   * iopt_alloc_iova: find a free IOVA for `length` bytes keeping the user pointer's
   * alignment (min(roundup_pow_of_two(length), lowest set bit of uptr)) and its offset in
   * the page, inside the allowed ranges (default [PAGE_SIZE, ULONG_MAX - PAGE_SIZE]) and
   * outside reserved ranges and areas. Returns the IOVA, or -EOVERFLOW / -EINVAL / -ENOSPC.
   */
  allocIova(uptr: number, length: number): number {
    const pageOffset = uptr % PAGE_SIZE;
    if (length === 0 || length >= IOVA_MAX / 2) return -ERRNO.EOVERFLOW;
    let align = 2 ** Math.ceil(Math.log2(length));
    if (uptr) {
      let low = 1;
      while (uptr % (low * 2) === 0 && low < 2 ** 52) low *= 2;
      align = Math.min(align, low);
    }
    if (align < this.iovaAlignment) return -ERRNO.EINVAL;
    const spans = this.allowed.length
      ? [...this.allowed].sort((a, b) => a.start - b.start).map((r) => ({ start: Math.max(r.start, PAGE_SIZE), last: Math.min(r.last, IOVA_MAX - PAGE_SIZE) }))
      : [{ start: PAGE_SIZE, last: IOVA_MAX - PAGE_SIZE }];
    const used = [...this.reserved.map((r) => [r.start, r.last] as const), ...this.areas.map((a) => [a.iova, a.last] as const)].sort((a, b) => a[0] - b[0]);
    for (const span of spans) {
      if (span.last < span.start) continue;
      let holeStart = span.start;
      const tryHole = (hs: number, hl: number): number => {
        if (hl < hs || hl - hs < length - 1) return -1;
        const s = or53(Math.ceil(hs / align) * align, pageOffset);
        if (s > hl || hl - s < length - 1) return -1;
        return s;
      };
      for (const [us, ul] of used) {
        if (ul < holeStart) continue;
        if (us > span.last) break;
        if (us > holeStart) {
          const s = tryHole(holeStart, Math.min(us - 1, span.last));
          if (s >= 0) return s;
        }
        holeStart = Math.max(holeStart, ul + 1);
        if (holeStart > span.last) break;
      }
      if (holeStart <= span.last) {
        const s = tryHole(holeStart, span.last);
        if (s >= 0) return s;
      }
    }
    return -ERRNO.ENOSPC;
  }

  /** iopt_reserve_iova: -EADDRINUSE over an area or allowed range, -ENOMEM. */
  reserveIova(start: number, last: number, owner: unknown): number {
    if (this.areaIterFirst(start, last) || this.allowedIterFirst(start, last)) return -ERRNO.EADDRINUSE;
    if (this.env.fail.shouldFail('iopt_reserved')) return -ERRNO.ENOMEM;
    this.reserved.push({ start, last, owner });
    this.reserved.sort((a, b) => a.start - b.start);
    return 0;
  }

  /** __iopt_remove_reserved_iova: drop every range of `owner`. */
  removeReservedIova(owner: unknown): void {
    for (let i = this.reserved.length - 1; i >= 0; i--) if (this.reserved[i]!.owner === owner) this.reserved.splice(i, 1);
  }

  /** iopt_set_allow_iova: replace the allowed list; -EADDRINUSE if a reserved range meets it. */
  setAllowIova(ranges: IovaRange[]): number {
    for (const r of ranges) if (this.reservedIterFirst(r.start, r.last)) return -ERRNO.EADDRINUSE;
    this.allowed = ranges.map((r) => ({ ...r }));
    return 0;
  }

  /**
   * IOAS_IOVA_RANGES: the holes of the reserved ranges over [0, ULONG_MAX] (allowed ranges
   * are not consulted, as in iommufd_ioas_iova_ranges).
   */
  iovaRanges(): IovaRange[] {
    const out: IovaRange[] = [];
    let cur = 0;
    const sorted = [...this.reserved].sort((a, b) => a.start - b.start);
    for (const r of sorted) {
      if (r.start > cur) out.push({ start: cur, last: r.start - 1 });
      if (r.last >= IOVA_MAX) return out;
      cur = Math.max(cur, r.last + 1);
    }
    out.push({ start: cur, last: IOVA_MAX });
    return out;
  }

  /** iopt_check_iova_alignment: every area conforms to a larger alignment (-EADDRINUSE). */
  checkIovaAlignment(align: number): number {
    for (const a of this.areas) {
      if (a.iova % align || areaLength(a) % align || (a.startByte % PAGE_SIZE) % align) return -ERRNO.EADDRINUSE;
    }
    for (const acc of this.accesses) if (acc.iovaAlignment > align) return -ERRNO.EADDRINUSE;
    return 0;
  }

  /** iopt_calculate_iova_alignment. */
  calculateIovaAlignment(): number {
    let align = this.disableLargePages ? PAGE_SIZE : 1;
    for (const d of this.domains) align = Math.max(align, lowestPgsize(d.pgsizeBitmap));
    for (const acc of this.accesses) align = Math.max(align, acc.iovaAlignment);
    if (align > this.iovaAlignment) {
      const rc = this.checkIovaAlignment(align);
      if (rc) return rc;
    }
    this.iovaAlignment = align;
    return 0;
  }

  /** iopt_disable_large_pages: -EINVAL once domains hold mappings. */
  disableLarge(): number {
    if (this.disableLargePages) return 0;
    if (this.domains.length && this.areas.length) return -ERRNO.EINVAL;
    this.disableLargePages = true;
    const rc = this.calculateIovaAlignment();
    if (rc) this.disableLargePages = false;
    return rc;
  }

  /** iopt_enable_large_pages. */
  enableLarge(): void {
    this.disableLargePages = false;
    this.calculateIovaAlignment();
  }

  /** iopt_add_access / iopt_remove_access. */
  addAccess(acc: IoptAccessUser): number {
    if (this.env.fail.shouldFail('iopt_access_list')) return -ERRNO.ENOMEM;
    this.accesses.add(acc);
    const rc = this.calculateIovaAlignment();
    if (rc) this.accesses.delete(acc);
    return rc;
  }
  removeAccess(acc: IoptAccessUser): void {
    this.accesses.delete(acc);
    this.calculateIovaAlignment();
  }
}

/** 1 << __ffs(pgsize_bitmap). */
export function lowestPgsize(bitmap: number): number {
  let s = 1;
  while (Math.floor(bitmap / s) % 2 === 0) s *= 2;
  return s;
}
