/**
 * One level of an IOMMU's paging-structure (walk) cache: the non-leaf entries of one table
 * level, tagged like the IOTLB (DomainID / DID / ASID) and keyed by the IOVA block each entry
 * covers. No vendor publishes how these caches are organised (docs/cost-model-sources.md
 * F&S, MMU-600, §2.5); the model is 4-way set-associative with round-robin replacement in
 * each set [estimate], which keeps the DMA path's per-miss work to a few comparisons.
 * Entries leave by replacement or by the invalidations the vendor models issue
 * (IommuHwModel.invalidateWalkCaches).
 */
const WAYS = 4;

export class WalkCache {
  /** Entries (sets × 4). */
  readonly capacity: number;
  private readonly setMask: number;
  /** 2^-blockLg2, exact: block number = floor(iova × inv). */
  private readonly inv: number;
  private readonly tag: Int32Array;
  /** Block number (IOVA >> block lg2) split into 32-bit halves; valid when tag >= 0. */
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private readonly next: Uint8Array;
  private used = 0;
  /** Entries replaced to make room. */
  evictions = 0;

  /** @param entries capacity (rounded up to a power-of-two number of 4-entry sets). */
  constructor(entries: number, private readonly blockLg2: number) {
    let sets = 1;
    while (sets * WAYS < entries) sets *= 2;
    this.setMask = sets - 1;
    this.capacity = sets * WAYS;
    this.inv = 2 ** -blockLg2;
    this.tag = new Int32Array(this.capacity).fill(-1);
    this.lo = new Uint32Array(this.capacity);
    this.hi = new Uint32Array(this.capacity);
    this.next = new Uint8Array(sets);
  }

  private set(lo: number, hi: number, tag: number): number {
    const h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d) ^ Math.imul(tag, 0x85ebca6b), 0x9e3779b1);
    return (h ^ (h >>> 15)) & this.setMask;
  }

  /** Whether the entry of `tag` covering `iova` is cached. */
  lookup(tag: number, iova: number): boolean {
    const b = Math.floor(iova * this.inv);
    const lo = b >>> 0;
    const hi = (b * 2.3283064365386963e-10) >>> 0;
    const s = this.set(lo, hi, tag) * WAYS;
    const t = this.tag;
    const l = this.lo;
    return (t[s] === tag && l[s] === lo && this.hi[s] === hi) ||
      (t[s + 1] === tag && l[s + 1] === lo && this.hi[s + 1] === hi) ||
      (t[s + 2] === tag && l[s + 2] === lo && this.hi[s + 2] === hi) ||
      (t[s + 3] === tag && l[s + 3] === lo && this.hi[s + 3] === hi);
  }

  /** Cache the entry of `tag` covering `iova` (replacing the set's round-robin victim when full). */
  fill(tag: number, iova: number): void {
    const b = Math.floor(iova * this.inv);
    const lo = b >>> 0;
    const hi = (b * 2.3283064365386963e-10) >>> 0;
    const si = this.set(lo, hi, tag);
    const s = si * WAYS;
    let free = -1;
    for (let w = s; w < s + WAYS; w++) {
      if (this.tag[w] === tag && this.lo[w] === lo && this.hi[w] === hi) return;
      if (free < 0 && this.tag[w] < 0) free = w;
    }
    if (free < 0) {
      free = s + this.next[si]!;
      this.next[si] = (this.next[si]! + 1) % WAYS;
      this.evictions++;
    } else this.used++;
    this.tag[free] = tag;
    this.lo[free] = lo;
    this.hi[free] = hi;
  }

  /** Drop the entries of `tag` (every tag when < 0) whose block overlaps [start, last]. Returns how many. */
  invalidate(tag: number, start: number, last: number): number {
    if (this.used === 0) return 0;
    const size = 2 ** this.blockLg2;
    let n = 0;
    for (let w = 0; w < this.capacity; w++) {
      const t = this.tag[w]!;
      if (t < 0 || (tag >= 0 && t !== tag)) continue;
      const base = (this.hi[w]! * 4294967296 + this.lo[w]!) * size;
      if (base > last || base + size - 1 < start) continue;
      this.tag[w] = -1;
      this.used--;
      n++;
    }
    return n;
  }

  /** Entries cached. */
  size(): number {
    return this.used;
  }
}
