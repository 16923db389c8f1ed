/**
 * Shared plumbing of the three hardware-backed vendor drivers (core/iommu/{amd,intel,smmuv3}):
 * a PAGING iommu_domain over a core/pt table, with the generic domain ops (map_pages,
 * unmap_pages, iova_to_phys, cut_mapping, unmap_read_dirty, write_protect_and_clear) and the
 * software cost charging; each vendor supplies the flushes, attach and dirty ops
 * ({@link VendorDomainHooks}). Nothing here branches on a vendor.
 *
 * Sources: include/linux/iommu.h (iommu_domain_ops, iommu_iotlb_gather); RFC patch 04
 * (unmap_read_dirty) and review decision D5 (write-protect-and-clear), docs/rfc-errata.md;
 * docs/cost-model-sources.md K1 (software map/unmap); core/iommu/dirty-walk.ts (dirty-walk work).
 */
import type { GenericPt, TablePool } from '../pt';
import { iotlbGatherInit, iotlbGatherIsEmpty, iotlbGatherReleaseFreelist } from '../pt';
import type { IommuDirtyBitmap, IotlbGather, IovaBitmapSink, LeafRef } from '../pt/types';
import { IOMMU_DIRTY_NO_CLEAR } from '../pt/types';
import type { Device, IommuDirtyOps, IommuDomain, IommuDomainGeometry, IommuDomainOps, IommuDevice } from './types';
import { ERRNO } from '../base/errno';
import type { IommuHwModel } from '../hw/engine';
import type { EventOnTrack } from '../trace/events';
import type { ArgsOf } from '../trace/types';
import { dirtyWalkWork, type DirtyWalkCounts, type DirtyWalkProfile, type DirtyWalkWork } from './dirty-walk';

/** What a vendor driver provides to a {@link PagingDomain}. */
export interface VendorDomainHooks {
  /** How this driver's read_and_clear_dirty walks the table (per kernel version; core/iommu/dirty-walk.ts). */
  readonly dirtyWalk: DirtyWalkProfile;
  attachDev(domain: PagingDomain, dev: Device): number;
  /** iotlb_sync: flush gather's hull (non-empty) with the vendor's commands. */
  flushRange(domain: PagingDomain, start: number, size: number, pgsize: number, leafOnly: boolean): void;
  /** flush_iotlb_all for the domain's tag (plus device TLBs). */
  flushAll(domain: PagingDomain): void;
  setDirtyTracking(domain: PagingDomain, enabled: boolean): number;
  /** Vendor precondition of read_and_clear_dirty (0 to proceed or a negative errno). */
  readDirtyCheck(domain: PagingDomain, dirty: IommuDirtyBitmap): number;
  /** Called when the domain is freed (release tag). */
  release(domain: PagingDomain): void;
  /**
   * Hardware may cache non-present entries (VT-d CAP.CM caching mode, AMD NpCache), so a
   * map must be flushed like an unmap (iotlb_sync_map). Absent = never.
   */
  cachesNonPresent?(): boolean;
  /** enforce_cache_coherency of this vendor's domains; absent = the domain cannot enforce. */
  enforceCacheCoherency?(domain: PagingDomain): boolean;
  /**
   * RFC unmap_read_dirty's own per-leaf dirty test (patch 10 AMD `free_pte_dirty`, patch 19
   * Intel `dma_clear_pte_dirty`; docs/rfc-errata.md): given the raw IOPTE
   * of a leaf the format reports dirty, as the cmpxchg-to-zero read it (`lo`/`hi` 32-bit
   * halves), whether the driver records it. Absent = the format's dirty bit decides (what the
   * RFC intended). A vendor installs it only for an errata what-if (VT-d E2, docs/rfc-errata.md).
   */
  unmapReadDirtyTest?(domain: PagingDomain, lo: number, hi: number): boolean;
}

/**
 * Forwards a record only when the vendor's {@link VendorDomainHooks.unmapReadDirtyTest}
 * accepts the leaf's raw IOPTE (read before the clear: the walk runs with
 * IOMMU_DIRTY_NO_CLEAR). `dropped` counts the dirty leaves the test rejected.
 */
class TestedSink implements IovaBitmapSink {
  dropped = 0;
  private readonly ref: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
  constructor(
    private readonly domain: PagingDomain,
    private readonly test: (domain: PagingDomain, lo: number, hi: number) => boolean,
    private readonly inner: IovaBitmapSink | null,
  ) {}
  set(iova: number, length: number): void {
    const pt = this.domain.pt;
    if (pt.lookupLeaf(iova, this.ref)) {
      const t = pt.pool.pages[this.ref.page]!;
      if (!this.test(this.domain, t[2 * this.ref.index]!, t[2 * this.ref.index + 1]!)) {
        this.dropped++;
        return;
      }
    }
    this.inner?.set(iova, length);
  }
}

/** Counts dirty records on their way to the caller's bitmap (for cost charging). */
class CountingSink implements IovaBitmapSink {
  n = 0;
  constructor(private readonly inner: IovaBitmapSink | null) {}
  set(iova: number, length: number): void {
    this.n++;
    this.inner?.set(iova, length);
  }
}

/** A PAGING iommu_domain of a hardware-backed driver. */
export class PagingDomain implements IommuDomain, IommuDomainOps {
  readonly type = 'PAGING' as const;
  readonly ops: IommuDomainOps = this;
  readonly dirtyOps: IommuDirtyOps | null;
  readonly pgsizeBitmap: number;
  readonly geometry: IommuDomainGeometry;
  readonly devices = new Set<Device>();
  dirtyTracking = false;
  /**
   * Flushes also invalidate the device TLBs (ATC) of ATS devices, as every Linux driver does.
   * false only for the what-if that skips them (core/iommufd/test-hooks.ts
   * testHwptReadDirtySkipDevtlb): writes through a device's stale writable ATC entry are lost.
   */
  devtlbFlush = true;
  /** Set after free(); every op then fails with -EINVAL (use-after-free guard). */
  freed = false;
  /** Write-back counters of pt.incoherent already charged (see chargeWriteBacks). */
  private seenFlushes = 0;
  private seenLines = 0;

  /**
   * @param tag hardware tag (DomainID / DID / ASID)
   * @param pt the domain's IO page table, already reachable by the hardware model
   * @param dirtyCapable install dirty ops (allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
   */
  constructor(
    readonly driver: IommuDevice,
    readonly hw: IommuHwModel,
    readonly pool: TablePool,
    readonly pt: GenericPt,
    readonly tag: number,
    private readonly hooks: VendorDomainHooks,
    dirtyCapable: boolean,
    pgsizeBitmap?: number,
  ) {
    this.pgsizeBitmap = pgsizeBitmap ?? pt.caps.pgsizeBitmap;
    // A table that grows its top (PT_FEAT_DYNAMIC_TOP) spans its maximum from the start.
    this.geometry = { apertureStart: 0, apertureEnd: pt.maxVaLimit - 1 };
    this.dirtyOps = dirtyCapable
      ? {
          setDirtyTracking: (d, en) => this.hooks.setDirtyTracking(d as PagingDomain, en),
          readAndClearDirty: (d, iova, size, flags, dirty) => (d as PagingDomain).readAndClearDirty(iova, size, flags, dirty),
        }
      : null;
    this.chargeWriteBacks(); // the top table's write-back at allocation (non-coherent walkers)
  }

  /** Record a driver step as a slice on the 'driver' track. */
  trace<E extends EventOnTrack<'driver'>>(name: E, ts: number, args?: Omit<ArgsOf<E>, 'tag'>): void {
    const rec = this.hw.rec;
    if (rec.enabled) rec.slice<EventOnTrack<'driver'>>('driver', name, ts, this.hw.clock.now - ts, { tag: this.tag, ...args } as ArgsOf<E>);
  }

  attachDev(domain: IommuDomain, dev: Device): number {
    if (this.freed) return -ERRNO.EINVAL;
    return this.hooks.attachDev(domain as PagingDomain, dev);
  }

  mapPages(_d: IommuDomain, iova: number, paddr: number, pgsize: number, pgcount: number, prot: number, mapped: { bytes: number }): number {
    if (this.freed) return -ERRNO.EINVAL;
    const cost = this.hw.cost;
    cost.charge('sw_map_leaf');
    if (pgcount > 1) cost.charge('sw_map_extra', pgcount - 1);
    const rc = this.pt.mapPages(iova, paddr, pgsize * pgcount, prot, mapped);
    this.chargeWriteBacks();
    return rc;
  }

  unmapPages(_d: IommuDomain, iova: number, pgsize: number, pgcount: number, gather: IotlbGather): number {
    if (this.freed) return 0;
    const cost = this.hw.cost;
    cost.charge('sw_unmap_leaf');
    if (pgcount > 1) cost.charge('sw_unmap_extra', pgcount - 1);
    const bytes = this.pt.unmapPages(iova, pgsize * pgcount, gather);
    this.chargeWriteBacks();
    return bytes;
  }


  /**
   * DMA-incoherent walkers (VT-d ECAP.SMPWC = 0 in scalable mode, SMMUv3 without COHACC): charge the cache
   * write-backs core/pt did for the last operation (iommu_pages_flush_incoherent calls and
   * lines; core/pt/incoherent.ts). No-op on coherent hardware.
   */
  private chargeWriteBacks(): void {
    const inc = this.pt.incoherent;
    if (inc === null) return;
    const calls = inc.stats.flushes - this.seenFlushes;
    const lines = inc.stats.lines - this.seenLines;
    if (calls === 0) return;
    this.seenFlushes = inc.stats.flushes;
    this.seenLines = inc.stats.lines;
    const c = this.hw.counters;
    c.pt_cache_flush += calls;
    c.pt_cache_flush_lines += lines;
    const rec = this.hw.rec;
    if (rec.enabled) rec.count('pt_cache_flush_lines', this.hw.clock.now, lines);
    this.hw.cost.charge('cache_flush_call', calls);
    this.hw.cost.charge('cache_flush_line', lines);
  }

  /**
   * iotlb_sync_map: only hardware that caches non-present entries needs a flush after map
   * (VT-d caching mode: __mapping_notify_one → PSI; AMD NpCache: domain_flush_np_cache).
   */
  iotlbSyncMap(_d: IommuDomain, iova: number, size: number): number {
    if (size > 0 && this.hooks.cachesNonPresent?.()) this.hooks.flushRange(this, iova, size, 4096, true);
    return 0;
  }

  iotlbSync(_d: IommuDomain, gather: IotlbGather): void {
    if (!iotlbGatherIsEmpty(gather)) {
      this.hooks.flushRange(this, gather.start, gather.end - gather.start + 1, gather.pgsize || 4096, gather.freelist.length === 0);
    }
    // Freed table pages become reusable only after the flush (iommu_put_pages_list).
    iotlbGatherReleaseFreelist(gather, this.pool);
    gather.start = Number.MAX_SAFE_INTEGER;
    gather.end = 0;
    gather.pgsize = 0;
  }

  flushIotlbAll(): void {
    this.hooks.flushAll(this);
  }

  /** enforce_cache_coherency: the vendor's answer, false when the vendor has none (see hooks). */
  enforceCacheCoherency(_d: IommuDomain): boolean {
    if (this.freed) return false;
    return this.hooks.enforceCacheCoherency?.(this) ?? false;
  }

  iovaToPhys(_d: IommuDomain, iova: number): number {
    if (this.freed) return 0;
    return this.pt.iovaToPhys(iova);
  }

  cutMapping(_d: IommuDomain, iova: number): number {
    const rc = this.pt.cutMapping(iova);
    this.chargeWriteBacks();
    return rc;
  }

  /**
   * read_and_clear_dirty: vendor precondition, then the page-table walk, charged by the
   * driver's walker profile (hooks.dirtyWalk). Never flushes: the cleared ranges are in
   * dirty.gather for the caller's single iotlb_sync.
   */
  readAndClearDirty(iova: number, size: number, flags: number, dirty: IommuDirtyBitmap): number {
    if (this.freed) return -ERRNO.EINVAL;
    const rc = this.hooks.readDirtyCheck(this, dirty);
    if (rc) return rc;
    const ts = this.hw.clock.now;
    const sink = new CountingSink(dirty.bitmap);
    const before = this.scanSnapshot();
    const r = this.pt.readAndClearDirty(iova, size, flags, { bitmap: sink, gather: dirty.gather });
    const work = this.chargeScan(before, (flags & IOMMU_DIRTY_NO_CLEAR) === 0);
    this.trace('pt_read_and_clear_dirty', ts, { iova, size, flags, dirty_leaves: sink.n, walker: this.hooks.dirtyWalk.kind, walk_reads: work.walkReads, locked_rmw: work.lockedRmw, rc: r });
    return r;
  }

  /** GenericPt.stats now (the scan counters the walker profiles price). */
  scanSnapshot(): DirtyWalkCounts {
    const st = this.pt.stats;
    return {
      entries: st.dirtyEntriesRead, leaves: st.dirtyLeaves, leafItems: st.dirtyLeafItems, leafDepth: st.dirtyLeafDepth,
      holes: st.dirtyHoles, holeDepth: st.dirtyHoleDepth, records: st.dirtyRecords, itemsCleared: st.dirtyEntriesCleared,
    };
  }

  /**
   * Charge the scans done since `before` with this driver's walker profile (`clear` false
   * for IOMMU_DIRTY_NO_CLEAR; `recorded` false when the caller's code records nothing);
   * returns the work charged.
   */
  chargeScan(before: DirtyWalkCounts, clear: boolean, o: { recorded?: boolean } = {}): DirtyWalkWork {
    const now = this.scanSnapshot();
    const d = {} as DirtyWalkCounts;
    for (const k of Object.keys(now) as (keyof DirtyWalkCounts)[]) d[k] = now[k] - before[k];
    const work = dirtyWalkWork(this.hooks.dirtyWalk, d, clear);
    if (o.recorded === false) work.records = 0;
    const c = this.hw.counters;
    c.dirty_entries_read += d.entries;
    c.dirty_entries_cleared += d.itemsCleared;
    this.chargeWork(work);
    return work;
  }

  /** Charge dirty-walk work items and count them (counters dirty_*). */
  chargeWork(w: DirtyWalkWork): void {
    const c = this.hw.counters;
    const cost = this.hw.cost;
    c.dirty_walk_reads += w.walkReads;
    c.dirty_clear_locked += w.lockedRmw;
    c.dirty_clear_plain += w.plainRmw;
    c.dirty_indirect_calls += w.indirectCalls;
    c.dirty_records += w.records;
    if (w.entryReads) cost.charge('pt_entry_read', w.entryReads);
    if (w.walkReads) cost.charge('pt_walk_level', w.walkReads);
    if (w.lockedRmw) cost.charge('pte_locked_rmw', w.lockedRmw);
    if (w.plainRmw) cost.charge('pte_plain_rmw', w.plainRmw);
    if (w.indirectCalls) cost.charge('indirect_call', w.indirectCalls);
    if (w.records) cost.charge('dirty_record', w.records);
  }

  /**
   * RFC unmap_read_dirty (patch 04/10/19): report dirty leaves of [iova, iova+size) while
   * unmapping them. The simulator is single-threaded, so reading D and then clearing the
   * leaves is indistinguishable from the RFC's cmpxchg-to-zero loop. Returns bytes unmapped.
   */
  unmapReadDirty(_d: IommuDomain, iova: number, size: number, gather: IotlbGather, dirty: IommuDirtyBitmap): number {
    const ts = this.hw.clock.now;
    const sink = new CountingSink(dirty.bitmap);
    const test = this.hooks.unmapReadDirtyTest;
    let tested: TestedSink | null = null;
    if (test) {
      // The vendor's own test decides per leaf: look at each dirty leaf's raw IOPTE before it
      // is cleared (a non-clearing pass, not charged: the RFC reads the value in the same
      // cmpxchg that zeroes it), then clear below with nothing recorded.
      tested = new TestedSink(this, test, sink);
      const r = this.pt.readAndClearDirty(iova, size, IOMMU_DIRTY_NO_CLEAR, { bitmap: tested, gather: iotlbGatherInit() });
      if (r < 0 && r !== -ERRNO.EOPNOTSUPP) return 0;
    }
    // The RFC's dirty bitmap in this path has no gather of its own: records go to the unmap gather.
    const before = this.scanSnapshot();
    const rc = this.pt.readAndClearDirty(iova, size, 0, { bitmap: tested ? null : sink, gather });
    if (rc < 0 && rc !== -ERRNO.EOPNOTSUPP) return 0;
    // The RFC reads each leaf in the unmap descent and zeroes it with a cmpxchg (one locked
    // RMW per item), whatever the read_and_clear_dirty walker of the kernel is.
    const st = this.scanSnapshot();
    this.hw.counters.dirty_entries_read += st.entries - before.entries;
    this.hw.counters.dirty_entries_cleared += st.itemsCleared - before.itemsCleared;
    this.chargeWork({ entryReads: st.entries - before.entries, walkReads: 0, lockedRmw: st.leafItems - before.leafItems, plainRmw: 0, indirectCalls: 0, records: st.records - before.records });
    const bytes = this.unmapPages(this, iova, size, 1, gather);
    this.trace('unmap_read_dirty', ts, { iova, size, bytes, dirty_leaves: sink.n, ...(tested ? { dirty_dropped: tested.dropped } : {}) });
    return bytes;
  }

  /**
   * Review thread's write-protect-and-clear (D5): make every writable leaf read-only,
   * collect dirty state, then flush (so later writes fault instead of dirtying silently).
   * 0 or a negative errno.
   */
  writeProtectAndClear(_d: IommuDomain, iova: number, size: number, dirty: IommuDirtyBitmap): number {
    const ts = this.hw.clock.now;
    const sink = new CountingSink(dirty.bitmap);
    const g = iotlbGatherInit();
    const rc = this.pt.writeProtectAndClear(iova, size, { bitmap: sink, gather: g });
    if (rc) return rc;
    // One read and one cmpxchg per dirty leaf collected (the review thread's sketch; clean
    // leaves are write-protected in the same walk and not charged separately).
    this.chargeWork({ entryReads: sink.n, walkReads: 0, lockedRmw: sink.n, plainRmw: 0, indirectCalls: 0, records: sink.n });
    this.iotlbSync(this, g);
    this.trace('write_protect_and_clear', ts, { iova, size, dirty_leaves: sink.n });
    return 0;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.hooks.release(this);
    this.hw.detachPageTable(this.pt);
    this.pt.deinit();
  }
}
