/**
 * A simulated process address space (the mm an iommufd ctx pins from). It stands in for
 * mmap + pin_user_pages + copy_{from,to}_user: regions are created with {@link Mm.mmap},
 * each 4 KiB page gets a physical frame, and byte contents are stored lazily (only pages
 * that are written hold a buffer), so a 256 MiB buffer costs nothing until touched.
 *
 * Physical placement ({@link MmBacking}): ordinary regions ('4k') get frames with a one-frame
 * gap between neighbours, so a normal buffer is never physically contiguous beyond 4 KiB (as
 * with a fragmented host); 'hugetlb-2m' / 'hugetlb-1g' regions get one naturally aligned
 * contiguous frame per huge page, the huge pages themselves not contiguous with each other
 * (hugetlbfs pages come from a pool, in no particular physical order); 'thp' is 'hugetlb-2m'
 * with a fraction of its 2 MiB extents left as scattered 4 KiB frames (a fragmented host:
 * khugepaged could not collapse them); 'contiguous' (MAP_HUGETLB in the selftests, and the
 * what-if of a perfectly contiguous pool) is one contiguous 2 MiB-aligned run. Only the huge
 * kinds can be mapped with large IOPTEs. All addresses are bytes below 2^53.
 */
import type { AllocFailInjector } from '../base/fail-nth';
import { NO_FAIL } from '../base/fail-nth';
import { ERRNO } from '../base/errno';

/** Host PAGE_SIZE (x86-64 / arm64 4K kernel), bytes. */
export const PAGE_SIZE = 4096;
/** Transparent/HugeTLB PMD size, bytes (hpage_pmd_size fallback of the selftests). */
export const HUGEPAGE_SIZE = 2 * 1024 * 1024;

/** Pages per pin-count chunk (32 Ki pages = 128 MiB of user memory; the per-chunk total fits a u16). */
const PIN_CHUNK = 32768;

/** How a region is backed physically (see the module comment). */
export type MmBacking = '4k' | 'thp' | 'hugetlb-2m' | 'hugetlb-1g' | 'contiguous';

const GIB = 2 ** 30;

interface Region {
  start: number;
  length: number;
  backing: MmBacking;
  /** Physical address of page 0 (contiguous), of huge page 0 (huge pages spaced by 2 × their size), or the gapped 4 KiB run's base. */
  physBase: number;
  /** 'thp': fraction of 2 MiB extents backed by scattered 4 KiB frames; their frames start at fragBase. */
  frag: number;
  fragBase: number;
  /** Offset of this region's start in the mmap it was cut from (munmap of a head). */
  cutOffset?: number;
}

/** Deterministic per-extent draw in [0, 1) for 'thp' fragmentation (no RNG state: placement is a pure function). */
function extentDraw(idx: number): number {
  let h = Math.imul(idx ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** A shmem file (memfd): its shared mapping's VA and size, bytes. */
export interface Memfd {
  fd: number;
  va: number;
  size: number;
  capacity: number;
}

/** Process address space model. */
export class Mm {
  private regions: Region[] = [];
  private nextVa = 0x7f00_0000_0000 - 0x10_0000_0000;
  private nextPhys = 0x1_0000_0000;
  private readonly bytes = new Map<number, Uint8Array>();
  /**
   * Pin counts per page index (VmPin accounting), in chunks of PIN_CHUNK pages so a 1 TiB
   * guest (2^28 pages) fits: a Map keyed per page tops out near 2^24 entries.
   */
  private readonly pinChunks = new Map<number, Uint16Array>();
  /** Total pinned pages (the kernel's locked_vm / VmPin). */
  pinnedPages = 0;
  /**
   * RLIMIT_MEMLOCK of the process, in pages (default: unlimited). Pinning beyond it fails
   * with -ENOMEM, as incr_user_locked_vm (drivers/iommu/iommufd/pages.c) refuses when
   * locked_vm would exceed rlimit(RLIMIT_MEMLOCK) without CAP_IPC_LOCK. The CLI sets it from
   * this machine's memory, so a script cannot pin more than the simulator can hold.
   */
  memlockPages = Infinity;
  /** Pins refused by {@link memlockPages} so far. */
  memlockRefusals = 0;

  /** Whether `npages` more pages may be pinned under {@link memlockPages}; counts a refusal. */
  memlockAllows(npages: number): boolean {
    if (this.pinnedPages + npages <= this.memlockPages) return true;
    this.memlockRefusals++;
    return false;
  }

  constructor(private readonly fail: AllocFailInjector = NO_FAIL) {}

  /**
   * mmap(NULL, length, RW, MAP_SHARED|MAP_ANONYMOUS[|MAP_HUGETLB]): returns the user VA.
   * Huge regions are 2 MiB aligned in VA and PA; length rounds up to PAGE_SIZE (or 2 MiB).
   */
  mmap(length: number, opts: { hugepages?: boolean; backing?: MmBacking; thpFragmentation?: number } = {}): number {
    const backing: MmBacking = opts.backing ?? (opts.hugepages ? 'contiguous' : '4k');
    const unit = backing === 'hugetlb-1g' ? GIB : backing === '4k' ? PAGE_SIZE : HUGEPAGE_SIZE;
    const len = Math.ceil(Math.max(length, 1) / unit) * unit;
    const vaAlign = backing === 'hugetlb-1g' ? GIB : HUGEPAGE_SIZE;
    const va = Math.ceil(this.nextVa / vaAlign) * vaAlign;
    this.nextVa = va + len + HUGEPAGE_SIZE; // guard gap between regions
    const physAlign = backing === 'hugetlb-1g' ? GIB : HUGEPAGE_SIZE;
    const physBase = Math.ceil(this.nextPhys / physAlign) * physAlign;
    // Contiguous: the run; huge pages: each page followed by a gap of its size; 4K: gapped frames.
    const span = backing === 'contiguous' ? len : 2 * len;
    let fragBase = 0;
    const frag = backing === 'thp' ? Math.min(1, Math.max(0, opts.thpFragmentation ?? 0)) : 0;
    this.nextPhys = physBase + span + physAlign;
    if (frag > 0) {
      fragBase = Math.ceil(this.nextPhys / HUGEPAGE_SIZE) * HUGEPAGE_SIZE;
      this.nextPhys = fragBase + 2 * len + HUGEPAGE_SIZE;
    }
    this.regions.push({ start: va, length: len, backing, physBase, frag, fragBase });
    return va;
  }

  /** memfds by file descriptor (memfd_create + ftruncate + mmap MAP_SHARED, the selftests' memfd_mmap). */
  private readonly memfds = new Map<number, Memfd>();
  private nextMemfd = 1000;

  /**
   * memfd_create + ftruncate(size) + mmap(MAP_SHARED) of the whole file (the selftests'
   * memfd_mmap): returns the fd and the VA of the shared mapping (bytes, PAGE_SIZE rounded;
   * hugepages = a hugetlbfs file). The file cannot grow past its first size.
   */
  memfdCreate(size: number, opts: { hugepages?: boolean } = {}): { fd: number; va: number } {
    const va = this.mmap(size, opts);
    const fd = this.nextMemfd++;
    this.memfds.set(fd, { fd, va, size, capacity: size });
    return { fd, va };
  }

  /** ftruncate(fd, size): 0, -EBADF (not a memfd of this process), -EINVAL (growing past the first size). */
  ftruncate(fd: number, size: number): number {
    const m = this.memfds.get(fd);
    if (!m) return -ERRNO.EBADF;
    if (size < 0 || size > m.capacity) return -ERRNO.EINVAL;
    m.size = size;
    return 0;
  }

  /** The memfd behind `fd`, or undefined. */
  memfd(fd: number): Memfd | undefined {
    return this.memfds.get(fd);
  }

  /** munmap: later pins of the range fail with -EFAULT; existing pins stay valid. */
  munmap(va: number, length: number): void {
    const out: Region[] = [];
    for (const r of this.regions) {
      const end = r.start + r.length;
      if (end <= va || r.start >= va + length) {
        out.push(r);
        continue;
      }
      if (r.start < va) out.push({ ...r, length: va - r.start });
      if (end > va + length) {
        const cut = va + length - r.start;
        // The tail keeps its backing; its placement function is the original one shifted.
        out.push({ ...r, start: va + length, length: end - va - length, physBase: r.physBase, cutOffset: (r.cutOffset ?? 0) + cut } as Region);
      }
    }
    this.regions = out;
  }

  private regionAt(va: number): Region | undefined {
    for (const r of this.regions) if (va >= r.start && va < r.start + r.length) return r;
    return undefined;
  }

  private physOf(r: Region, offIn: number): number {
    const off = offIn + (r.cutOffset ?? 0);
    switch (r.backing) {
      case 'contiguous':
        return r.physBase + off;
      case 'hugetlb-1g': {
        const idx = Math.floor(off / GIB);
        return r.physBase + idx * 2 * GIB + (off - idx * GIB);
      }
      case 'thp':
      case 'hugetlb-2m': {
        const idx = Math.floor(off / HUGEPAGE_SIZE);
        if (r.frag > 0 && extentDraw(idx) < r.frag) {
          const page = Math.floor(off / PAGE_SIZE);
          return r.fragBase + page * 2 * PAGE_SIZE + (off % PAGE_SIZE);
        }
        return r.physBase + idx * 2 * HUGEPAGE_SIZE + (off - idx * HUGEPAGE_SIZE);
      }
      default: {
        const page = Math.floor(off / PAGE_SIZE);
        return r.physBase + page * 2 * PAGE_SIZE + (off % PAGE_SIZE);
      }
    }
  }

  /** Physical address backing user VA `va`, or -1 when unmapped. */
  translate(va: number): number {
    const r = this.regionAt(va);
    return r ? this.physOf(r, va - r.start) : -1;
  }

  /** True when [va, va+length) is entirely mapped (access_ok + present). */
  accessOk(va: number, length: number): boolean {
    let cur = va;
    const end = va + length;
    while (cur < end) {
      const r = this.regionAt(cur);
      if (!r) return false;
      cur = r.start + r.length;
    }
    return true;
  }

  /**
   * pin_user_pages_fast for `npages` pages from page-aligned `va`: writes physical addresses
   * into out[outIdx...]. Returns 0, -EFAULT (a page is not mapped; nothing left pinned) or
   * -ENOMEM (injected allocation failure, or {@link memlockPages} reached).
   */
  pin(va: number, npages: number, out: Float64Array, outIdx: number): number {
    if (this.fail.shouldFail('pin_user_pages')) return -ERRNO.ENOMEM;
    if (!this.memlockAllows(npages)) return -ERRNO.ENOMEM;
    let i = 0;
    while (i < npages) {
      // One region lookup per run of pages inside a region.
      const cur = va + i * PAGE_SIZE;
      const r = this.regionAt(cur);
      if (!r) {
        this.unpin(va, i);
        return -ERRNO.EFAULT;
      }
      const first = (cur - r.start) / PAGE_SIZE;
      const n = Math.min(npages - i, r.length / PAGE_SIZE - first);
      for (let k = 0; k < n; k++) out[outIdx + i + k] = this.physOf(r, (first + k) * PAGE_SIZE);
      this.addPins(cur / PAGE_SIZE, n, 1);
      i += n;
    }
    this.pinnedPages += npages;
    return 0;
  }

  /** unpin_user_pages for `npages` pages from page-aligned `va`. */
  unpin(va: number, npages: number): void {
    this.addPins(va / PAGE_SIZE, npages, -1);
    this.pinnedPages -= npages;
  }

  /** Add `delta` to the pin count of pages [idx, idx+n); drops chunks that reach zero pins. */
  private addPins(idx: number, n: number, delta: 1 | -1): void {
    let p = idx;
    const end = idx + n;
    while (p < end) {
      const c = Math.floor(p / PIN_CHUNK);
      let chunk = this.pinChunks.get(c);
      if (!chunk) {
        chunk = new Uint16Array(PIN_CHUNK + 1); // last slot: pinned pages in the chunk
        this.pinChunks.set(c, chunk);
      }
      const stop = Math.min(end, (c + 1) * PIN_CHUNK);
      for (let q = p - c * PIN_CHUNK, e = stop - c * PIN_CHUNK; q < e; q++) {
        const before = chunk[q];
        if (delta > 0 && before === 0xffff) throw new RangeError('pin count overflow');
        if (delta < 0 && before === 0) continue; // unpin of an unpinned page: nothing to drop
        chunk[q] = before + delta;
        if (before === 0) chunk[PIN_CHUNK]++;
        else if (before === 1 && delta < 0) chunk[PIN_CHUNK]--;
      }
      if (chunk[PIN_CHUNK] === 0) this.pinChunks.delete(c);
      p = stop;
    }
  }

  /** copy_from_user: -EFAULT when any byte is unmapped. */
  read(va: number, length: number): Uint8Array | number {
    if (!this.accessOk(va, length)) return -ERRNO.EFAULT;
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const a = va + done;
      const page = Math.floor(a / PAGE_SIZE);
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, length - done);
      const buf = this.bytes.get(page);
      if (buf) out.set(buf.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  /** copy_to_user: 0 or -EFAULT. */
  write(va: number, data: Uint8Array): number {
    if (!this.accessOk(va, data.length)) return -ERRNO.EFAULT;
    let done = 0;
    while (done < data.length) {
      const a = va + done;
      const page = Math.floor(a / PAGE_SIZE);
      const off = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, data.length - done);
      let buf = this.bytes.get(page);
      if (!buf) {
        buf = new Uint8Array(PAGE_SIZE);
        this.bytes.set(page, buf);
      }
      buf.set(data.subarray(done, done + n), off);
      done += n;
    }
    return 0;
  }

  /** Direct byte access for the bitmap writer: the page buffer holding `va` (allocated). */
  pageBytes(va: number): Uint8Array {
    const page = Math.floor(va / PAGE_SIZE);
    let buf = this.bytes.get(page);
    if (!buf) {
      buf = new Uint8Array(PAGE_SIZE);
      this.bytes.set(page, buf);
    }
    return buf;
  }

  /** Pin count of the page holding `va` (tests). */
  pinCount(va: number): number {
    const idx = Math.floor(va / PAGE_SIZE);
    return this.pinChunks.get(Math.floor(idx / PIN_CHUNK))?.[idx % PIN_CHUNK] ?? 0;
  }
}
