/**
 * The vendor-neutral half of every IOMMU hardware model: context cache, IOTLB, DMA
 * translation path, fault delivery and counters. Vendor models (core/hw/<vendor>/model.ts)
 * extend it with their registers, configuration tables in simulated memory, command
 * encodings and fault codes; nothing here branches on a vendor.
 *
 * DMA path (issue 4 item 3; docs/architecture.md "Engine rules"):
 *   context cache (miss: vendor fetchContext walks DTE / root+context+PASID / STE+CD)
 *   → IOTLB lookup tagged by the context's domain tag
 *   → on miss (or a write through an entry not known dirty): PtIommu.lookupLeaf walk
 *   → permission check → PtIommu.hwAccess (A/D per the manual, enabled by the context's
 *     setA/setD: AMD DTE HAD, VT-d PASID SSADE, SMMUv3 CD.HA/HD with PTE DBM)
 *   → IOTLB fill with the dirty state → or a vendor fault record in the event queue.
 * No allocation per access on the hit path.
 */
import { ERRNO } from '../base/errno';
import type { LeafRef, PtIommu } from '../pt/types';
import { HW_ACCESS as HW_ACCESS_IMPORT, IOMMU_READ as IOMMU_READ_IMPORT, IOMMU_WRITE as IOMMU_WRITE_IMPORT } from '../pt/types';
import type { EventOfCategory, EventOnTrack } from '../trace/events';
import type { Recorder } from '../trace/types';
import type { SimClock } from '../base/clock';
import { POW2 as POW2_IMPORT } from '../base/bits';
import { HwCounters } from './counters';
import { CI, CostModel } from './cost/model';
import type { CostAction, CostTable } from './cost/model';
import { Iotlb } from './iotlb';
import { WalkCache } from './walk-cache';
import { SimMemory } from './memory';
import type { FaultKind, HwCommand, HwFaultRecord } from './queue';
import { FAULT_KIND, Ring } from './queue';
import type { NestedStage2 } from './nested-walk';
import { nestedDma } from './nested-walk';

// Local copies of imported constants: imported bindings may compile to getter calls
// (tsx/vite transforms), and the DMA path below runs millions of times per run.
const POW2 = POW2_IMPORT;
const IOMMU_READ: number = IOMMU_READ_IMPORT;
const IOMMU_WRITE: number = IOMMU_WRITE_IMPORT;
const HW_PERM_FAULT: number = HW_ACCESS_IMPORT.PERM_FAULT;
const HW_UPDATED: number = HW_ACCESS_IMPORT.UPDATED;
const CI_DMA_RTT: number = CI.dma_rtt;
const CI_IOTLB_HIT: number = CI.iotlb_hit;
const CI_IOTLB_MISS: number = CI.iotlb_miss;
const CI_TABLE_READ: number = CI.table_read;
const CI_HW_AD: number = CI.hw_ad_update;

/** Decoded device (or device+PASID) context as the hardware caches it. */
export interface HwContext {
  /** IOTLB tag: AMD DomainID, VT-d DID, SMMUv3 ASID. */
  tag: number;
  /** Page table reached through the context's root pointer; null = translation disabled. */
  pt: PtIommu | null;
  /** When pt is null: true = pass-through (identity), false = blocked (abort). */
  bypass: boolean;
  /** Hardware A and D updates enabled (HAD / SSADE / CD.HA, CD.HD). */
  setA: boolean;
  setD: boolean;
  /** Context-level permission mask (AMD DTE IR/IW; all others IOMMU_READ|IOMMU_WRITE). */
  permMask: number;
  /** When pt is null and !bypass: abort without recording an event (SMMUv3 STE.Config = abort). */
  silentAbort?: boolean;
  /**
   * Nested translation (VT-d PGTT=3, SMMUv3 Config S1+S2, AMD GV=1 over v1): `pt` is the
   * guest's stage-1 table (output = GPA) and this the host stage-2 table (nested-walk.ts).
   */
  s2?: NestedStage2 | null;
}

/** A recoverable page request (AMD PPR log, VT-d page request queue, SMMUv3 PRI queue). */
export interface HwPageRequest {
  ts: number;
  sid: number;
  pasid: number;
  iova: number;
  write: boolean;
  /** Page request group index (PRGI) / stall tag. */
  grpid: number;
}

/** Construction options shared by the vendor models. */
export interface HwModelOptions {
  clock: SimClock;
  recorder: Recorder;
  cost: CostTable;
  costOverrides?: Record<string, number>;
  iotlbEntries: number;
  /** Walk (paging-structure) cache entries per table level above the leaves; 0 = none. */
  walkCacheEntries?: number;
  /** Concurrent page walks the unit sustains (device-throughput bound; see {@link IommuHwModel.walkers}). */
  walkers?: number;
  /** Physical base of the configuration-structure memory, bytes. */
  memBase: number;
  /** Event/fault queue entries. */
  eventEntries?: number;
}

export abstract class IommuHwModel {
  readonly clock: SimClock;
  readonly rec: Recorder;
  readonly cost: CostModel;
  readonly counters = new HwCounters();
  readonly iotlb: Iotlb;
  /**
   * Walk (paging-structure) caches, one per table level ≥ 1 (created on first use): level L
   * caches the level-L entries that point at level L−1 tables, keyed by tag and the 2^(12+9L)
   * bytes each covers. A walk starts below the lowest cached level; which invalidation
   * commands drop them is each vendor's rule (invalidateWalkCaches).
   */
  private readonly walkCaches: WalkCache[] = [];
  /** Entries per walk-cache level (0 = no walk caches: every walk reads from the top). */
  readonly walkCacheEntries: number;
  /** Concurrent page walks the unit sustains (a device's miss throughput is at most walkers / walk latency). */
  readonly walkers: number;
  /**
   * Latency of the last {@link dma} call: the PCIe round trip (dma_rtt) plus translation
   * (IOTLB, walk reads, A/D update), ns. Device side: never charged to the CPU clock.
   */
  lastDmaNs = 0;
  /** IOTLB-miss handling and walk reads, summed over all misses, ns (the walkers' busy time). */
  missNsTotal = 0;
  readonly mem: SimMemory;
  /** Event / fault queue (vendor records). */
  readonly events: Ring<HwFaultRecord>;
  /** Page request queue (PPR log / PRQ / PRIQ). */
  readonly pageRequests: Ring<HwPageRequest>;
  /** Every command / descriptor consumed (last 65536, for the inspector and tests). */
  readonly commands = new Ring<HwCommand>(65536, 'overwrite');
  /** Page tables reachable through root pointers held in context structures (rootPhys → table). */
  protected readonly pts = new Map<number, PtIommu>();
  /** StreamIDs / requester IDs whose device has PRI (recoverable faults go to pageRequests). */
  protected readonly priSids = new Set<number>();

  /** Per-device fault handlers (iommu_register_device_fault_handler); records still go to the event queue. */
  private readonly faultHandlers = new Map<number, (f: HwFaultRecord) => void>();
  private readonly ctxCache = new Map<number, HwContext>();
  private readonly pasidCtxCache = new Map<number, Map<number, HwContext>>();
  private readonly ref: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 12, oa: 0, levelsWalked: 0 };
  /** Outputs of walkAndFill (fields, not an object, to keep the DMA loop allocation-free). */
  private walkFaultRet = 0;
  private filledBase = 0;
  private filledSizeLg2 = 12;
  private filledOa = 0;
  private filledProt = 0;
  private prgi = 0;
  /** Outstanding page requests by sid * 512 + group index. */
  private readonly pendingPrq = new Set<number>();

  /**
   * The hardware consumed a page response for (sid, grpid): 0, or -EINVAL when no such
   * request is outstanding (a late or duplicate response). Charges the fault-handling cost
   * (#32) once per completed request and records `page_response` with the response as
   * iommufd names it (`success`: IOMMUFD_PAGE_RESP_SUCCESS = 0, else INVALID = 1; the
   * command's own encoding is in its hw.cmdq slice).
   */
  protected completePageRequest(sid: number, grpid: number, pasid = 0, success = true): number {
    if (!this.pendingPrq.delete(sid * 512 + grpid)) return -ERRNO.EINVAL;
    this.counters.page_responses++;
    this.cost.charge('prq_handle');
    if (this.rec.enabled) this.rec.instant('hw.fault', 'page_response', this.clock.now, { sid, pasid, grpid, code: success ? 0 : 1 });
    return 0;
  }

  /**
   * The driver's page-request thread takes every queued request (intel prq_event_thread,
   * amd_iommu_handle_ppr_log, arm_smmu_priq_thread), oldest first; each stays outstanding
   * until its page response.
   */
  takePageRequests(): HwPageRequest[] {
    return this.pageRequests.consume();
  }

  /** Whether translation faults of `sid` become page requests (its PRI is enabled). */
  priEnabled(sid: number): boolean {
    return this.priSids.has(sid);
  }

  protected constructor(o: HwModelOptions) {
    this.clock = o.clock;
    this.rec = o.recorder;
    this.cost = new CostModel(o.cost, o.clock, o.costOverrides);
    this.iotlb = new Iotlb(o.iotlbEntries);
    this.walkCacheEntries = o.walkCacheEntries ?? 0;
    // One cache per level that can hold table pointers (levels 1-5 of a 6-level table).
    if (this.walkCacheEntries > 0) for (let l = 1; l <= 5; l++) this.walkCaches[l] = new WalkCache(this.walkCacheEntries, 12 + 9 * l);
    this.walkers = o.walkers ?? 1;
    this.mem = new SimMemory(o.memBase);
    this.events = new Ring<HwFaultRecord>(o.eventEntries ?? 512, 'drop-new');
    this.pageRequests = new Ring<HwPageRequest>(512, 'drop-new');
  }

  /**
   * Paging-structure-cache invalidation: drop the walk-cache entries of `tag` (every tag when
   * tag < 0) overlapping [start, last]. Vendor models call it for the commands that drop
   * non-leaf entries (VT-d PSI with IH = 0, DSI, global; AMD INVALIDATE_IOMMU_PAGES with
   * PDE = 1; SMMUv3 TLBI_NH_VA with LEAF = 0, TLBI_NH_ASID). Returns entries removed.
   */
  protected invalidateWalkCaches(tag: number, start: number, last: number): number {
    let n = 0;
    for (const c of this.walkCaches) if (c && c.size() > 0) n += c.invalidate(tag, start, last);
    this.counters.walk_cache_invalidated += n;
    return n;
  }

  /**
   * Memory reads of a walk to the leaf at `leafLevel` of a `topLevel` table for `iova`: it
   * starts below the lowest level whose entry is in the walk cache (or at the top), then the
   * entries it read are cached. Reads top..leafLevel without walk caches.
   */
  private walkReads(tag: number, iova: number, topLevel: number, leafLevel: number): number {
    if (this.walkCacheEntries <= 0) return topLevel - leafLevel + 1;
    const wc = this.walkCaches;
    let from = topLevel; // highest level read from memory
    for (let l = leafLevel + 1; l <= topLevel; l++) {
      if (wc[l]!.lookup(tag, iova)) {
        from = l - 1;
        break;
      }
    }
    for (let l = leafLevel + 1; l <= from; l++) wc[l]!.fill(tag, iova);
    return from - leafLevel + 1;
  }

  /** Latency of the context-structure reads of the current dma() (context-cache miss), ns. */
  private ctxFetchNs = 0;

  /**
   * A context-structure fetch read `n` table entries (DTE, root/context/PASID entry, STE,
   * CD): device-side latency of the DMA that missed the context cache, not CPU time.
   */
  protected fetchReads(n: number): void {
    this.ctxFetchNs += this.cost.accrueIdx(CI_TABLE_READ, n);
  }

  /** Walk the configuration tables for (sid, pasid); a FaultKind when they are invalid. Counts ctx_fetch. */
  protected abstract fetchContext(sid: number, pasid: number): HwContext | FaultKind;
  /** Build the vendor record for a fault (code, name, flags, raw words). */
  protected abstract encodeFault(kind: FaultKind, sid: number, pasid: number, iova: number, write: boolean, ctx: HwContext | null): HwFaultRecord;
  /** Size class the IOTLB caches for a leaf of 2^leafLg2 bytes (AMD: only 4K/2M/1G). */
  protected cacheSizeLg2(leafLg2: number): number {
    return leafLg2;
  }

  /** Make a page table reachable from context structures by its root physical address. */
  attachPageTable(pt: PtIommu): void {
    const cur = this.pts.get(pt.rootPhys);
    if (cur && cur !== pt) throw new RangeError(`page-table root 0x${pt.rootPhys.toString(16)} already in use`);
    this.pts.set(pt.rootPhys, pt);
  }

  /**
   * The table's top grew (PT_FEAT_DYNAMIC_TOP): its root pointer is now pt.rootPhys. The
   * driver rewrites and flushes every device-table entry in the same change_top call, so the
   * old root is no longer a table root (it is the new top's first child).
   */
  pageTableRootMoved(pt: PtIommu, oldRootPhys: number): void {
    if (this.pts.get(oldRootPhys) === pt) this.pts.delete(oldRootPhys);
    this.attachPageTable(pt);
  }

  /** Forget a freed page table (its root pointer then leads nowhere). */
  detachPageTable(pt: PtIommu): void {
    if (this.pts.get(pt.rootPhys) === pt) this.pts.delete(pt.rootPhys);
  }

  /** Per ATS device (sid): its address translation cache (ATC), filled by ATS translation requests. */
  private readonly atcs = new Map<number, Iotlb>();

  /**
   * Declare the device with `sid` ATS-capable with an ATC of `entries` (0 = none): its DMA
   * then translates through ATS (a translation request on an ATC miss, translated requests
   * that bypass the IOMMU on a hit), and device-TLB invalidation commands drop its entries.
   */
  setAts(sid: number, entries: number): void {
    if (entries > 0) this.atcs.set(sid, new Iotlb(entries));
    else this.atcs.delete(sid);
  }

  /** The ATC of device `sid` (tests, inspector), or undefined without ATS. */
  atc(sid: number): Iotlb | undefined {
    return this.atcs.get(sid);
  }

  /**
   * Device-TLB invalidation (AMD INVALIDATE_IOTLB_PAGES, VT-d QI_DIOTLB / QI_DEIOTLB, SMMUv3
   * CMD_ATC_INV): drop device `sid`'s ATC entries overlapping [start, last] (every device
   * when sid < 0). Returns entries removed.
   */
  protected invalidateAtc(sid: number, start: number, last: number): number {
    let n = 0;
    if (sid < 0) for (const a of this.atcs.values()) n += a.invalidate(-1, start, last);
    else n = this.atcs.get(sid)?.invalidate(-1, start, last) ?? 0;
    this.counters.atc_invalidated += n;
    return n;
  }

  /** Declare whether the device with `sid` issues PRI page requests on translation faults. */
  setPri(sid: number, on: boolean): void {
    if (on) this.priSids.add(sid);
    else this.priSids.delete(sid);
  }

  /**
   * Register (or with null, remove) the fault handler of device `sid`: unrecoverable faults
   * of that device are delivered to it (the guest-injection path of a bound PASID table).
   */
  setFaultHandler(sid: number, fn: ((f: HwFaultRecord) => void) | null): void {
    if (fn) this.faultHandlers.set(sid, fn);
    else this.faultHandlers.delete(sid);
  }

  /** Context-cache invalidation: one device (all its PASIDs), or all when sid < 0. */
  protected dropContext(sid: number): void {
    this.lastCtx = null;
    if (sid < 0) {
      this.ctxCache.clear();
      this.pasidCtxCache.clear();
    } else {
      this.ctxCache.delete(sid);
      this.pasidCtxCache.delete(sid);
    }
  }

  /** PASID-cache invalidation for (sid or all, pasid or all). */
  protected dropPasidContext(sid: number, pasid: number): void {
    this.lastCtx = null;
    for (const [s, m] of this.pasidCtxCache) {
      if (sid >= 0 && s !== sid) continue;
      if (pasid < 0) m.clear();
      else m.delete(pasid);
    }
    if (pasid <= 0) {
      if (sid < 0) this.ctxCache.clear();
      else this.ctxCache.delete(sid);
    }
  }

  /** Drop cached contexts matching `filter` (e.g. all entries tagged with one DID). Returns how many. */
  protected dropContexts(filter: (sid: number, pasid: number, ctx: HwContext) => boolean): number {
    this.lastCtx = null;
    let n = 0;
    for (const [sid, ctx] of this.ctxCache) if (filter(sid, 0, ctx) && this.ctxCache.delete(sid)) n++;
    for (const [sid, m] of this.pasidCtxCache) for (const [pasid, ctx] of m) if (filter(sid, pasid, ctx) && m.delete(pasid)) n++;
    return n;
  }

  // One-entry front cache of the context cache (cleared by every context invalidation).
  private lastSid = -1;
  private lastPasid = -1;
  private lastCtx: HwContext | null = null;

  /** Cached context for (sid, pasid), fetching it on a miss; a FaultKind on failure. */
  private context(sid: number, pasid: number): HwContext | FaultKind {
    if (sid === this.lastSid && pasid === this.lastPasid && this.lastCtx !== null) return this.lastCtx;
    const r = this.contextSlow(sid, pasid);
    if (typeof r !== 'number') {
      this.lastSid = sid;
      this.lastPasid = pasid;
      this.lastCtx = r;
    }
    return r;
  }

  private contextSlow(sid: number, pasid: number): HwContext | FaultKind {
    let ctx: HwContext | undefined;
    if (pasid === 0) ctx = this.ctxCache.get(sid);
    else ctx = this.pasidCtxCache.get(sid)?.get(pasid);
    if (ctx) return ctx;
    const r = this.fetchContext(sid, pasid);
    if (typeof r === 'number') return r;
    if (pasid === 0) this.ctxCache.set(sid, r);
    else {
      let m = this.pasidCtxCache.get(sid);
      if (!m) this.pasidCtxCache.set(sid, (m = new Map()));
      m.set(pasid, r);
    }
    return r;
  }

  /**
   * One device DMA of `length` bytes at `iova` (pasid 0 = request without PASID).
   * Returns 0, -EFAULT (translation/context fault), -EACCES (permission fault) or -EINVAL
   * (length <= 0). A faulting DMA stops at the faulting page; earlier pages completed.
   */
  dma(sid: number, pasid: number, iova: number, length: number, write: boolean): number {
    this.lastDmaNs = 0;
    if (!(length > 0)) return -ERRNO.EINVAL;
    const c = this.counters;
    this.ctxFetchNs = 0;
    const ctx = this.context(sid, pasid);
    if (typeof ctx === 'number') return this.fault(ctx, sid, pasid, iova, write, null);
    if (write) c.dma_write++;
    else c.dma_read++;
    c.dma_bytes += length;
    if (this.rec.enabled) {
      this.rec.count(write ? 'dma_write_bytes' : 'dma_read_bytes', this.clock.now, length);
      if (this.rec.traceDma) this.rec.instant('hw.dma', write ? 'dma_write' : 'dma_read', this.clock.now, { sid, pasid, iova, length });
    }
    const need = write ? IOMMU_WRITE : IOMMU_READ;
    if ((ctx.permMask & need) === 0) return this.fault(FAULT_KIND.PERMISSION, sid, pasid, iova, write, ctx);
    const pt = ctx.pt;
    if (pt === null) {
      if (ctx.bypass) return 0;
      return ctx.silentAbort ? -ERRNO.EFAULT : this.fault(FAULT_KIND.CONTEXT, sid, pasid, iova, write, ctx);
    }
    if (ctx.s2) return nestedDma(this.nestedEnv(sid, pasid, write, ctx), ctx.tag, pt, ctx.setA, ctx.setD, ctx.s2, iova, length, write);
    const atc = this.atcs.size > 0 && pasid === 0 ? this.atcs.get(sid) : undefined;
    if (atc !== undefined) return this.dmaAts(atc, ctx, pt, sid, iova, length, write);
    const tlb = this.iotlb;
    const cost = this.cost;
    const end = iova + length;
    let a = iova;
    // Latency of this access (device side: not the CPU clock): round trip plus translation.
    let lat = cost.accrueIdx(CI_DMA_RTT) + this.ctxFetchNs;
    while (a < end) {
      c.translations++;
      const slot = tlb.lookup(ctx.tag, a);
      if (slot >= 0) {
        c.iotlb_hit++;
        if ((tlb.perm[slot]! & need) !== 0 && (!write || tlb.dirtyKnown[slot] === 1)) {
          lat += cost.accrueIdx(CI_IOTLB_HIT);
          a = tlb.hitEnd;
          continue;
        }
        // Cached entry cannot complete the write without a PTE update: walk again.
        c.iotlb_dirty_upgrade++;
      } else c.iotlb_miss++;
      const walked = this.walkAndFill(ctx, pt, sid, pasid, a, write, lat);
      if (walked < 0) return this.walkFaultRet;
      lat = walked;
      a = this.filledBase + POW2[this.filledSizeLg2]!;
    }
    this.lastDmaNs = lat;
    return 0;
  }

  /**
   * The walk after an IOTLB miss (or a write whose entry does not know D), shared by DMA and ATS
   * translation requests: read the levels the walk caches miss, update A/D, fill the IOTLB.
   * @param lat the access's latency so far, ns.
   * @returns the latency after the walk (ns), or -1 on a fault (lastDmaNs set, walkFaultRet =
   * fault()'s result). filledBase/SizeLg2/Oa/Prot describe the entry (prot without the write bit).
   */
  private walkAndFill(ctx: HwContext, pt: PtIommu, sid: number, pasid: number, a: number, write: boolean, lat: number): number {
    const c = this.counters;
    const cost = this.cost;
    const ref = this.ref;
    ref.levelsWalked = 0;
    const ok = pt.lookupLeaf(a, ref);
    // Memory reads: the levels the walk caches do not cover (a failed walk reads to the top).
    const reads = ok ? this.walkReads(ctx.tag, a, pt.topLevel, ref.level) : pt.topLevel + 1;
    c.pte_read += reads;
    const walk = cost.accrueIdx(CI_IOTLB_MISS) + cost.accrueIdx(CI_TABLE_READ, reads);
    this.missNsTotal += walk;
    lat += walk;
    const r = ok ? pt.hwAccess(ref, write, ctx.setA, ctx.setD) : HW_PERM_FAULT;
    if (!ok || r === HW_PERM_FAULT) {
      this.lastDmaNs = lat;
      this.walkFaultRet = this.fault(ok ? FAULT_KIND.PERMISSION : FAULT_KIND.TRANSLATION, sid, pasid, a, write, ctx);
      return -1;
    }
    if (r === HW_UPDATED) {
      c.pte_write_atomic++;
      lat += cost.accrueIdx(CI_HW_AD);
    }
    const prot = pt.leafProt(ref);
    const cs = this.cacheSizeLg2(ref.sizeLg2);
    const base = Math.floor(a / POW2[cs]!) * POW2[cs]!;
    const leafBase = Math.floor(a / POW2[ref.sizeLg2]!) * POW2[ref.sizeLg2]!;
    const oa = ref.oa + (base - leafBase);
    this.iotlb.fill(ctx.tag, base, cs, oa, prot | (write ? IOMMU_WRITE : 0), write || ((prot & IOMMU_WRITE) !== 0 && (!ctx.setD || pt.leafDirty(ref))));
    this.filledBase = base;
    this.filledSizeLg2 = cs;
    this.filledOa = oa;
    this.filledProt = prot;
    return lat;
  }

  /**
   * DMA of an ATS device (PCIe ATS; AMD SDM 1.3.8 / VT-d spec ch. 4 / SMMUv3 ch. 3.9): per
   * page, an ATC hit with the permission the access needs is a translated request — it
   * bypasses the IOMMU (no IOTLB, walk or A/D update). A miss sends a translation request
   * (one more PCIe round trip): the IOMMU translates it like an untranslated request (IOTLB,
   * walk), and when it grants write permission (a write access asks for it) it sets D then —
   * "the IOMMU starts marking the D and A flags on every Memory Request or ATS translation
   * request" (AMD HAD commit text) — so the ATC's writable entries are "dirty known". A write
   * through a writable ATC entry after D was cleared therefore sets nothing: Linux invalidates
   * the device TLB in the same flush as the IOTLB.
   */
  private dmaAts(atc: Iotlb, ctx: HwContext, pt: PtIommu, sid: number, iova: number, length: number, write: boolean): number {
    const c = this.counters;
    const cost = this.cost;
    const tlb = this.iotlb;
    const need = write ? IOMMU_WRITE : IOMMU_READ;
    const end = iova + length;
    let a = iova;
    let lat = cost.accrueIdx(CI_DMA_RTT) + this.ctxFetchNs;
    while (a < end) {
      c.translations++;
      const as = atc.lookup(0, a);
      if (as >= 0 && (atc.perm[as]! & need) !== 0) {
        c.atc_hit++;
        a = atc.hitEnd;
        continue;
      }
      c.atc_miss++;
      lat += cost.accrueIdx(CI_DMA_RTT); // the translation request's round trip
      const slot = tlb.lookup(ctx.tag, a);
      if (slot >= 0 && (tlb.perm[slot]! & need) !== 0 && (!write || tlb.dirtyKnown[slot] === 1)) {
        c.iotlb_hit++;
        lat += cost.accrueIdx(CI_IOTLB_HIT);
        const s0 = tlb.sizeLg2(slot);
        const b0 = tlb.base(slot);
        atc.fill(0, b0, s0, tlb.oa[slot]!, write ? tlb.perm[slot]! : tlb.perm[slot]! & IOMMU_READ, write);
        a = b0 + POW2[s0]!;
        continue;
      }
      if (slot >= 0) c.iotlb_dirty_upgrade++;
      else c.iotlb_miss++;
      const walked = this.walkAndFill(ctx, pt, sid, 0, a, write, lat);
      if (walked < 0) return this.walkFaultRet;
      lat = walked;
      const prot = this.filledProt;
      const cs = this.filledSizeLg2;
      // The ATC gets what was granted: write permission only when asked for (D now set).
      atc.fill(0, this.filledBase, cs, this.filledOa, write ? prot : prot & IOMMU_READ, write);
      a = this.filledBase + POW2[cs]!;
    }
    this.lastDmaNs = lat;
    return 0;
  }

  /** The engine state a nested walk uses (faults recorded against this DMA's sid/pasid). */
  private nestedEnv(sid: number, pasid: number, write: boolean, ctx: HwContext) {
    return {
      counters: this.counters,
      cost: this.cost,
      iotlb: this.iotlb,
      cacheSizeLg2: (lg2: number) => this.cacheSizeLg2(lg2),
      fault: (kind: FaultKind, iova: number, stage2: boolean) => {
        this.lastFaultStage2 = stage2;
        return this.fault(kind, sid, pasid, iova, write, ctx);
      },
    };
  }

  /** Whether the last nested-walk fault was in stage 2 (vendors' encodeFault may read it: SMMUv3 EVTQ_1_S2). */
  protected lastFaultStage2 = false;

  /** Record a fault (or a page request for PRI devices' translation faults); returns the errno. */
  private fault(kind: FaultKind, sid: number, pasid: number, iova: number, write: boolean, ctx: HwContext | null): number {
    const c = this.counters;
    if (kind === FAULT_KIND.TRANSLATION && this.priSids.has(sid)) {
      c.page_requests++;
      this.cost.charge('fault_record');
      const grpid = this.prgi++ & 0x1ff;
      if (this.pageRequests.push({ ts: this.clock.now, sid, pasid, iova, write, grpid })) this.pendingPrq.add(sid * 512 + grpid);
      if (this.rec.enabled) this.rec.instant('hw.fault', 'page_request', this.clock.now, { sid, pasid, iova, write, grpid });
      return -ERRNO.EFAULT;
    }
    c.faults++;
    this.cost.charge('fault_record');
    const f = this.encodeFault(kind, sid, pasid, iova, write, ctx);
    this.events.push(f);
    this.faultHandlers.get(sid)?.(f);
    if (this.rec.enabled) {
      // Fault names are the vendors' architected code names (regs.ts tables), all in the
      // catalogue: test/unit/trace/catalogue.test.ts checks the tables.
      this.rec.instant('hw.fault', f.name as EventOfCategory<'fault'> & EventOnTrack<'hw.fault'>, this.clock.now, { code: f.code, sid, pasid, iova, write, flags: f.flags });
      this.rec.count('faults', this.clock.now, 1);
    }
    return kind === FAULT_KIND.PERMISSION ? -ERRNO.EACCES : -ERRNO.EFAULT;
  }

  private pendingWait: CostAction | null = null;

  /** Note an invalidation whose completion the next wait/sync must cover (slowest one wins). */
  protected notePending(action: CostAction): void {
    if (this.pendingWait === null || this.cost.ns[action] > this.cost.ns[this.pendingWait]) this.pendingWait = action;
  }

  /**
   * A completion wait / CMD_SYNC: charge one round trip as long as the slowest invalidation
   * issued since the previous wait (docs/cost-model-sources.md: the wait rows are charged once per
   * wait), or inv_wait_empty when nothing is pending. Returns the ns charged.
   */
  protected completeWait(): number {
    const a = this.pendingWait ?? 'inv_wait_empty';
    this.pendingWait = null;
    this.counters.inv_wait++;
    return this.cost.charge(a);
  }

  /** Log a consumed command, count it by name and trace it. */
  protected logCommand(cmd: HwCommand): void {
    this.commands.push(cmd);
    this.counters.cmd[cmd.name] = (this.counters.cmd[cmd.name] ?? 0) + 1;
  }

  /** Vendor-neutral snapshot for the UI / tests. */
  stats(): Record<string, number> {
    return { ...this.counters.snapshot(), iotlb_entries: this.iotlb.size(), iotlb_evictions: this.iotlb.evictions, iotlb_invalidated: this.iotlb.invalidated, walk_cache_evictions: this.walkCaches.reduce((n, c) => n + (c ? c.evictions : 0), 0), sim_ns: this.clock.now };
  }
}
