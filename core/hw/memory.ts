/**
 * Simulated physical memory for IOMMU configuration structures (AMD device table, VT-d
 * root/context/PASID tables, SMMUv3 stream table and context descriptors, command and
 * event queues are not stored here: they are modelled as typed rings in core/hw/queue.ts).
 *
 * Memory is a sparse set of 4 KiB pages, each a Uint32Array of 1024 little-endian words, so
 * a 64-bit entry at byte offset `o` is words [o/4, o/4+1] = (lo, hi). Physical addresses are
 * byte values; allocation is deterministic (a bump allocator from `base`, freed pages are
 * reused lowest-first) so the same run always gives the same addresses.
 */
import { hex64 } from '../base/bitfield';

/** Size of one simulated page, bytes. */
export const SIM_PAGE_SIZE = 4096;

export class SimMemory {
  private readonly pages = new Map<number, Uint32Array>();
  private readonly free: number[] = [];
  private next: number;
  /** Number of 64-bit entry writes performed (for accounting; the driver also counts). */
  writes = 0;

  /** @param base first physical address handed out, bytes (4 KiB aligned). */
  constructor(private readonly base: number) {
    if (base % SIM_PAGE_SIZE !== 0) throw new RangeError('SimMemory base must be 4 KiB aligned');
    this.next = base;
  }

  /** Allocate `n` physically contiguous zeroed pages; returns the physical address of the first. */
  allocPages(n = 1): number {
    if (n === 1 && this.free.length > 0) {
      this.free.sort((a, b) => b - a);
      const pa = this.free.pop()!;
      this.pages.set(pa / SIM_PAGE_SIZE, new Uint32Array(1024));
      return pa;
    }
    const pa = this.next;
    for (let i = 0; i < n; i++) this.pages.set(pa / SIM_PAGE_SIZE + i, new Uint32Array(1024));
    this.next += n * SIM_PAGE_SIZE;
    return pa;
  }

  /** Free one page previously returned by allocPages. */
  freePage(pa: number): void {
    if (this.pages.delete(pa / SIM_PAGE_SIZE)) this.free.push(pa);
  }

  /** Whether `pa` is backed by an allocated page (an unbacked read is a fetch fault). */
  has(pa: number): boolean {
    return this.pages.has(Math.floor(pa / SIM_PAGE_SIZE)) || this.isReserved(pa);
  }

  /**
   * Reserve `n` contiguous pages whose backing is created on first write (reads of
   * untouched reserved pages return zeros). Used for large sparse tables such as the AMD
   * device table (64K × 32 bytes) and the SMMUv3 linear stream table.
   */
  reservePages(n: number): number {
    const pa = this.next;
    this.reserved.push([pa, pa + n * SIM_PAGE_SIZE]);
    this.next += n * SIM_PAGE_SIZE;
    return pa;
  }

  private readonly reserved: [number, number][] = [];
  private static readonly ZERO = new Uint32Array(1024);

  private isReserved(pa: number): boolean {
    for (const [s, e] of this.reserved) if (pa >= s && pa < e) return true;
    return false;
  }

  private page(pa: number, forWrite = false): Uint32Array {
    const pfn = Math.floor(pa / SIM_PAGE_SIZE);
    let p = this.pages.get(pfn);
    if (!p && this.isReserved(pa)) {
      if (!forWrite) return SimMemory.ZERO;
      this.pages.set(pfn, (p = new Uint32Array(1024)));
    }
    if (!p) throw new RangeError(`SimMemory: access to unbacked address 0x${pa.toString(16)}`);
    return p;
  }

  /** Read the naturally aligned 64-bit word at `pa`. Throws RangeError when unbacked. */
  read64(pa: number): bigint {
    const p = this.page(pa);
    const w = (pa % SIM_PAGE_SIZE) >>> 2;
    return (BigInt(p[w + 1]!) << 32n) | BigInt(p[w]!);
  }

  /** Write the naturally aligned 64-bit word at `pa` (a single-copy-atomic 64-bit store). */
  write64(pa: number, v: bigint): void {
    const p = this.page(pa, true);
    const w = (pa % SIM_PAGE_SIZE) >>> 2;
    const u = BigInt.asUintN(64, v);
    p[w] = Number(u & 0xffffffffn);
    p[w + 1] = Number(u >> 32n);
    this.writes++;
  }

  /** Read `n` consecutive 64-bit words starting at `pa` (an entry of n qwords). */
  readEntry(pa: number, n: number): bigint[] {
    const out: bigint[] = [];
    for (let i = 0; i < n; i++) out.push(this.read64(pa + 8 * i));
    return out;
  }

  /** Raw entry as hex qwords, for the inspector. */
  dump(pa: number, n: number): string[] {
    return this.readEntry(pa, n).map(hex64);
  }

  /** Pages currently allocated. */
  pageCount(): number {
    return this.pages.size;
  }
}
