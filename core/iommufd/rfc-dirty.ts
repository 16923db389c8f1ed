/**
 * The RFC v1 (2022) dirty read path as posted, selected by the iommufd option
 * `rfcIovaBitmap` (default false = mainline struct iova_bitmap, core/iommufd/iova_bitmap.ts):
 * patch 03 `iopt_read_and_clear_dirty_data` (the range must be exactly one area, -ENOENT
 * otherwise) → `iommu_read_and_clear_dirty` with the user-bitmap iterator
 * `iommufd_dirty_iter_*` and patch 01 `iommu_dirty_bitmap_record`
 * (docs/rfc-errata.md). Reproduces two of its errata:
 *
 * - E10 over-walk: the bitmap is `dirty_bitmap_bytes(length >> pgshift)` bytes, rounded up to
 *   u64 words, and each chunk's IOVA length is `(8 * iter_bytes) << pgshift`, so the last
 *   chunk walks up to 63 granules past `length`. The driver's read_and_clear_dirty runs over
 *   the whole chunk: present PTEs there (the next area) get D cleared and their bits land in
 *   the bitmap's padding bits, which the caller ignores → those dirty pages are lost.
 * - E11 unaligned bitmap: `record` kmaps `pages[idx]` and adds `start_offset` to it, but
 *   indexes `idx = offset / (PAGE_SIZE * 8)` as if every pinned page held PAGE_SIZE*8 bits
 *   from its start, so the last `start_offset` bytes of each page's bits are written past the
 *   end of that kmap'd page, into the physically next frame. Modelled with the mm's physical
 *   layout: when that frame is the one backing the next user page (hugepage-backed
 *   bitmap) the bits land where the user expects them; otherwise (ordinary buffers: frames
 *   are not contiguous) they go to a frame outside the user's bitmap and are lost to the
 *   caller (counted as `spilledBits`). `iter_bytes` also ignores the offset, so with a full
 *   window an unaligned chunk reaches past its pinned pages (`pages[npages]`): such records
 *   are counted as `outOfWindowBits` and not written.
 *
 * Errors propagate (the RFC returns the walk's result), unlike mainline's swallowing.
 */
import { ERRNO } from '../base/errno';
import type { IommuDomain } from '../iommu/types';
import { IOMMU_DIRTY_NO_CLEAR } from '../pt/types';
import type { IovaBitmapSink } from '../pt/types';
import type { IommufdCtx } from './ctx';
import type { DirtyReadStats, DirtyRequest } from './dirty';
import { alignLg2 } from '../base/bits';
import { newIotlbGather } from '../iommu/iommu';
import type { IoPagetable } from './io-pagetable';
import { dirtyBitmapBytes } from './iova-bitmap';
import { PAGE_SIZE } from './mm';
import type { Mm } from './mm';

/** Bits one pinned bitmap page holds: PAGE_SIZE * BITS_PER_BYTE. */
const BITS_PER_PAGE = PAGE_SIZE * 8;

/** Counters of one RFC read (for tests; the errata's observable traces). */
export interface RfcDirtyStats {
  /** iommufd_dirty_iter_get calls (chunks). */
  chunks: number;
  pinnedPages: number;
  /** iommu_dirty_bitmap_record calls. */
  records: number;
  /** Records at or past iova + length (E10: PTEs of the over-walked tail). */
  overwalkRecords: number;
  /** Bits written past the kmap'd page into a frame that is not the user's next bitmap page (E11). */
  spilledBits: number;
  /** Bits whose page index is past the pinned pages (E11 with a full unaligned window). */
  outOfWindowBits: number;
}

/**
 * struct iommu_dirty_bitmap of the RFC (patch 01) plus its `record`: the pinned pages of the
 * current chunk (user VAs; the kernel holds struct page pointers), their count, the chunk's
 * base IOVA and the offset of the user pointer in its first page.
 */
class RfcDirtyBitmap implements IovaBitmapSink {
  iova = 0;
  npages = 0;
  startOffset = 0;
  /** User VA of pages[0] (page aligned); pages[i] = pagesVa + i * PAGE_SIZE. */
  pagesVa = 0;

  constructor(
    private readonly mm: Mm,
    private readonly pgshift: number,
    private readonly reqEnd: number,
    readonly stats: RfcDirtyStats,
  ) {}

  /** iommu_dirty_bitmap_record (RFC patch 01). */
  set(iova: number, length: number): void {
    this.stats.records++;
    if (iova >= this.reqEnd) this.stats.overwalkRecords++;
    const gran = 2 ** this.pgshift;
    let nbits = Math.max(1, Math.floor(length / gran));
    // Unsigned in the kernel: a record starting before the chunk wraps to a huge index.
    if (iova < this.iova) {
      this.stats.outOfWindowBits += nbits;
      return;
    }
    let offset = Math.floor((iova - this.iova) / gran);
    let idx = Math.floor(offset / BITS_PER_PAGE);
    offset %= BITS_PER_PAGE;
    while (nbits > 0) {
      const size = Math.min(BITS_PER_PAGE - offset, nbits);
      if (idx >= this.npages) {
        this.stats.outOfWindowBits += nbits;
        return;
      }
      // kaddr = kmap(pages[idx]) + start_offset; bitmap_set(kaddr, offset, size)
      this.setBits(this.pagesVa + idx * PAGE_SIZE, offset, size);
      nbits -= size;
      offset = 0;
      idx++;
    }
  }

  /** bitmap_set on kmap(page) + start_offset: bytes past the page go to the next physical frame. */
  private setBits(pageVa: number, first: number, n: number): void {
    const pagePhys = this.mm.translate(pageVa);
    for (let b = first; b < first + n; b++) {
      const byteOff = this.startOffset + (b >> 3);
      const va = pageVa + byteOff;
      if (byteOff >= PAGE_SIZE && this.mm.translate(va) !== pagePhys + byteOff) {
        this.stats.spilledBits++;
        continue;
      }
      const page = this.mm.pageBytes(va);
      page[va % PAGE_SIZE] = page[va % PAGE_SIZE]! | (1 << (b & 7));
    }
  }
}

/**
 * RFC v1 iopt_read_and_clear_dirty_data for one domain. -ENOENT unless [iova, iova+length)
 * is exactly one area; -EOPNOTSUPP without dirty ops; -ENOMEM when the page-pointer page
 * cannot be allocated; -EINVAL when a chunk cannot be pinned; driver errors as returned.
 */
export function rfcReadAndClearDirtyData(ctx: IommufdCtx, iopt: IoPagetable, domain: IommuDomain, flags: number, req: DirtyRequest, stats?: DirtyReadStats, rfcStats?: RfcDirtyStats): number {
  const last = req.iova + req.length - 1;
  const area = iopt.areasIn(req.iova, last).find((a) => a.iova === req.iova && a.last === last);
  if (!area) return -ERRNO.ENOENT; // iopt_find_exact_area
  const ops = domain.dirtyOps;
  if (!ops) return -ERRNO.EOPNOTSUPP;
  const st: RfcDirtyStats = rfcStats ?? { chunks: 0, pinnedPages: 0, records: 0, overwalkRecords: 0, spilledBits: 0, outOfWindowBits: 0 };
  const pgshift = alignLg2(req.page_size);
  // iommufd_dirty_iter_init: bitmap_len = dirty_bitmap_bytes(length >> pgshift); one page of page pointers.
  const bitmapLen = dirtyBitmapBytes(req.length, req.page_size);
  if (ctx.fail.shouldFail('iova_bitmap')) return -ERRNO.ENOMEM;
  const maxPages = ctx.options.bitmapWindowPages;
  const dirty = new RfcDirtyBitmap(ctx.mm, pgshift, req.iova + req.length, st);
  const gather = newIotlbGather();
  const dflags = flags & IOMMU_DIRTY_NO_CLEAR;
  const pinned = new Float64Array(maxPages);
  let consumed = 0;
  let calls = 0;
  let rc = 0;
  while (bitmapLen - consumed > 0) {
    // iommufd_dirty_iter_get: pin iov_iter_npages(iter, 512) pages from the current address.
    const addr = req.data + consumed;
    const pageVa = addr - (addr % PAGE_SIZE);
    const npages = Math.min(maxPages, Math.ceil((req.data + bitmapLen - pageVa) / PAGE_SIZE));
    if (ctx.fail.shouldFail('iova_bitmap_window') || ctx.mm.pin(pageVa, npages, pinned, 0)) {
      rc = -ERRNO.EINVAL;
      break;
    }
    st.chunks++;
    st.pinnedPages += npages;
    dirty.npages = npages;
    dirty.pagesVa = pageVa;
    dirty.iova = req.iova + 8 * consumed * req.page_size; // iommufd_dirty_iova
    dirty.startOffset = addr % PAGE_SIZE;
    // iommufd_dirty_iter_bytes ignores start_offset (E11); the IOVA length is derived from bytes (E10).
    const iterBytes = Math.min(bitmapLen - consumed, npages * PAGE_SIZE);
    const chunkLength = 8 * iterBytes * req.page_size;
    calls++;
    rc = ops.readAndClearDirty(domain, dirty.iova, chunkLength, dflags, { bitmap: dirty, gather });
    ctx.mm.unpin(pageVa, npages); // iommufd_dirty_iter_put
    if (rc) break;
    consumed += iterBytes; // iommufd_dirty_iter_advance
  }
  let syncs = 0;
  if (!(flags & IOMMU_DIRTY_NO_CLEAR)) {
    domain.ops.iotlbSync(domain, gather); // one flush for the whole request
    syncs = 1;
  }
  if (stats) {
    stats.windows += st.chunks;
    stats.driverCalls += calls;
    stats.iotlbSyncs += syncs;
    stats.swallowed = 0;
  }
  return rc;
}
