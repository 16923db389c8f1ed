/**
 * The mock paging domain of selftest.c, xarray era (<= v6.18): the "page table" is a map
 * indexed by iova / MOCK_IO_PAGE_SIZE whose values hold the PFN (in 2 KiB units) and the
 * START/LAST, DIRTY and HUGE flags. Every 2 KiB sub-page has its own entry, also inside a
 * 1 MiB (huge) mapping; dirty state is per entry and a huge block counts as one PTE when
 * read. Chosen over the v6.19 iommupt mock because it needs no generic page table and its
 * observable behaviour in the dirty selftests is the same (drivers/iommu/iommufd/selftest.c,
 * tools/testing/selftests/iommu/iommufd.c).
 * No IOTLB: flushes are counted, never needed.
 */
import { ERRNO } from '../../base/errno';
import type { IotlbGather, IommuDirtyBitmap } from '../../pt/types';
import type { Device, IommuDirtyOps, IommuDomain, IommuDomainOps, IommuDevice } from '../types';
import {
  MOCK_APERTURE_LAST,
  MOCK_APERTURE_START,
  MOCK_HUGE_PAGE_SIZE,
  MOCK_IO_PAGE_SIZE,
  MOCK_PFN_DIRTY_IOVA,
  MOCK_PFN_FLAGS_DIV,
  MOCK_PFN_HUGE_IOVA,
  MOCK_PFN_LAST_IOVA,
  MOCK_PFN_START_IOVA,
} from './constants';

const D = MOCK_PFN_FLAGS_DIV;

function addRange(g: IotlbGather, iova: number, size: number): void {
  if (iova < g.start) g.start = iova;
  if (iova + size - 1 > g.end) g.end = iova + size - 1;
}

/** iommu_dirty_bitmap_record. */
function dirtyRecord(dirty: IommuDirtyBitmap, iova: number, len: number): void {
  dirty.bitmap?.set(iova, len);
  addRange(dirty.gather, iova, len);
}

/** Per-domain state the test ops inspect. */
export interface MockDomainStats {
  /** iotlb_sync / flush_iotlb_all calls (the mock has no IOTLB; counted for tests). */
  iotlbSyncs: number;
  /** WARN_ONs the kernel mock would print (unmap not a superset of a map, double map). */
  warnings: number;
}

/** struct mock_iommu_domain. */
export class MockDomain implements IommuDomain {
  readonly type = 'PAGING' as const;
  readonly pt = null;
  readonly devices = new Set<Device>();
  readonly geometry = { apertureStart: MOCK_APERTURE_START, apertureEnd: MOCK_APERTURE_LAST };
  readonly pfns = new Map<number, number>();
  /** MOCK_DIRTY_TRACK flag. */
  dirtyTracking = false;
  readonly stats: MockDomainStats = { iotlbSyncs: 0, warnings: 0 };
  readonly dirtyOps: IommuDirtyOps | null;
  readonly ops: IommuDomainOps;
  /** enforce_cache_coherency was called and succeeded (simulator-only op, see MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC). */
  enforcingCoherency = false;

  /**
   * @param enforceCc null: no enforce_cache_coherency op (the kernel mock); a boolean: the
   *   op exists and returns that value.
   */
  constructor(
    readonly driver: IommuDevice,
    readonly tag: number,
    readonly pgsizeBitmap: number,
    withDirtyOps: boolean,
    private readonly allocFails: () => boolean,
    enforceCc: boolean | null = null,
  ) {
    this.dirtyOps = withDirtyOps ? MOCK_DIRTY_OPS : null;
    this.ops = enforceCc === null ? MOCK_DOMAIN_OPS : { ...MOCK_DOMAIN_OPS, enforceCacheCoherency: enforceCc ? enforceCcOk : enforceCcFails } as IommuDomainOps;
  }

  /** xa_store with injected -ENOMEM. */
  storeFails(): boolean {
    return this.allocFails();
  }

  /**
   * IOMMU_TEST_OP_DIRTY helper: set DIRTY on the entry at iova if it exists.
   * Returns 0 or -ENOENT (no entry).
   */
  testMarkDirty(iova: number): number {
    const idx = Math.floor(iova / MOCK_IO_PAGE_SIZE);
    const v = this.pfns.get(idx);
    if (v === undefined) return -ERRNO.ENOENT;
    const f = v % D;
    if (!(f & MOCK_PFN_DIRTY_IOVA)) this.pfns.set(idx, v + MOCK_PFN_DIRTY_IOVA);
    return 0;
  }

  /** Whether the 2 KiB entry at iova is dirty (tests). */
  entryDirty(iova: number): boolean {
    const v = this.pfns.get(Math.floor(iova / MOCK_IO_PAGE_SIZE));
    return v !== undefined && ((v % D) & MOCK_PFN_DIRTY_IOVA) !== 0;
  }

  /** Test if any entry of [head, head+size) is dirty, clearing unless NO_CLEAR. */
  testAndClearDirty(head: number, size: number, flags: number): boolean {
    let dirty = false;
    for (let cur = head; cur < head + size; cur += MOCK_IO_PAGE_SIZE) {
      const idx = cur / MOCK_IO_PAGE_SIZE;
      const v = this.pfns.get(idx);
      if (v === undefined || !((v % D) & MOCK_PFN_DIRTY_IOVA)) continue;
      dirty = true;
      if (!(flags & 1)) this.pfns.set(idx, v - MOCK_PFN_DIRTY_IOVA);
    }
    return dirty;
  }
}

/** Simulator-only enforce_cache_coherency ops (MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC / _CC_BROKEN). */
function enforceCcOk(domain: IommuDomain): boolean {
  (domain as MockDomain).enforcingCoherency = true;
  return true;
}
function enforceCcFails(): boolean {
  return false;
}

const MOCK_DOMAIN_OPS: IommuDomainOps = {
  attachDev(domain: IommuDomain, dev: Device): number {
    return (domain.driver as unknown as { attachMock(d: IommuDomain, dev: Device): number }).attachMock(domain, dev);
  },
  mapPages(domain, iova, paddr, pgsize, pgcount, _prot, mapped) {
    const m = domain as MockDomain;
    if (iova % MOCK_IO_PAGE_SIZE || pgsize % MOCK_IO_PAGE_SIZE) return -ERRNO.EINVAL;
    if (m.storeFails()) return -ERRNO.ENOMEM;
    const start = iova;
    let flags = MOCK_PFN_START_IOVA;
    for (let n = pgcount; n > 0; n--) {
      for (let cur = 0; cur !== pgsize; cur += MOCK_IO_PAGE_SIZE) {
        if (n === 1 && cur + MOCK_IO_PAGE_SIZE === pgsize) flags |= MOCK_PFN_LAST_IOVA;
        if (pgsize !== MOCK_IO_PAGE_SIZE) flags |= MOCK_PFN_HUGE_IOVA;
        const idx = iova / MOCK_IO_PAGE_SIZE;
        if (m.pfns.has(idx)) {
          // The kernel WARNs and overwrites; refuse instead so overlaps are visible.
          m.stats.warnings++;
          for (let c = start; c !== iova; c += MOCK_IO_PAGE_SIZE) m.pfns.delete(c / MOCK_IO_PAGE_SIZE);
          mapped.bytes -= iova - start;
          return -ERRNO.EADDRINUSE;
        }
        m.pfns.set(idx, Math.floor(paddr / MOCK_IO_PAGE_SIZE) * D + flags);
        iova += MOCK_IO_PAGE_SIZE;
        paddr += MOCK_IO_PAGE_SIZE;
        mapped.bytes += MOCK_IO_PAGE_SIZE;
        flags = 0;
      }
    }
    return 0;
  },
  unmapPages(domain, iova, pgsize, pgcount, gather) {
    const m = domain as MockDomain;
    let ret = 0;
    let first = true;
    const checkMarkers = m.pgsizeBitmap === MOCK_IO_PAGE_SIZE;
    addRange(gather, iova, pgsize * pgcount);
    for (let n = pgcount; n > 0; n--) {
      for (let cur = 0; cur !== pgsize; cur += MOCK_IO_PAGE_SIZE) {
        const idx = iova / MOCK_IO_PAGE_SIZE;
        const v = m.pfns.get(idx);
        m.pfns.delete(idx);
        if (checkMarkers && v !== undefined) {
          if (first && !((v % D) & MOCK_PFN_START_IOVA)) m.stats.warnings++;
          if (n === 1 && cur + MOCK_IO_PAGE_SIZE === pgsize && !((v % D) & MOCK_PFN_LAST_IOVA)) m.stats.warnings++;
        }
        first = false;
        iova += MOCK_IO_PAGE_SIZE;
        ret += MOCK_IO_PAGE_SIZE;
      }
    }
    return ret;
  },
  iotlbSyncMap: () => 0,
  iotlbSync(domain) {
    (domain as MockDomain).stats.iotlbSyncs++;
  },
  flushIotlbAll(domain) {
    (domain as MockDomain).stats.iotlbSyncs++;
  },
  iovaToPhys(domain, iova) {
    const v = (domain as MockDomain).pfns.get(Math.floor(iova / MOCK_IO_PAGE_SIZE));
    if (v === undefined) return 0;
    return Math.floor(v / D) * MOCK_IO_PAGE_SIZE + (iova % MOCK_IO_PAGE_SIZE);
  },
  cutMapping(domain, iova) {
    // Every 2 KiB entry is its own PTE; a cut only ends the 1 MiB block's "huge" grouping
    // and records the new map boundary in the START/LAST markers. Hitless.
    const m = domain as MockDomain;
    const idx = Math.floor(iova / MOCK_IO_PAGE_SIZE);
    const v = m.pfns.get(idx);
    const prev = m.pfns.get(idx - 1);
    if (v === undefined && prev === undefined) return -ERRNO.ENOENT;
    if (iova % MOCK_IO_PAGE_SIZE) return -ERRNO.EINVAL;
    const blk = Math.floor(iova / MOCK_HUGE_PAGE_SIZE) * (MOCK_HUGE_PAGE_SIZE / MOCK_IO_PAGE_SIZE);
    const v0 = m.pfns.get(blk);
    if (v0 !== undefined && (v0 % D) & MOCK_PFN_HUGE_IOVA) {
      for (let i = blk; i < blk + 512; i++) {
        const e = m.pfns.get(i);
        if (e !== undefined && (e % D) & MOCK_PFN_HUGE_IOVA) m.pfns.set(i, e - MOCK_PFN_HUGE_IOVA);
      }
    }
    const a = m.pfns.get(idx);
    if (a !== undefined && !((a % D) & MOCK_PFN_START_IOVA)) m.pfns.set(idx, a + MOCK_PFN_START_IOVA);
    const b = m.pfns.get(idx - 1);
    if (b !== undefined && !((b % D) & MOCK_PFN_LAST_IOVA)) m.pfns.set(idx - 1, b + MOCK_PFN_LAST_IOVA);
    return 0;
  },
  unmapReadDirty: () => -ERRNO.EOPNOTSUPP,
  writeProtectAndClear: () => -ERRNO.EOPNOTSUPP,
  free(domain) {
    (domain as MockDomain).pfns.clear();
  },
  setDevPasid(domain, dev, pasid, old) {
    return (domain.driver as unknown as { setDevPasidMock(d: IommuDomain, dev: Device, pasid: number, old: IommuDomain | null): number }).setDevPasidMock(domain, dev, pasid, old);
  },
};

const MOCK_DIRTY_OPS: IommuDirtyOps = {
  setDirtyTracking(domain, enabled) {
    const m = domain as MockDomain;
    if (enabled && !m.dirtyOps) return -ERRNO.EINVAL;
    m.dirtyTracking = enabled;
    return 0;
  },
  readAndClearDirty(domain, iova, size, flags, dirty) {
    const m = domain as MockDomain;
    if (!m.dirtyTracking && dirty.bitmap) return -ERRNO.EINVAL;
    const end = iova + size;
    do {
      let pgsize = MOCK_IO_PAGE_SIZE;
      const v = m.pfns.get(Math.floor(iova / MOCK_IO_PAGE_SIZE));
      if (v === undefined) {
        iova += pgsize;
        continue;
      }
      if ((v % D) & MOCK_PFN_HUGE_IOVA) pgsize = MOCK_HUGE_PAGE_SIZE;
      const head = Math.floor(iova / pgsize) * pgsize;
      // The kernel mock records (iova, pgsize) and steps from an unaligned iova; recording
      // the whole PTE from its head keeps later records aligned when a bitmap window starts
      // inside a huge PTE (kernel windows are 2 MiB of bitmap, so its selftests never do).
      if (m.testAndClearDirty(head, pgsize, flags)) dirtyRecord(dirty, head, pgsize);
      iova = head + pgsize;
    } while (iova < end);
    return 0;
  },
};
