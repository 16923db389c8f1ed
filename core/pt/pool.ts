/**
 * Simulated physical memory for IO page-table pages.
 *
 * Each table page is 4 KiB = 512 entries of 64 bits, stored as one Uint32Array(1024): entry i
 * is the word pair [2i] (bits 31:0, "lo") and [2i+1] (bits 63:32, "hi"). No BigInt anywhere.
 *
 * Physical addresses: page index p lives at `base + p * 4096`. The default base
 * (TABLE_PHYS_BASE = 0xF000_0000_0000, 240 TiB) sits inside every format's OA space (Arm
 * 48-bit, AMD/VT-d 52-bit) and far above the guest memory the workloads map, so a table
 * pointer in an entry is never mistaken for guest memory. 2^32 pages fit below 2^48.
 *
 * Allocation goes through one allocator that counts pages (inUse, peak, allocs, frees) and
 * can be told to fail through a shared {@link FailNth} (kernel fail_nth), so -ENOMEM unwinding
 * can be tested at every allocation site. Freed pages are really freed: their memory is
 * dropped and the index recycled, so occupancy returns to its start value.
 */
import { FailNth } from '../base/fail-nth';

/** Bytes per table page. */
export const TABLE_PAGE_BYTES = 4096;
/** 64-bit entries per table page. */
export const TABLE_ENTRIES = 512;
/** Default physical address of table page 0 (see module comment). */
export const TABLE_PHYS_BASE = 0xf000_0000_0000;

const EMPTY_PAGE = new Uint32Array(0);
/** Pages per memory chunk (1 MiB): table memory is contiguous within a chunk. */
export const CHUNK_PAGES_LG2 = 8;
const CHUNK_PAGES = 1 << CHUNK_PAGES_LG2;

/** Options of {@link TablePool}. */
export interface TablePoolOptions {
  /** Physical address of page index 0; 4 KiB aligned. Default {@link TABLE_PHYS_BASE}. */
  base?: number;
  /** Fault injection shared with other allocators; a private one when absent. */
  failNth?: FailNth;
  /** Hard limit on pages in use (allocation beyond it fails with -ENOMEM); default none. */
  maxPages?: number;
}

/** The table-page allocator and its memory. */
export class TablePool {
  /** Page memory by index (views into the chunks); freed pages hold an empty array. */
  readonly pages: Uint32Array[] = [];
  /**
   * The same memory as chunks of 2^CHUNK_PAGES_LG2 pages: page p is words
   * [(p & (CHUNK_PAGES-1)) << 10, +1024) of chunks[p >>> CHUNK_PAGES_LG2]. Hot paths index it
   * directly, skipping the per-page view objects.
   */
  readonly chunks: Uint32Array[] = [];
  readonly base: number;
  /** Page frame number of page 0 (base / 4096). */
  readonly basePfn: number;
  readonly failNth: FailNth;
  readonly maxPages: number;
  private readonly freeIdx: number[] = [];
  /** Pages currently allocated. */
  inUse = 0;
  /** Highest inUse seen. */
  peak = 0;
  /** Successful allocations / frees since creation. */
  allocs = 0;
  frees = 0;
  /** Allocation attempts refused (fail_nth or maxPages). */
  failures = 0;

  constructor(opts: TablePoolOptions = {}) {
    this.base = opts.base ?? TABLE_PHYS_BASE;
    if (this.base % TABLE_PAGE_BYTES !== 0) throw new RangeError('TablePool base must be 4 KiB aligned');
    this.basePfn = this.base / TABLE_PAGE_BYTES;
    this.failNth = opts.failNth ?? new FailNth();
    this.maxPages = opts.maxPages ?? Number.MAX_SAFE_INTEGER;
  }

  /** Convenience: arm the shared fail_nth counter so the n-th allocation fails. */
  failNthAlloc(n: number): void {
    this.failNth.arm(n);
  }

  /**
   * Allocate one zeroed table page. Returns its page index, or -1 when the allocation fails
   * (injected failure or maxPages reached) — callers return -ENOMEM.
   */
  alloc(site = 'pt_table'): number {
    if (this.failNth.shouldFail(site) || this.inUse >= this.maxPages) {
      this.failures++;
      return -1;
    }
    let idx: number;
    if (this.freeIdx.length > 0) {
      idx = this.freeIdx.pop()!;
    } else {
      idx = this.pages.length;
      this.pages.push(EMPTY_PAGE);
      if ((idx & (CHUNK_PAGES - 1)) === 0) this.chunks.push(new Uint32Array(CHUNK_PAGES * TABLE_ENTRIES * 2));
    }
    const off = (idx & (CHUNK_PAGES - 1)) * TABLE_ENTRIES * 2;
    this.pages[idx] = this.chunks[idx >>> CHUNK_PAGES_LG2]!.subarray(off, off + TABLE_ENTRIES * 2);
    this.allocs++;
    if (++this.inUse > this.peak) this.peak = this.inUse;
    return idx;
  }

  /** Free a page (its contents are discarded). Freeing a free page throws (a simulator bug). */
  free(idx: number): void {
    const mem = this.pages[idx];
    if (mem === undefined || mem === EMPTY_PAGE) throw new Error(`TablePool: double free of page ${idx}`);
    mem.fill(0); // the next user of this page gets zeroed memory
    this.pages[idx] = EMPTY_PAGE;
    this.freeIdx.push(idx);
    this.frees++;
    if (--this.inUse === 0) {
      // Everything is free: really release the memory.
      this.pages.length = 0;
      this.chunks.length = 0;
      this.freeIdx.length = 0;
    }
  }

  /** Whether page idx is currently allocated. */
  isAllocated(idx: number): boolean {
    const p = this.pages[idx];
    return p !== undefined && p !== EMPTY_PAGE;
  }

  /** Physical address of page idx, bytes. */
  phys(idx: number): number {
    return this.base + idx * TABLE_PAGE_BYTES;
  }

  /** Page index of a physical table address, or -1 when it is not a pool page. */
  indexOfPhys(phys: number): number {
    const idx = (phys - this.base) / TABLE_PAGE_BYTES;
    return Number.isInteger(idx) && idx >= 0 && idx < this.pages.length ? idx : -1;
  }

  /** Bytes of table memory in use. */
  bytesInUse(): number {
    return this.inUse * TABLE_PAGE_BYTES;
  }
}
