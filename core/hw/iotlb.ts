/**
 * Vendor-neutral IOTLB model, one per IOMMU instance (docs/architecture.md "Engine rules": it caches the dirty state).
 *
 * - Entries are tagged by the hardware domain tag (AMD DomainID, VT-d DID, SMMUv3 ASID) and
 *   keyed by (tag, page-size class, IOVA page number). Each caches the output address, the
 *   permissions and `dirtyKnown`: "a write through this entry needs no PTE update" (the PTE
 *   was already dirty, or hardware dirty updates were disabled when the entry was filled).
 *   A write that hits an entry with dirtyKnown=1 does not touch the PTE, so clearing D in
 *   memory without an invalidation loses later dirtying, exactly as on real hardware.
 * - Capacity is finite (entries). Replacement policy: fully associative, CLOCK (second
 *   chance): a hit sets the entry's reference bit; on a fill with the IOTLB full, the clock
 *   hand clears reference bits until it finds an unreferenced entry and evicts it.
 * - Entries leave the IOTLB only by eviction or by the invalidation methods below, which the
 *   vendor models call when they execute invalidation commands (never on their own).
 *
 * Hot path: no allocation. A typed-array open-addressing hash (linear probing, backward-shift
 * deletion) indexes the slots; the probe loops over the page-size classes currently cached.
 */
import { POW2 } from '../base/bits';

const EMPTY = -1;
/** 2^-n, exact, so iova * INV_POW2[s] equals iova / 2^s. */
const INV_POW2 = POW2.map((v) => 1 / v);
const INV_2_32 = 1 / 4294967296;

export class Iotlb {
  readonly capacity: number;
  /** Lookups that hit / missed (exact). */
  hits = 0;
  misses = 0;
  /** First IOVA after the entry returned by the last successful lookup. */
  hitEnd = 0;
  /** Entries evicted by the replacement policy, and removed by invalidation commands. */
  evictions = 0;
  invalidated = 0;

  private readonly mask: number;
  private readonly index: Int32Array; // hash bucket -> slot or EMPTY
  private readonly tag: Int32Array;
  private readonly vpnLo: Uint32Array;
  private readonly vpnHi: Uint32Array;
  private readonly sz: Uint8Array; // size class (log2 bytes); 0 = slot free
  readonly oa: Float64Array;
  readonly perm: Uint8Array;
  readonly dirtyKnown: Uint8Array;
  private readonly ref: Uint8Array;
  private readonly classCount = new Int32Array(64);
  private classes: number[] = [];
  private used = 0;
  private hand = 0;
  private readonly freeSlots: number[] = [];

  /** @param capacity number of entries (>= 1). */
  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('IOTLB capacity must be >= 1');
    this.capacity = capacity | 0;
    let buckets = 8;
    while (buckets < capacity * 2) buckets *= 2;
    this.mask = buckets - 1;
    this.index = new Int32Array(buckets).fill(EMPTY);
    this.tag = new Int32Array(capacity);
    this.vpnLo = new Uint32Array(capacity);
    this.vpnHi = new Uint32Array(capacity);
    this.sz = new Uint8Array(capacity);
    this.oa = new Float64Array(capacity);
    this.perm = new Uint8Array(capacity);
    this.dirtyKnown = new Uint8Array(capacity);
    this.ref = new Uint8Array(capacity);
    for (let i = capacity - 1; i >= 0; i--) this.freeSlots.push(i);
  }

  private static hash(lo: number, hi: number, tag: number, s: number): number {
    let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
    h ^= Math.imul(tag + (s << 20), 0x85ebca6b);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /**
   * Find the entry translating `iova` for `tag`. Returns the slot (>= 0) or -1. Counts a hit
   * or a miss. `oa[slot]` is the output address of the entry's first byte.
   */
  lookup(tag: number, iova: number): number {
    const cls = this.classes;
    for (let c = 0; c < cls.length; c++) {
      const s = cls[c]!;
      const vpn = Math.floor(iova * INV_POW2[s]!);
      const lo = vpn >>> 0;
      const hi = (vpn * INV_2_32) >>> 0;
      let h = Iotlb.hash(lo, hi, tag, s) & this.mask;
      for (;;) {
        const slot = this.index[h]!;
        if (slot === EMPTY) break;
        if (this.vpnLo[slot] === lo && this.vpnHi[slot] === hi && this.tag[slot] === tag && this.sz[slot] === s) {
          this.ref[slot] = 1;
          this.hits++;
          this.hitEnd = (vpn + 1) * POW2[s]!;
          return slot;
        }
        h = (h + 1) & this.mask;
      }
    }
    this.misses++;
    return -1;
  }

  /** Size class (log2 bytes) of the entry in `slot`. */
  sizeLg2(slot: number): number {
    return this.sz[slot]!;
  }

  /** First IOVA covered by the entry in `slot`. */
  base(slot: number): number {
    return (this.vpnHi[slot]! * 4294967296 + this.vpnLo[slot]!) * POW2[this.sz[slot]!]!;
  }

  /**
   * Insert (or replace) the entry covering `iova` with size 2^sizeLg2 (12 <= sizeLg2 <= 52).
   * `oa` is the output address of the entry's first byte. Returns the slot.
   */
  fill(tag: number, iova: number, sizeLg2: number, oa: number, perm: number, dirtyKnown: boolean): number {
    const vpn = Math.floor(iova / POW2[sizeLg2]!);
    const lo = vpn >>> 0;
    const hi = (vpn / 4294967296) >>> 0;
    let h = Iotlb.hash(lo, hi, tag, sizeLg2) & this.mask;
    let slot = EMPTY;
    for (;;) {
      const s = this.index[h]!;
      if (s === EMPTY) break;
      if (this.vpnLo[s] === lo && this.vpnHi[s] === hi && this.tag[s] === tag && this.sz[s] === sizeLg2) {
        slot = s;
        break;
      }
      h = (h + 1) & this.mask;
    }
    if (slot === EMPTY) {
      if (this.used === this.capacity) this.evictOne();
      slot = this.freeSlots.pop()!;
      this.used++;
      this.tag[slot] = tag;
      this.vpnLo[slot] = lo;
      this.vpnHi[slot] = hi;
      this.sz[slot] = sizeLg2;
      if (this.classCount[sizeLg2]++ === 0) this.classes = [...this.classes, sizeLg2].sort((a, b) => a - b);
      // Re-probe: eviction may have shifted buckets.
      h = Iotlb.hash(lo, hi, tag, sizeLg2) & this.mask;
      while (this.index[h] !== EMPTY) h = (h + 1) & this.mask;
      this.index[h] = slot;
    }
    this.oa[slot] = oa;
    this.perm[slot] = perm;
    this.dirtyKnown[slot] = dirtyKnown ? 1 : 0;
    this.ref[slot] = 1;
    return slot;
  }

  private evictOne(): void {
    for (;;) {
      const s = this.hand;
      this.hand = (this.hand + 1) % this.capacity;
      if (this.sz[s] === 0) continue;
      if (this.ref[s]) {
        this.ref[s] = 0;
        continue;
      }
      this.remove(s);
      this.evictions++;
      return;
    }
  }

  /** Remove the entry in `slot` (backward-shift deletion keeps probe chains intact). */
  private remove(slot: number): void {
    const s = this.sz[slot]!;
    let h = Iotlb.hash(this.vpnLo[slot]!, this.vpnHi[slot]!, this.tag[slot]!, s) & this.mask;
    while (this.index[h] !== slot) h = (h + 1) & this.mask;
    let hole = h;
    let j = (h + 1) & this.mask;
    for (;;) {
      const o = this.index[j]!;
      if (o === EMPTY) break;
      const home = Iotlb.hash(this.vpnLo[o]!, this.vpnHi[o]!, this.tag[o]!, this.sz[o]!) & this.mask;
      // Move o into the hole if its home bucket is not cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        this.index[hole] = o;
        hole = j;
      }
      j = (j + 1) & this.mask;
    }
    this.index[hole] = EMPTY;
    this.sz[slot] = 0;
    this.ref[slot] = 0;
    this.used--;
    this.freeSlots.push(slot);
    if (--this.classCount[s]! === 0) this.classes = this.classes.filter((c) => c !== s);
  }

  /**
   * Invalidate entries of `tag` (or every tag when tag < 0) that overlap [start, last]
   * (inclusive; pass 0 and Infinity for all addresses). Returns entries removed.
   */
  invalidate(tag: number, start: number, last: number): number {
    let n = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      const s = this.sz[slot]!;
      if (s === 0) continue;
      if (tag >= 0 && this.tag[slot] !== tag) continue;
      const b = this.base(slot);
      if (b > last || b + POW2[s]! - 1 < start) continue;
      this.remove(slot);
      n++;
    }
    this.invalidated += n;
    return n;
  }

  /** Invalidate everything (global invalidation). Returns entries removed. */
  invalidateAll(): number {
    return this.invalidate(-1, 0, Infinity);
  }

  /** Entries currently cached. */
  size(): number {
    return this.used;
  }

  /** Snapshot of cached entries, for the inspector and tests. */
  entries(): { tag: number; iova: number; sizeLg2: number; oa: number; perm: number; dirtyKnown: boolean }[] {
    const out = [];
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.sz[slot] === 0) continue;
      out.push({ tag: this.tag[slot]!, iova: this.base(slot), sizeLg2: this.sz[slot]!, oa: this.oa[slot]!, perm: this.perm[slot]!, dirtyKnown: this.dirtyKnown[slot] === 1 });
    }
    return out;
  }
}
