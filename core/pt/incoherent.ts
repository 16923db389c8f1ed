/**
 * PT_FEAT_DMA_INCOHERENT: page-table walkers that do not snoop CPU caches (VT-d with
 * ECAP.SMPWC = 0 in scalable mode or ECAP.C = 0 in legacy mode, an SMMUv3 without
 * IDR0.COHACC). Every CPU write to a table must be written back (clflush_cache_range on x86,
 * dma_sync_single_for_device elsewhere) before the hardware may rely on it, and a new table
 * must be written back whole before any entry points at it.
 *
 * Modelled as in drivers/iommu/generic_pt/iommu_pt.h and drivers/iommu/iommu-pages.c:
 * - iommu_pages_start_incoherent(table): write back the whole 4 KiB table and mark it
 *   (ioptdesc->incoherent); may fail (dma_map_single error → -EINVAL), then the table is
 *   freed and the error returned;
 * - flush_writes_range / flush_writes_item: write back items [start, end) of one table,
 *   once per level walk (the kernel's write log), counted in 64-byte cache lines;
 * - iommu_pages_stop_incoherent: when a table is freed.
 * The per-table `flushed` bit is a hitless probe (cut_mapping's promise, docs/threads.md): the
 * walker treats an entry pointing at a table that was never written back as a
 * hardware-visible error (translation fault), so a test can prove write-back precedes install.
 * Per-entry staleness (a leaf written but not yet written back) is not modelled: the map and
 * unmap paths write back before returning, as the kernel does.
 */
import { FailNth } from '../base/fail-nth';
import { ERRNO } from '../base/errno';

/** Bytes per 64-bit table item (PT_ITEM_WORD_SIZE). */
const ITEM_BYTES = 8;
/** CPU cache line, bytes (clflush granule). */
export const CACHE_LINE_BYTES = 64;
const TABLE_BYTES = 4096;

/** Cache write-back counters of one page table (cumulative; callers may reset them). */
export interface IncoherentStats {
  /** iommu_pages_flush_incoherent calls (whole-table start_incoherent included). */
  flushes: number;
  /** Cache lines written back (clflush count on x86). */
  lines: number;
  /** Bytes requested (items × 8, or 4096 per whole table). */
  bytes: number;
  /** Tables made visible with start_incoherent (each a whole-table write-back). */
  tablesStarted: number;
  /** Hardware walks that reached a table never written back (must stay 0). */
  unflushedWalks: number;
}

/** The write-back state of one DMA-incoherent page table. */
export class IncoherentCache {
  readonly stats: IncoherentStats = { flushes: 0, lines: 0, bytes: 0, tablesStarted: 0, unflushedWalks: 0 };
  /**
   * Fault injection for the write-back of a new table (start_incoherent), independent of the
   * allocators' fail_nth: arm(n) makes the n-th following start fail with -EINVAL.
   */
  readonly failStart = new FailNth();
  /** flushed[page] = 1 once start_incoherent wrote the table back (pool page index). */
  private flushedBits = new Uint8Array(1024);

  /** The per-page bits, for the walker's hot path (may be replaced when it grows). */
  get flushed(): Uint8Array {
    return this.flushedBits;
  }

  /** A freshly allocated table: not visible to the hardware yet. */
  onAlloc(page: number): void {
    if (page >= this.flushedBits.length) {
      let n = this.flushedBits.length;
      while (n <= page) n *= 2;
      const b = new Uint8Array(n);
      b.set(this.flushedBits);
      this.flushedBits = b;
    }
    this.flushedBits[page] = 0;
  }

  /**
   * iommu_pages_start_incoherent: write the whole table back and mark it visible.
   * Returns 0, or -EINVAL when the injected failure fires (the caller frees the table).
   */
  start(page: number): number {
    if (this.failStart.shouldFail('iommu_pages_start_incoherent')) return -ERRNO.EINVAL;
    this.writeBack(0, TABLE_BYTES);
    this.stats.tablesStarted++;
    this.flushedBits[page] = 1;
    return 0;
  }

  /** iommu_pages_stop_incoherent: the table is leaving the tree (freed). */
  stop(page: number): void {
    if (page < this.flushedBits.length) this.flushedBits[page] = 0;
  }

  /** flush_writes_range: write back items [start, end) of one table. */
  flushRange(start: number, end: number): void {
    if (end > start) this.writeBack(start * ITEM_BYTES, (end - start) * ITEM_BYTES);
  }

  /** Whether the table at `page` was written back (what the walker may follow). */
  isFlushed(page: number): boolean {
    return page < this.flushedBits.length && this.flushedBits[page] === 1;
  }

  private writeBack(offset: number, len: number): void {
    const s = this.stats;
    s.flushes++;
    s.bytes += len;
    // clflush_cache_range: every line the byte range touches.
    s.lines += Math.floor((offset + len - 1) / CACHE_LINE_BYTES) - Math.floor(offset / CACHE_LINE_BYTES) + 1;
  }
}
