/**
 * struct iopt_pages: a pinned slice of user memory shared by one or more areas (an area
 * split or IOAS_COPY shares it). Pages are pinned lazily, when an area is loaded into its
 * first domain or an access pins them, and unpinned when the last user lets go; each page
 * is pinned at most once per iopt_pages however many areas and domains use it
 * (drivers/iommu/iommufd/pages.c, "pages are shared ... to minimize the number of pins").
 * Units: indexes are PAGE_SIZE (4 KiB) pages relative to the page-aligned `uptr`.
 */
import { ERRNO } from '../base/errno';
import type { AllocFailInjector } from '../base/fail-nth';
import { PAGE_SIZE } from './mm';
import type { Mm } from './mm';

/** Shared pinned user memory (struct iopt_pages). */
export class IoptPages {
  /** Page-aligned user VA of page 0. */
  readonly uptr: number;
  readonly npages: number;
  readonly writable: boolean;
  /** Areas (and in-flight copies) referencing this object (kref). */
  kref = 1;
  /** Physical address per page; valid while pinRefs[i] > 0. */
  readonly pfns: Float64Array;
  /** Users (domain-loaded areas + access pins) per page. */
  readonly pinRefs: Uint32Array;
  /** Pages currently pinned. */
  npinned = 0;

  /**
   * IOPT_ADDRESS_FILE pages (IOAS_MAP_FILE, v6.13): the end VA of the file's data (pages at
   * or past it are beyond EOF), or -1 for a file memfd_pin_folios refuses (not shmem /
   * hugetlbfs). Absent for IOPT_ADDRESS_USER pages.
   */
  fileEnd?: () => number;

  constructor(private readonly mm: Mm, uptr: number, length: number, writable: boolean) {
    this.uptr = Math.floor(uptr / PAGE_SIZE) * PAGE_SIZE;
    this.npages = Math.ceil((uptr + length) / PAGE_SIZE) - this.uptr / PAGE_SIZE;
    this.writable = writable;
    this.pfns = new Float64Array(this.npages);
    this.pinRefs = new Uint32Array(this.npages);
  }

  /**
   * Take one user reference on pages [first, last]; pins pages that had none. Returns 0,
   * -EFAULT (user memory not mapped) or -ENOMEM; on error nothing changes.
   */
  pinRange(first: number, last: number, fail: AllocFailInjector): number {
    let i = first;
    while (i <= last) {
      if (this.pinRefs[i]! > 0) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 <= last && this.pinRefs[j + 1] === 0) j++;
      const rc = fail.shouldFail('pfn_batch') ? -ERRNO.ENOMEM : this.fileBeyond(j) ? -ERRNO.EINVAL : this.mm.pin(this.uptr + i * PAGE_SIZE, j - i + 1, this.pfns, i);
      if (rc) {
        this.unwindPins(first, i - 1);
        return rc;
      }
      // Mark the run as held by this call so the loop skips it; refs are fixed below.
      for (let k = i; k <= j; k++) this.pinRefs[k] = 0x80000000;
      this.npinned += j - i + 1;
      i = j + 1;
    }
    for (let k = first; k <= last; k++) {
      this.pinRefs[k] = this.pinRefs[k] === 0x80000000 ? 1 : this.pinRefs[k]! + 1;
    }
    return 0;
  }

  /** memfd_pin_folios: -EINVAL for page `last` past EOF or a non-shmem file. */
  private fileBeyond(last: number): boolean {
    if (!this.fileEnd) return false;
    const end = this.fileEnd();
    return end < 0 || this.uptr + (last + 1) * PAGE_SIZE > Math.ceil(end / PAGE_SIZE) * PAGE_SIZE;
  }

  /** Undo a partial pinRange over [first, last]: release the runs this call pinned. */
  private unwindPins(first: number, last: number): void {
    for (let k = first; k <= last; k++) {
      if (this.pinRefs[k] === 0x80000000) {
        this.pinRefs[k] = 0;
        this.mm.unpin(this.uptr + k * PAGE_SIZE, 1);
        this.npinned--;
      }
    }
  }

  /** Drop one user reference on pages [first, last]; unpins pages that reach zero. */
  unpinRange(first: number, last: number): void {
    for (let k = first; k <= last; k++) {
      const r = this.pinRefs[k]!;
      if (r === 0) continue;
      this.pinRefs[k] = r - 1;
      if (r === 1) {
        this.mm.unpin(this.uptr + k * PAGE_SIZE, 1);
        this.npinned--;
      }
    }
  }

  /** Physical address of byte `startByte` (relative to uptr); the page must be pinned. */
  physAt(startByte: number): number {
    const idx = Math.floor(startByte / PAGE_SIZE);
    return this.pfns[idx]! + (startByte % PAGE_SIZE);
  }
}
