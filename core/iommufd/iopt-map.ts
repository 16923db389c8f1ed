/**
 * io_pagetable operations that move PFNs: map user pages / copy (area creation plus domain
 * fill), unmap (whole areas only), domain add/remove (fill/unfill every area), area split
 * with the §1.5.7 cut_mapping extension. Mirrors drivers/iommu/iommufd/io_pagetable.c and
 * pages.c (iopt_area_fill_domains, iopt_area_unfill_domains, batch_to_domain).
 * All functions return 0 or a negative errno and leave the table unchanged on error.
 */
import { ERRNO } from '../base/errno';
import type { IommuDomain } from '../iommu/types';
import { iommuMap, iommuUnmap } from '../iommu/iommu';
import type { IoPagetable, IoptArea } from './io-pagetable';
import { IOVA_MAX, areaFirstIndex, areaLastIndex, areaLength, areaStartByte, lowestPgsize } from './io-pagetable';
import { PAGE_SIZE } from './mm';
import { IoptPages } from './pages';

/** One slice of pages to place at consecutive IOVAs (struct iopt_pages_list). */
export interface PagesSlice {
  pages: IoptPages;
  startByte: number;
  length: number;
}

/** Map one area into one domain, coalescing physically contiguous runs. */
function mapAreaIntoDomain(iopt: IoPagetable, area: IoptArea, domain: IommuDomain): number {
  const pages = area.pages!;
  const len = areaLength(area);
  let off = 0;
  let runIova = area.iova;
  let runPa = -1;
  let runLen = 0;
  const flush = (): number => {
    if (runLen === 0) return 0;
    const rc = iommuMap(domain, runIova, runPa, runLen, area.prot);
    if (rc) return rc;
    runIova += runLen;
    runLen = 0;
    return 0;
  };
  while (off < len) {
    const sb = area.startByte + off;
    const inPage = PAGE_SIZE - (sb % PAGE_SIZE);
    const n = Math.min(inPage, len - off);
    const pa = pages.physAt(sb);
    // batch_iommu_map_small: with large pages disabled every PAGE_SIZE piece is mapped alone.
    if (runLen > 0 && (iopt.disableLargePages || pa !== runPa + runLen)) {
      const rc = flush();
      if (rc) {
        if (runIova > area.iova) iommuUnmap(domain, area.iova, runIova - area.iova);
        return rc;
      }
    }
    if (runLen === 0) runPa = pa;
    runLen += n;
    off += n;
  }
  const rc = flush();
  if (rc && runIova > area.iova) iommuUnmap(domain, area.iova, runIova - area.iova);
  return rc;
}

function unmapAreaFromDomain(area: IoptArea, domain: IommuDomain): void {
  iommuUnmap(domain, area.iova, areaLength(area));
}

/** iopt_area_fill_domains: pin the area and map it into every domain of the table. */
export function areaFillDomains(iopt: IoPagetable, area: IoptArea): number {
  if (iopt.domains.length === 0) return 0;
  const pages = area.pages!;
  let rc = pages.pinRange(areaFirstIndex(area), areaLastIndex(area), iopt.env.fail);
  if (rc) return rc;
  let i = 0;
  for (; i < iopt.domains.length; i++) {
    rc = mapAreaIntoDomain(iopt, area, iopt.domains[i]!);
    if (rc) break;
  }
  if (rc) {
    for (let j = 0; j < i; j++) unmapAreaFromDomain(area, iopt.domains[j]!);
    pages.unpinRange(areaFirstIndex(area), areaLastIndex(area));
    return rc;
  }
  area.storageDomain = iopt.domains[0]!;
  return 0;
}

/** iopt_area_unfill_domains: unmap from every domain and drop the domains' pin. */
export function areaUnfillDomains(iopt: IoPagetable, area: IoptArea): void {
  if (!area.storageDomain) return;
  for (const d of iopt.domains) unmapAreaFromDomain(area, d);
  area.pages!.unpinRange(areaFirstIndex(area), areaLastIndex(area));
  area.storageDomain = null;
}

/**
 * iopt_map_pages: create one area per slice at *dstIova (fixed, or allocated when
 * `allocIova`) and fill every domain. Errors: -ENOMEM, -EINVAL (length/alignment/reserved),
 * -EEXIST (overlap), -EOVERFLOW, -ENOSPC, -EPERM (write to read-only pages), driver errors.
 */
export function ioptMapPages(iopt: IoPagetable, slices: PagesSlice[], length: number, dst: { iova: number }, prot: number, allocIova: boolean): number {
  const fail = iopt.env.fail;
  for (let i = 0; i < slices.length; i++) if (fail.shouldFail('iopt_area')) return -ERRNO.ENOMEM;
  if (length % iopt.iovaAlignment || !length) return -ERRNO.EINVAL;
  let rc: number;
  if (allocIova) {
    const first = slices[0]!;
    const iova = iopt.allocIova(first.pages.uptr + first.startByte, length);
    if (iova < 0) return iova;
    dst.iova = iova;
  } else {
    rc = iopt.checkIova(dst.iova, length);
    if (rc) return rc;
  }
  const created: IoptArea[] = [];
  let iova = dst.iova;
  rc = 0;
  for (const s of slices) {
    if (prot & 2 && !s.pages.writable) rc = -ERRNO.EPERM;
    else if ((s.startByte % PAGE_SIZE) % iopt.iovaAlignment) rc = -ERRNO.EINVAL;
    else if (iova + s.length - 1 > IOVA_MAX) rc = -ERRNO.EOVERFLOW;
    if (rc) break;
    const area: IoptArea = { iova, last: iova + s.length - 1, pages: null, startByte: s.startByte, prot, storageDomain: null, numAccesses: 0, preventAccess: false };
    iopt.insertArea(area);
    created.push(area);
    iova += s.length;
  }
  if (!rc) {
    for (let i = 0; i < created.length; i++) {
      created[i]!.pages = slices[i]!.pages;
      rc = areaFillDomains(iopt, created[i]!);
      if (rc) {
        for (let j = 0; j < i; j++) areaUnfillDomains(iopt, created[j]!);
        break;
      }
    }
  }
  if (rc) {
    for (const a of created) iopt.removeArea(a);
    return rc;
  }
  for (const s of slices) s.pages.kref++;
  return 0;
}

/**
 * iopt_map_user_pages: map [uptr, uptr+length) at dst.iova. The new iopt_pages reference
 * is owned by the area on success and released on failure.
 */
export function ioptMapUserPages(iopt: IoPagetable, dst: { iova: number }, uptr: number, length: number, prot: number, allocIova: boolean): number {
  if (!length) return -ERRNO.EINVAL;
  if (uptr + length > IOVA_MAX) return -ERRNO.EOVERFLOW;
  if (iopt.env.fail.shouldFail('iopt_pages')) return -ERRNO.ENOMEM;
  // A range larger than RLIMIT_MEMLOCK can never be pinned: refuse before the per-page arrays
  // of iopt_pages are allocated (the kernel fails the same map with -ENOMEM when it pins).
  const npages = Math.ceil((uptr + length) / PAGE_SIZE) - Math.floor(uptr / PAGE_SIZE);
  if (npages > iopt.env.mm.memlockPages) {
    iopt.env.mm.memlockRefusals++;
    return -ERRNO.ENOMEM;
  }
  const pages = new IoptPages(iopt.env.mm, uptr, length, (prot & 2) !== 0);
  const rc = ioptMapPages(iopt, [{ pages, startByte: uptr - pages.uptr, length }], length, dst, prot, allocIova);
  // iopt_map_pages took its own kref per slice; drop the allocation reference.
  pages.kref--;
  return rc;
}

/**
 * iopt_map_file_pages (v6.13): map `length` bytes of a file from byte `start` at dst.iova;
 * `fileEnd` gives the VA past the file's last byte (its shared mapping; -1 for a file that
 * is not shmem). Pinning is lazy: past-EOF or non-shmem errors (-EINVAL) surface at the
 * first fill (here, when the IOAS has a domain; otherwise at attach or access).
 */
export function ioptMapFilePages(iopt: IoPagetable, dst: { iova: number }, fileVa: number, start: number, length: number, fileEnd: () => number, prot: number, allocIova: boolean): number {
  if (!length) return -ERRNO.EINVAL;
  if (fileVa + start + length > IOVA_MAX) return -ERRNO.EOVERFLOW;
  if (iopt.env.fail.shouldFail('iopt_pages')) return -ERRNO.ENOMEM;
  const pages = new IoptPages(iopt.env.mm, fileVa + start, length, (prot & 2) !== 0);
  pages.fileEnd = fileEnd;
  const rc = ioptMapPages(iopt, [{ pages, startByte: fileVa + start - pages.uptr, length }], length, dst, prot, allocIova);
  pages.kref--;
  return rc;
}

/** iopt_get_pages: the slices backing [iova, iova+length); -ENOENT on any hole. */
export function ioptGetPages(iopt: IoPagetable, iova: number, length: number): PagesSlice[] | number {
  if (!length) return -ERRNO.EINVAL;
  const last = iova + length - 1;
  if (last > IOVA_MAX) return -ERRNO.EOVERFLOW;
  const areas = iopt.contigAreas(iova, last);
  if (!areas) return -ERRNO.ENOENT;
  const out: PagesSlice[] = [];
  for (const a of areas) {
    if (iopt.env.fail.shouldFail('iopt_pages_list')) return -ERRNO.ENOMEM;
    const s = Math.max(iova, a.iova);
    const e = Math.min(last, a.last);
    out.push({ pages: a.pages!, startByte: areaStartByte(a, s), length: e - s + 1 });
  }
  return out;
}

/** Callback the ctx gives for areas pinned by accesses (iommufd_access_notify_unmap). */
export type AccessNotify = (iopt: IoPagetable, iova: number, length: number) => void;

/**
 * iopt_unmap_iova_range: remove every area inside [start, last]. An area sticking out of
 * the range stops the walk with -ENOENT (areas before it stay unmapped, as in the kernel);
 * no area at all is -ENOENT. Accesses are asked to unpin first; if they do not, -EDEADLK.
 */
export function ioptUnmapIovaRange(iopt: IoPagetable, start: number, last: number, notify: AccessNotify | null): { rc: number; unmapped: number } {
  let unmapped = 0;
  let rc = -ERRNO.ENOENT;
  for (;;) {
    const area = iopt.areaIterFirst(start, last);
    if (!area) break;
    if (!area.pages) return { rc: -ERRNO.EBUSY, unmapped };
    if (area.iova < start || area.last > last) return { rc: -ERRNO.ENOENT, unmapped };
    if (area.numAccesses) {
      area.preventAccess = true;
      notify?.(iopt, area.iova, areaLength(area));
      if (area.numAccesses) {
        // v6.17 iommufd_access_notify_unmap: an internal access (a vIOMMU HW queue's pin)
        // never lets go: -EBUSY, and the area stays usable.
        const a = area;
        const internal = [...iopt.accesses].some((u) => (u as { internalPins?: (i: number, l: number) => boolean }).internalPins?.(a.iova, a.last));
        if (internal) {
          area.preventAccess = false;
          return { rc: -ERRNO.EBUSY, unmapped };
        }
        return { rc: -ERRNO.EDEADLK, unmapped };
      }
      continue;
    }
    const pages = area.pages;
    areaUnfillDomains(iopt, area);
    iopt.removeArea(area);
    pages.kref--;
    unmapped += areaLength(area);
  }
  if (unmapped) rc = 0;
  return { rc, unmapped };
}

/** iopt_unmap_iova: -EINVAL for length 0, -EOVERFLOW on wrap. */
export function ioptUnmapIova(iopt: IoPagetable, iova: number, length: number, notify: AccessNotify | null): { rc: number; unmapped: number } {
  if (!length) return { rc: -ERRNO.EINVAL, unmapped: 0 };
  if (iova + length - 1 > IOVA_MAX) return { rc: -ERRNO.EOVERFLOW, unmapped: 0 };
  return ioptUnmapIovaRange(iopt, iova, iova + length - 1, notify);
}

/** iopt_unmap_all: succeeds (0) on an empty table. */
export function ioptUnmapAll(iopt: IoPagetable, notify: AccessNotify | null): { rc: number; unmapped: number } {
  const r = ioptUnmapIovaRange(iopt, 0, IOVA_MAX, notify);
  if (r.rc === -ERRNO.ENOENT) r.rc = 0;
  return r;
}

/**
 * iopt_table_add_domain: raise iova_alignment (-EINVAL above PAGE_SIZE, -EADDRINUSE if an
 * area violates it), reserve outside the aperture (owner = domain), fill every area.
 */
export function ioptTableAddDomain(iopt: IoPagetable, domain: IommuDomain): number {
  if (iopt.domains.includes(domain)) return -ERRNO.EEXIST;
  const newAlign = Math.max(lowestPgsize(domain.pgsizeBitmap), iopt.iovaAlignment);
  if (newAlign > PAGE_SIZE) return -ERRNO.EINVAL;
  let rc = 0;
  if (newAlign !== iopt.iovaAlignment) {
    rc = iopt.checkIovaAlignment(newAlign);
    if (rc) return rc;
  }
  const g = domain.geometry;
  if (g.apertureStart !== 0) rc = iopt.reserveIova(0, g.apertureStart - 1, domain);
  if (!rc && g.apertureEnd < IOVA_MAX) rc = iopt.reserveIova(g.apertureEnd + 1, IOVA_MAX, domain);
  if (!rc && iopt.env.fail.shouldFail('iopt_domains_xa')) rc = -ERRNO.ENOMEM;
  if (rc) {
    iopt.removeReservedIova(domain);
    return rc;
  }
  // iopt_fill_domain: areas already stored elsewhere are only mapped; others get pinned.
  const done: IoptArea[] = [];
  for (const area of iopt.areas) {
    if (!area.pages) continue;
    if (!area.storageDomain) {
      rc = area.pages.pinRange(areaFirstIndex(area), areaLastIndex(area), iopt.env.fail);
      if (rc) break;
    }
    rc = mapAreaIntoDomain(iopt, area, domain);
    if (rc) {
      if (!area.storageDomain) area.pages.unpinRange(areaFirstIndex(area), areaLastIndex(area));
      break;
    }
    done.push(area);
  }
  if (rc) {
    for (const area of done) {
      unmapAreaFromDomain(area, domain);
      if (!area.storageDomain) area.pages!.unpinRange(areaFirstIndex(area), areaLastIndex(area));
    }
    iopt.removeReservedIova(domain);
    return rc;
  }
  for (const area of done) if (!area.storageDomain) area.storageDomain = domain;
  iopt.iovaAlignment = newAlign;
  iopt.domains.push(domain);
  return 0;
}

/** iopt_table_remove_domain: unfill (storage moves to a remaining domain), drop reserved. */
export function ioptTableRemoveDomain(iopt: IoPagetable, domain: IommuDomain): void {
  const idx = iopt.domains.indexOf(domain);
  if (idx < 0) return;
  // Compress like the kernel: swap with the tail entry.
  const tail = iopt.domains.pop()!;
  if (tail !== domain) iopt.domains[idx] = tail;
  for (const area of iopt.areas) {
    if (!area.pages) continue;
    unmapAreaFromDomain(area, domain);
    if (iopt.domains.length) {
      if (area.storageDomain === domain) area.storageDomain = iopt.domains[0]!;
    } else if (area.storageDomain) {
      area.pages.unpinRange(areaFirstIndex(area), areaLastIndex(area));
      area.storageDomain = null;
    }
  }
  iopt.removeReservedIova(domain);
  iopt.calculateIovaAlignment();
}

/**
 * iopt_area_split: make `iova` the last byte of a left area. Kernel errors: -EBUSY (no
 * pages / prevent_access), -EINVAL (alignment, accesses, or stored in a domain with large
 * pages allowed), -ENOMEM. With env.splitWithCut (the §1.5.7 proposal) the large-page guard
 * is replaced by cut_mapping(iova + 1) on every domain; a domain that cannot cut
 * (-EOPNOTSUPP) keeps the kernel's -EINVAL, any other cut error is returned.
 */
export function ioptAreaSplit(iopt: IoPagetable, area: IoptArea, iova: number): number {
  if (iova === area.iova || iova === area.last) return 0;
  if (!area.pages || area.preventAccess) return -ERRNO.EBUSY;
  const newStart = iova + 1;
  const align = iopt.iovaAlignment;
  if (newStart % align || areaStartByte(area, newStart) % align) return -ERRNO.EINVAL;
  if (iopt.env.fail.shouldFail('iopt_area')) return -ERRNO.ENOMEM;
  if (iopt.env.fail.shouldFail('iopt_area')) return -ERRNO.ENOMEM;
  if (area.numAccesses) return -ERRNO.EINVAL;
  if (area.storageDomain && !iopt.disableLargePages) {
    if (!iopt.env.splitWithCut) return -ERRNO.EINVAL;
    for (const d of iopt.domains) {
      const rc = d.ops.cutMapping(d, newStart);
      if (rc === -ERRNO.EOPNOTSUPP) return -ERRNO.EINVAL;
      if (rc) return rc;
    }
  }
  const lhs: IoptArea = { ...area, last: iova };
  const rhs: IoptArea = { ...area, iova: newStart, startByte: areaStartByte(area, newStart) };
  iopt.removeArea(area);
  iopt.insertArea(lhs);
  iopt.insertArea(rhs);
  area.pages.kref++;
  // Both halves now hold the domains' pin on a page they share (a sub-page split).
  if (area.storageDomain && areaLastIndex(lhs) === areaFirstIndex(rhs)) {
    const shared = areaFirstIndex(rhs);
    area.pages.pinRange(shared, shared, iopt.env.fail);
  }
  return 0;
}

/** Undo an area split: lhs and rhs become one area again (pins and kref restored). */
function ioptAreaMerge(iopt: IoPagetable, lhs: IoptArea, rhs: IoptArea): void {
  iopt.removeArea(lhs);
  iopt.removeArea(rhs);
  iopt.insertArea({ ...lhs, last: rhs.last });
  const pages = lhs.pages!;
  pages.kref--;
  if (lhs.storageDomain && areaLastIndex(lhs) === areaFirstIndex(rhs)) pages.unpinRange(areaFirstIndex(rhs), areaFirstIndex(rhs));
}

/**
 * iopt_cut_iova: split the areas containing each iova. The kernel stops at the first error
 * and keeps earlier splits; here earlier splits are merged back so a failed call leaves the
 * area layout unchanged (cuts in the domains are hitless and need no undo).
 */
export function ioptCutIova(iopt: IoPagetable, iovas: number[]): number {
  const done: number[] = [];
  for (const iova of iovas) {
    const area = iopt.areaIterFirst(iova, iova);
    if (!area) continue;
    const rc = ioptAreaSplit(iopt, area, iova);
    if (rc) {
      for (const at of done.reverse()) {
        const lhs = iopt.areaIterFirst(at, at)!;
        const rhs = iopt.areaIterFirst(at + 1, at + 1)!;
        ioptAreaMerge(iopt, lhs, rhs);
      }
      return rc;
    }
    if (iova !== area.iova && iova !== area.last) done.push(iova);
  }
  return 0;
}
