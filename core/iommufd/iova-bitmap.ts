/**
 * struct iova_bitmap (drivers/iommu/iommufd/iova_bitmap.c): writes dirty bits for a huge IOVA
 * range into a user bitmap without copying it, one pinned window at a time. The window is
 * at most `windowPages` user pages (the kernel: one page of struct page pointers = 512
 * pages = 2 MiB of bitmap = 64 GiB of IOVA at 4 KiB). An unaligned user pointer costs one
 * more page (pgoff); a record running past the window end is remembered as
 * set_ahead_length and applied at the start of the next window.
 *
 * Layout: bit n describes [iova + n*page_size, +page_size); bit n lives in u64 word n/64,
 * bit n%64 of a little-endian array, i.e. byte n/8, bit n%8. Bits are only ever set.
 * Source: drivers/iommu/iommufd/iova_bitmap.c (iova_bitmap_alloc, iova_bitmap_for_each,
 * iova_bitmap_set).
 */
import { ERRNO } from '../base/errno';
import type { IovaBitmapSink } from '../pt/types';
import type { AllocFailInjector } from '../base/fail-nth';
import { alignLg2 } from '../base/bits';
import { PAGE_SIZE } from './mm';
import type { Mm } from './mm';

/** Default window: PAGE_SIZE / sizeof(struct page *) pages. */
export const IOVA_BITMAP_WINDOW_PAGES = PAGE_SIZE / 8;

/** Counters of one request (for tests and the cost model). */
export interface IovaBitmapStats {
  windows: number;
  pinnedPages: number;
  setCalls: number;
  setAheads: number;
}

/** One request's bitmap iterator. */
export class IovaBitmap implements IovaBitmapSink {
  private readonly pgshift: number;
  private readonly pageSize: number;
  /** Total u64 words of the request. */
  private readonly totalWords: number;
  /** First word of the current window. */
  private baseWord = 0;
  /** Words in the current window. */
  private windowWords = 0;
  /** IOVA of bit 0 of the current window. */
  private windowIova = 0;
  private setAheadLength = 0;
  readonly stats: IovaBitmapStats = { windows: 0, pinnedPages: 0, setCalls: 0, setAheads: 0 };

  private constructor(
    private readonly mm: Mm,
    private readonly data: number,
    private readonly iova: number,
    private readonly length: number,
    pageSize: number,
    private readonly windowPages: number,
  ) {
    this.pageSize = pageSize;
    this.pgshift = alignLg2(pageSize);
    const nbits = Math.ceil(length / 2 ** this.pgshift);
    this.totalWords = Math.ceil(nbits / 64);
  }

  /**
   * iova_bitmap_alloc: allocate and map the first window. -ENOMEM on allocation failure or
   * when the first window cannot be pinned (the kernel's caller turns any error into ENOMEM).
   */
  static alloc(mm: Mm, fail: AllocFailInjector, data: number, iova: number, length: number, pageSize: number, windowPages = IOVA_BITMAP_WINDOW_PAGES): IovaBitmap | number {
    if (fail.shouldFail('iova_bitmap')) return -ERRNO.ENOMEM;
    const b = new IovaBitmap(mm, data, iova, length, pageSize, windowPages);
    const rc = b.get(fail);
    if (rc) return -ERRNO.ENOMEM;
    return b;
  }

  /** iova_bitmap_get: pin the window starting at baseWord. */
  private get(fail: AllocFailInjector): number {
    if (fail.shouldFail('iova_bitmap_window')) return -ERRNO.ENOMEM;
    const addr = this.data + this.baseWord * 8;
    const pgoff = addr % PAGE_SIZE;
    const remainingBytes = (this.totalWords - this.baseWord) * 8;
    let npages = Math.ceil(remainingBytes / PAGE_SIZE) + (pgoff ? 1 : 0);
    // An unaligned window needs its extra page to cover at least one word (kernel: 512 >> 1).
    npages = Math.min(npages, Math.max(this.windowPages, pgoff ? 2 : 1));
    const pageBase = addr - pgoff;
    if (!this.mm.accessOk(pageBase, npages * PAGE_SIZE)) return -ERRNO.EFAULT;
    this.windowWords = Math.min(Math.floor((npages * PAGE_SIZE - pgoff) / 8), this.totalWords - this.baseWord);
    this.windowIova = this.iova + this.baseWord * 64 * this.pageSize;
    this.stats.windows++;
    this.stats.pinnedPages += npages;
    return 0;
  }

  /** Length in bytes of IOVA the current window covers (clipped to the request end). */
  private windowLength(): number {
    const end = this.iova + this.length;
    return Math.min(this.windowWords * 64 * this.pageSize, end - this.windowIova);
  }

  /**
   * iova_bitmap_for_each: call fn(iova, length) once per window, applying set-ahead
   * first. Returns the first non-zero fn or pin result (the kernel's caller ignores it).
   */
  forEach(fail: AllocFailInjector, fn: (iova: number, length: number) => number): number {
    for (;;) {
      if (this.setAheadLength) {
        const len = this.setAheadLength;
        this.setAheadLength = 0;
        this.set(this.windowIova, len);
      }
      const rc = fn(this.windowIova, this.windowLength());
      if (rc) return rc;
      this.baseWord += this.windowWords;
      if (this.baseWord >= this.totalWords) return 0;
      const g = this.get(fail);
      if (g) return g;
    }
  }

  /** iova_bitmap_set: mark every page of [iova, iova+length) inside the window. */
  set(iova: number, length: number): void {
    this.stats.setCalls++;
    const windowBits = this.windowWords * 64;
    // A record starting before the window (a PTE straddling its start) is clipped to it.
    const firstBit = Math.max(0, Math.floor((iova - this.windowIova) / this.pageSize));
    let lastBit = Math.floor((iova + length - 1 - this.windowIova) / this.pageSize);
    if (lastBit < 0) return;
    const requestBits = this.totalWords * 64;
    if (lastBit >= windowBits) {
      const windowEnd = this.windowIova + windowBits * this.pageSize;
      // Set ahead only while bits remain in the request (2024 fix).
      if (this.baseWord + this.windowWords < this.totalWords) {
        this.setAheadLength = iova + length - windowEnd;
        this.stats.setAheads++;
      }
      lastBit = windowBits - 1;
    }
    if (firstBit > lastBit || this.baseWord * 64 + firstBit >= requestBits) return;
    this.setBits(this.baseWord * 64 + firstBit, this.baseWord * 64 + lastBit);
  }

  /** Set request bits [a, b] in user memory. */
  private setBits(a: number, b: number): void {
    let bit = a;
    while (bit <= b) {
      const byteAddr = this.data + Math.floor(bit / 8);
      const page = this.mm.pageBytes(byteAddr);
      const off = byteAddr % PAGE_SIZE;
      if (bit % 8 === 0 && b - bit >= 7) {
        // Whole bytes up to the end of this page or of the run.
        const nbytes = Math.min(PAGE_SIZE - off, Math.floor((b - bit + 1) / 8));
        page.fill(0xff, off, off + nbytes);
        bit += nbytes * 8;
      } else {
        page[off] = page[off]! | (1 << (bit % 8));
        bit++;
      }
    }
  }
}

/** ceil(length / page_size / 64) * 8: bytes a bitmap of this request occupies. */
export function dirtyBitmapBytes(length: number, pageSize: number): number {
  return Math.ceil(Math.ceil(length / pageSize) / 64) * 8;
}
