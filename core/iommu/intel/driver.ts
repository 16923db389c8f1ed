/**
 * Intel VT-d driver (drivers/iommu/intel/iommu.c, pasid.c, cache.c) over the VT-d hardware
 * model in scalable mode: probe (PASID directory + scalable-mode context entry), domain
 * allocation as intel_iommu_domain_alloc_paging_flags (first stage 'x86_64' preferred; any
 * flag but PASID, no scalable mode or no ECAP.FLTS → second stage 'vtdss'; DIRTY_TRACKING
 * needs ECAP.SLADS and SLTS, else -EOPNOTSUPP), attach via the RID_PASID entry (PGTT 1 with
 * FLPTR, or PGTT 2 with SLPTPTR), IOTLB flushes (first stage: PASID-based IOTLB QI_EIOTLB;
 * second stage: PSI with address mask, DSI fallback; device-TLB for ATS devices; one wait
 * per batch), set_dirty_tracking (SSADE per device + Table-23 flushes, rollback on failure)
 * and read_and_clear_dirty.
 *
 * What-if `caps.rfcFaithful` (boolean, default false): the RFC v1 unmap-with-dirty as posted
 * (patch 19 `intel_iommu_unmap_read_dirty` → `dma_pte_clear_level(…, dirty)` →
 * `dma_clear_pte_dirty`), with errata E2 (docs/rfc-errata.md):
 * the dirty test is `(val & VTD_PAGE_MASK) & DMA_SL_PTE_DIRTY`, and VTD_PAGE_MASK removes bits
 * 0-11, so D (bit 9) is never seen: IOMMU_IOAS_UNMAP_DIRTY unmaps every page and reports none.
 * Default: the intended test `val & DMA_SL_PTE_DIRTY` (the format's D bit, as the generic walk
 * reads it). Only the unmap-read-dirty path differs; read_and_clear_dirty is unaffected.
 *
 * Sources: RFC patches 18-19 (docs/rfc-errata.md); mainline drivers/iommu/intel/iommu.c
 * (intel_iommu_set_dirty_tracking, intel_iommu_read_and_clear_dirty), pasid.c
 * (intel_pasid_setup_dirty_tracking),
 * drivers/iommu/intel/iommu.c (intel_iommu_domain_alloc_first_stage, compute_vasz_lg2_fs,
 * paging_domain_compatible_first_stage, domain_setup_first_level), drivers/iommu/intel/cache.c
 * (calculate_psi_aligned_address, cache_tag_flush_range, cache_tag_flush_iotlb,
 * cache_tag_flush_devtlb_psi).
 */
import { ERRNO } from '../../base/errno';
import type { SimClock } from '../../base/clock';
import { SimDevice } from '../device';
import type { DeviceSpec } from '../device';
import { PagingDomain } from '../paging-domain';
import type { VendorDomainHooks } from '../paging-domain';
import { IOMMUPT_WALK, type DirtyWalkProfile } from '../dirty-walk';
import { DEFAULT_KERNEL, type KernelVersion } from '../kernel';
import { VTD_COSTS, VTD_HW_PARAMS } from '../../hw/intel/cost';
import { VtdIommuHw } from '../../hw/intel/model';
import type { VtdHwCaps } from '../../hw/intel/model';
import { CAP, ECAP, GRAN, PC_GRAN, qiContextCache, qiDevIotlb, qiDevIotlbPasid, qiIotlb, qiPageGroupResponse, qiPasidCache, qiPiotlb, qiPiotlbAll } from '../../hw/intel/regs';
import { IOMMU_MODEL, validatePasidTableConfig } from '../pasid-table';
import type { PasidTableConfig } from '../pasid-table';
import { TablePool, createPtIommu } from '../../pt';
import type { GenericPt } from '../../pt';
import type { IommuDirtyBitmap } from '../../pt/types';
import type { IommuCap, Device, IommuDomain, IommuDevice, IommuHwInfo, IommuSystemOptions, PageRequest } from '../types';
import { IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID } from '../../uapi/iommufd';
import { legacyContextClear, legacyContextMap } from './legacy';
import { setupDirtyTracking, setupFirstLevel, setupSecondLevel, tearDownEntry } from './pasid';
import { VtdNestedDomain, VtdNesting } from './nested';
import type { VtdNestHost } from './nested';
import type { UserData } from '../user-data';
import { reportPageRequests } from '../page-requests';

export const IOMMU_HW_INFO_TYPE_INTEL_VTD = 1;
const VTD_MEM_BASE = 0xe100_0000_0000;
/** IOMMU_NO_PASID / RID_PASID. */
const RID_PASID = 0;
/** MAX_AGAW_PFN_WIDTH (iommu.h: MAX_AGAW_WIDTH 64 - VTD_PAGE_SHIFT): cache_tag_flush_all's mask. */
const MAX_AGAW_PFN_WIDTH = 52;
const SZ_4K = 4096;
const SZ_2M = 2 ** 21;
const SZ_1G = 2 ** 30;
/** VTD_PAGE_SHIFT 12: VTD_PAGE_MASK = ((u64)-1) << VTD_PAGE_SHIFT (include/linux/intel-iommu.h). */
export const VTD_PAGE_MASK = ((1n << 64n) - 1n) & ~((1n << 12n) - 1n);
/** DMA_SL_PTE_DIRTY_BIT 9 (RFC patch 18; mainline drivers/iommu/intel/iommu.h DMA_SL_PTE_DIRTY_BIT). */
export const DMA_SL_PTE_DIRTY = 1n << 9n;

/**
 * The dirty test of `dma_clear_pte_dirty` (RFC patch 19) on the 64-bit PTE value the
 * cmpxchg-to-zero returned. `faithful`: as posted, `(val & VTD_PAGE_MASK) & DMA_SL_PTE_DIRTY`
 * (errata E2, docs/rfc-errata.md: always 0); otherwise the intended
 * `val & DMA_SL_PTE_DIRTY`.
 */
export function dmaClearPteDirtyTest(val: bigint, faithful: boolean): boolean {
  return ((faithful ? val & VTD_PAGE_MASK : val) & DMA_SL_PTE_DIRTY) !== 0n;
}

/**
 * A first-stage paging domain (intel_fs_paging_domain_ops): an x86_64 table, no dirty ops.
 * Without CAP.FL1GP its pgsize_bitmap (and so the table's leaf choice, as compute_best_pgsize
 * ANDs the format's sizes with domain.pgsize_bitmap) has no 1 GiB.
 */
export class VtdFirstStageDomain extends PagingDomain {
  /** dmar_domain->force_snooping: PGSNP in the PASID entries of attached devices. */
  forceSnooping = false;
}

/**
 * compute_vasz_lg2_fs (VT-d spec 3.6): 5-level only with MGAW > 48 and CAP.FL5LP, else
 * 4-level with min(48, MGAW) bits. Returns { vaszLg2, levels }.
 */
export function computeVaszLg2Fs(mgaw: number, fl5lp: boolean): { vaszLg2: number; levels: number } {
  if (mgaw > 48 && fl5lp) return { vaszLg2: Math.min(57, mgaw), levels: 5 };
  return { vaszLg2: Math.min(48, mgaw), levels: 4 };
}

/**
 * Second-stage table depth (levels) a kernel gives a domain on this hardware:
 * - '6.19' compute_vasz_lg2_ss (iommupt vtdss): the IOVA width is min(57, MGAW) with SAGAW
 *   bit 3 (MGAW >= 48), else min(48, MGAW) with bit 2 (MGAW >= 39), else min(39, MGAW) with
 *   bit 1; the depth follows the width (> 48 bits → 5 levels, > 39 → 4, else 3), raised to a
 *   depth SAGAW has. -1 when nothing fits.
 * - '6.7-6.18' iommu->agaw = __iommu_calculate_agaw(iommu, DEFAULT_DOMAIN_ADDRESS_WIDTH 57):
 *   the largest SAGAW bit at or below 5-level, whatever MGAW is (so a unit with SAGAW
 *   4|5-level gets 5-level tables even at MGAW 48).
 */
export function secondStageLevels(kernel: KernelVersion, mgaw: number, sagaw: number): number {
  if (kernel === '6.19') {
    let vasz = -1;
    if (mgaw >= 48 && sagaw & 0b1000) vasz = Math.min(57, mgaw);
    else if (mgaw >= 39 && sagaw & 0b0100) vasz = Math.min(48, mgaw);
    else if (mgaw >= 30 && sagaw & 0b0010) vasz = Math.min(39, mgaw);
    if (vasz < 0) return -1;
    // vtdss_pt_iommu_fmt_init: > 48 bits → 5 levels, > 39 → 4, else 3; a depth the unit
    // cannot walk is raised to the next one it can ("the HW can require a 4 level table but
    // only a 3 level worth of IOVA width").
    for (let levels = vasz > 48 ? 5 : vasz > 39 ? 4 : 3; levels <= 5; levels++) if (sagaw & (1 << (levels - 2))) return levels;
    return -1;
  }
  for (let agaw = 3; agaw >= 1; agaw--) if (sagaw & (1 << agaw)) return agaw + 2;
  return -1;
}

export interface VtdSystemOptions extends IommuSystemOptions {
  pool?: TablePool;
}

/**
 * read_and_clear_dirty before iommupt (6.7-6.18, drivers/iommu/intel/iommu.c
 * intel_iommu_read_and_clear_dirty): pfn_to_dma_pte from the root for every leaf and hole,
 * then dma_sl_pte_test_and_clear_dirty = test_and_clear_bit on every present PTE.
 */
export const VTD_LEGACY_WALK: DirtyWalkProfile = { kind: 'per-leaf-rewalk', source: 'intel/iommu.c intel_iommu_read_and_clear_dirty (pfn_to_dma_pte, dma_sl_pte_test_and_clear_dirty)' };

/** The VT-d second-stage read_and_clear_dirty walker of `kernel`: iommupt from 6.19, the driver's own before. */
export function vtdDirtyWalk(kernel: KernelVersion): DirtyWalkProfile {
  return kernel === '6.19' ? IOMMUPT_WALK : VTD_LEGACY_WALK;
}

/** Per-device data (struct device_domain_info): the PASID directory. */
interface VtdDevice extends SimDevice {
  pasidDir: number;
  /** pasid_table_bound flag (SVA v4 patch 03). */
  bound: boolean;
}

/**
 * calculate_psi_aligned_address: the naturally aligned 2^mask-page block covering
 * [start, start+size) → { addr, mask } (mask = log2 pages).
 */
export function psiAligned(start: number, size: number): { addr: number; mask: number } {
  const pfn = Math.floor(start / 4096);
  const endPfn = Math.floor((start + size - 1) / 4096);
  const pages = endPfn - pfn + 1;
  let mask = 0;
  while (2 ** mask < pages) mask++;
  if (pfn % 2 ** mask !== 0) {
    // Smallest aligned block containing both ends: first bit above which pfn and endPfn agree.
    mask = 0;
    while (Math.floor(pfn / 2 ** mask) !== Math.floor(endPfn / 2 ** mask)) mask++;
  }
  return { addr: Math.floor(pfn / 2 ** mask) * 2 ** mask * 4096, mask };
}

/** cache_tag_flush_devtlb_psi: QI_DIOTLB for IOMMU_NO_PASID tags, QI_DEIOTLB otherwise. */
function devtlbDesc(d: Device, pasid: number, addr: number, mask: number): bigint[] {
  return pasid === RID_PASID ? qiDevIotlb(d.sid, 32, addr, mask) : qiDevIotlbPasid(d.sid, 0, pasid, 32, addr, mask);
}

export class VtdIommuDriver implements IommuDevice, VendorDomainHooks, VtdNestHost {
  readonly vendor = 'intel' as const;
  readonly clock: SimClock;
  readonly hw: VtdIommuHw;
  readonly pool: TablePool;
  readonly devices = new Map<number, VtdDevice>();
  private nextDid = 1;
  private readonly freeDids: number[] = [];
  /** Nesting parents and their nested (PGTT 3) children (core/iommu/intel/nested.ts). */
  readonly nesting: VtdNesting = new VtdNesting(this);
  /** caps.rfcFaithful: the RFC v1 unmap-with-dirty as posted (errata E2), see the file comment. */
  readonly rfcFaithful: boolean;
  /**
   * VendorDomainHooks.unmapReadDirtyTest of second-stage domains: installed only with
   * caps.rfcFaithful (E2); absent, the generic walk's D bit decides (the intended behaviour).
   */
  readonly unmapReadDirtyTest?: (domain: PagingDomain, lo: number, hi: number) => boolean;
  /**
   * Domain hooks of first-stage domains: the driver's, except iotlb_sync_map, which mainline
   * sets for first stage only when rwbf_required() (CAP.RWBF, not modelled: 0), never for
   * CAP.CM ("iommu/vt-d: Make iotlb_sync_map a static property of dmar_domain"; VT-d spec
   * 6.1: caching mode concerns remapping structures other than first-stage mappings).
   */
  private readonly fsHooks: VendorDomainHooks = {
    dirtyWalk: IOMMUPT_WALK,
    attachDev: (d, dev) => this.attachDev(d, dev),
    flushRange: (d, start, size, pgsize, leafOnly) => this.flushRange(d, start, size, pgsize, leafOnly),
    flushAll: (d) => this.flushAll(d),
    setDirtyTracking: (d, en) => this.setDirtyTracking(d, en),
    readDirtyCheck: (d, dirty) => this.readDirtyCheck(d, dirty),
    release: (d) => this.release(d),
    cachesNonPresent: () => false,
    enforceCacheCoherency: (d) => this.enforceCacheCoherencyFs(d),
  };

  /** Walker of read_and_clear_dirty for the modelled kernel: iommupt (6.19) or the driver's own (6.7-6.18). */
  readonly dirtyWalk: DirtyWalkProfile;
  /** The kernel whose driver code is modelled. */
  readonly kernel: KernelVersion;

  constructor(opts: VtdSystemOptions) {
    this.clock = opts.clock;
    this.kernel = opts.kernel ?? DEFAULT_KERNEL;
    this.dirtyWalk = vtdDirtyWalk(this.kernel);
    this.pool = opts.pool ?? new TablePool();
    this.hw = new VtdIommuHw(
      { clock: opts.clock, recorder: opts.recorder, cost: VTD_COSTS, costOverrides: opts.costOverrides, iotlbEntries: opts.iotlbEntries ?? VTD_HW_PARAMS.iotlbEntries.value, walkCacheEntries: opts.walkCacheEntries ?? VTD_HW_PARAMS.walkCacheEntries.value, walkers: opts.walkers ?? VTD_HW_PARAMS.walkers.value, memBase: VTD_MEM_BASE },
      (opts.caps ?? {}) as VtdHwCaps,
    );
    this.rfcFaithful = opts.caps?.rfcFaithful === true;
    if (this.rfcFaithful) {
      this.unmapReadDirtyTest = (_d, lo, hi) => dmaClearPteDirtyTest((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), true);
    }
  }

  /**
   * Scalable mode with SLADS: ssads_supported(), and (model choice) paging-structure
   * coherency: the generic page table keeps no write log for dirty bits on DMA-incoherent
   * tables ("DMA incoherence and atomic dirty tracking bits can't work together", iommu_pt.h
   * record_dirty), so a non-coherent unit reports no dirty tracking.
   */
  get ssads(): boolean {
    return this.hw.ecapHas(ECAP.SMTS) && this.hw.ecapHas(ECAP.SLADS) && this.pagingStructureCoherency;
  }

  /**
   * iommu_paging_structure_coherency(): ECAP.SMPWC in scalable mode, ECAP.C in legacy mode.
   * False → the domain's page table gets PT_FEAT_DMA_INCOHERENT (clflush of IOPTE writes).
   */
  get pagingStructureCoherency(): boolean {
    return this.hw.ecapHas(this.hw.ecapHas(ECAP.SMTS) ? ECAP.SMPWC : ECAP.C);
  }

  /** Probe: allocate the PASID directory (PDTS 0 = 128 entries) and the scalable-mode context entry. */
  addDevice(spec: DeviceSpec): SimDevice {
    if (spec.sid > 0xffff) throw new RangeError('VT-d source-id is 16 bits');
    if (this.devices.has(spec.sid)) throw new RangeError(`device ${spec.sid} already probed`);
    const dev = new SimDevice(this, spec) as VtdDevice;
    dev.bound = false;
    // Legacy mode: no PASID directory; the context entry is written at attach (blocked until then).
    dev.pasidDir = this.hw.legacyMode ? -1 : this.hw.mem.allocPages(1);
    if (!this.hw.legacyMode) this.hw.writeContextEntry(dev.sid, dev.pasidDir, 0, dev.ats, dev.pri);
    this.hw.setPri(dev.sid, dev.pri);
    this.hw.setAts(dev.sid, dev.ats ? dev.atcEntries : 0);
    this.devices.set(dev.sid, dev);
    return dev;
  }

  capable(_dev: Device, cap: IommuCap): boolean {
    if (cap === 'IOMMU_CAP_DIRTY_TRACKING') return this.ssads;
    if (cap === 'IOMMU_CAP_ENFORCE_CACHE_COHERENCY') return this.hw.ecapHas(ECAP.SC); // ecap_sc_support
    return cap === 'IOMMU_CAP_CACHE_COHERENCY';
  }

  /** struct iommu_hw_info_vtd { flags, __reserved, cap_reg, ecap_reg }. */
  hwInfo(_dev: Device): IommuHwInfo {
    const { cap, ecap } = this.hw;
    return {
      outDataType: IOMMU_HW_INFO_TYPE_INTEL_VTD,
      data: { flags: 0, cap_reg: Number(cap), cap_reg_lo: Number(cap & 0xffffffffn), cap_reg_hi: Number(cap >> 32n), ecap_reg: Number(ecap), ecap_reg_lo: Number(ecap & 0xffffffffn), ecap_reg_hi: Number(ecap >> 32n) },
      capabilities: this.ssads ? IOMMU_HW_CAP_DIRTY_TRACKING : 0,
    };
  }

  /**
   * intel_iommu_domain_alloc_paging_flags: "Prefer first stage if possible by default" —
   * intel_iommu_domain_alloc_first_stage, and on -EOPNOTSUPP (any flag but PASID, no scalable
   * mode, no ECAP.FLTS) intel_iommu_domain_alloc_second_stage.
   */
  domainAllocPagingFlags(dev: Device, flags: number): IommuDomain | number {
    const fs = this.domainAllocFirstStage(dev, flags);
    if (fs !== -ERRNO.EOPNOTSUPP) return fs;
    return this.domainAllocSecondStage(dev, flags);
  }

  private allocDid(): number {
    return this.freeDids.pop() ?? this.nextDid++;
  }

  /** ECAP.PSS + 1. */
  pasidWidth(): number {
    return this.hw.pasidBits;
  }

  allocDidFor(): number {
    return this.allocDid();
  }

  freeDid(did: number): void {
    this.freeDids.push(did);
  }

  pasidDirOf(dev: Device): number | undefined {
    const vd = this.devices.get(dev.sid);
    return vd === dev ? vd.pasidDir : undefined;
  }

  /** The RID's domain bookkeeping: leave the old domain (paging or nested), record the new one. */
  setCurrentDomain(dev: Device, domain: IommuDomain | null): void {
    const vd = this.devices.get(dev.sid);
    if (!vd) return;
    const old = vd.domain as PagingDomain | VtdNestedDomain | null;
    if (old instanceof VtdNestedDomain) this.nesting.detach(old, vd, 0);
    else if (old) old.devices.delete(vd);
    vd.domain = domain;
  }

  /** intel_iommu_domain_alloc_nested (nested.ts). */
  domainAllocNested(_dev: Device, parent: IommuDomain, flags: number, data: UserData): IommuDomain | number {
    return this.nesting.alloc(parent, flags, data);
  }

  /** remove_dev_pasid for nested attachments (paging PASID attach is not modelled on VT-d). */
  removeDevPasid(dev: Device, pasid: number, domain: IommuDomain): void {
    if (domain instanceof VtdNestedDomain) this.nesting.removePasid(domain, dev, pasid);
  }

  /**
   * intel_iommu_domain_alloc_first_stage: -EOPNOTSUPP for any flag but IOMMU_HWPT_ALLOC_PASID
   * or without sm_supported() + ecap_flts(); an x86_64 table of compute_vasz_lg2_fs() levels
   * (4 here: MGAW is 48 bits and CAP.FL5LP is not modelled), PT_FEAT_DMA_INCOHERENT when
   * !ecap_smpwc ("First stage always uses scalable mode"), pgsize_bitmap 4K | 2M | (1G with
   * CAP.FL1GP), no dirty ops, no iotlb_sync_map (no RWBF). PT_FEAT_SIGN_EXTEND is not
   * modelled by core/pt: the table translates [0, 2^48).
   */
  private domainAllocFirstStage(_dev: Device, flags: number): IommuDomain | number {
    if (flags & ~IOMMU_HWPT_ALLOC_PASID) return -ERRNO.EOPNOTSUPP;
    if (!this.hw.ecapHas(ECAP.SMTS) || !this.hw.ecapHas(ECAP.FLTS)) return -ERRNO.EOPNOTSUPP;
    const did = this.allocDid();
    if (did > 0xffff) return -ERRNO.ENOMEM;
    const { levels } = computeVaszLg2Fs(this.hw.mgaw, this.hw.capHas(CAP.FL5LP));
    let pt: GenericPt;
    try {
      pt = createPtIommu('x86_64', {
        pool: this.pool,
        levels,
        dmaIncoherent: !this.hw.ecapHas(ECAP.SMPWC),
        // domain_super_pgsize_bitmap: 2M always, 1G only with CAP.FL1GP.
        pgsizeBitmap: this.hw.capHas(CAP.FL1GP) ? undefined : SZ_4K | SZ_2M,
      });
    } catch {
      this.freeDids.push(did);
      return -ERRNO.ENOMEM;
    }
    this.hw.attachPageTable(pt);
    return new VtdFirstStageDomain(this, this.hw, this.pool, pt, did, this.fsHooks, false);
  }

  /**
   * intel_iommu_domain_alloc_second_stage: -EOPNOTSUPP for unknown flags, without scalable
   * mode + SLTS, or DIRTY_TRACKING without SLADS.
   */
  private domainAllocSecondStage(_dev: Device, flags: number): IommuDomain | number {
    const supported = IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID;
    if (flags & ~supported) return -ERRNO.EOPNOTSUPP;
    // "Legacy mode always supports second stage"; scalable mode needs ECAP.SLTS.
    if (this.hw.ecapHas(ECAP.SMTS) && !this.hw.ecapHas(ECAP.SLTS)) return -ERRNO.EOPNOTSUPP;
    const dirty = (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0;
    if (dirty && !this.ssads) return -ERRNO.EOPNOTSUPP;
    // nested_supported(): scalable mode + ECAP.NEST. NEST_PARENT | DIRTY_TRACKING is allowed.
    const nestParent = (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) !== 0;
    if (nestParent && !this.hw.ecapHas(ECAP.NEST)) return -ERRNO.EOPNOTSUPP;
    const did = this.allocDid();
    if (did > 0xffff) return -ERRNO.ENOMEM;
    const levels = secondStageLevels(this.kernel, this.hw.mgaw, this.hw.sagaw);
    if (levels < 0) {
      this.freeDids.push(did);
      return -ERRNO.EOPNOTSUPP;
    }
    let pt;
    try {
      // Non-coherent walks (ECAP.SMPWC = 0 in scalable mode) → PT_FEAT_DMA_INCOHERENT (clflush).
      pt = createPtIommu('vtdss', { pool: this.pool, levels, dmaIncoherent: !this.pagingStructureCoherency });
    } catch {
      this.freeDids.push(did);
      return -ERRNO.ENOMEM;
    }
    this.hw.attachPageTable(pt);
    const d = new PagingDomain(this, this.hw, this.pool, pt, did, this, dirty);
    if (nestParent) this.nesting.parents.add(d);
    return d;
  }

  /**
   * Attach via the RID_PASID entry (dmar_domain_attach_device): first-stage domains with
   * domain_setup_first_level (PGTT 1, FLPTR, FLPM, PWSNP unless the table is incoherent),
   * second-stage ones with domain_setup_second_level. -EINVAL as paging_domain_compatible:
   * a dirty domain on an IOMMU without SSADS; a first-stage domain on a unit without
   * scalable mode + FLTS, with a coherent table on a non-coherent unit, or with 1 GiB pages
   * on a unit without CAP.FL1GP.
   */
  attachDev(domain: PagingDomain, dev: Device): number {
    const vd = this.devices.get(dev.sid);
    if (!vd || vd !== dev) return -ERRNO.ENODEV;
    const fs = domain instanceof VtdFirstStageDomain;
    if (fs) {
      const rc = this.firstStageCompatible(domain);
      if (rc) return rc;
    } else if (domain.dirtyOps && !this.ssads) return -ERRNO.EINVAL;
    const ts = this.clock.now;
    this.setCurrentDomain(vd, null);
    if (fs) {
      const pwsnp = domain.pt.incoherent === null;
      setupFirstLevel(this.hw, vd, vd.pasidDir, RID_PASID, domain.pt.rootPhys, domain.tag, { fl5lp: domain.pt.topLevel === 4, pwsnp, pageSnoop: (domain as VtdFirstStageDomain).forceSnooping });
    } else if (this.hw.legacyMode) legacyContextMap(this.hw, vd, domain.pt.rootPhys, domain.pt.topLevel + 1, domain.tag);
    else setupSecondLevel(this.hw, vd, vd.pasidDir, RID_PASID, domain.pt.rootPhys, domain.tag, domain.dirtyTracking, domain.pt.incoherent === null, domain.pt.topLevel - 1);
    domain.devices.add(vd);
    vd.domain = domain;
    domain.trace('intel_iommu_attach_device', ts, { sid: vd.sid });
    return 0;
  }

  /** paging_domain_compatible_first_stage: 0 or -EINVAL. */
  private firstStageCompatible(domain: PagingDomain): number {
    if (domain.dirtyOps) return -ERRNO.EINVAL; // WARN_ON(dirty_ops || nested_parent)
    if (!this.hw.ecapHas(ECAP.SMTS) || !this.hw.ecapHas(ECAP.FLTS)) return -ERRNO.EINVAL;
    if (!this.hw.ecapHas(ECAP.SMPWC) && domain.pt.incoherent === null) return -ERRNO.EINVAL;
    if (!this.hw.capHas(CAP.FL5LP) && domain.pt.vaLimit > 2 ** 48) return -ERRNO.EINVAL;
    if (!this.hw.capHas(CAP.FL1GP) && domain.pgsizeBitmap >= SZ_1G) return -ERRNO.EINVAL;
    return 0;
  }

  blockDevice(dev: Device): number {
    const vd = this.devices.get(dev.sid);
    if (!vd) return -ERRNO.ENODEV;
    this.setCurrentDomain(vd, null);
    if (this.hw.legacyMode) legacyContextClear(this.hw, vd);
    else tearDownEntry(this.hw, vd, vd.pasidDir, RID_PASID);
    return 0;
  }

  /**
   * cache_tag_flush_range: one IOTLB descriptor per cache tag (cache_tag_flush_iotlb) —
   * first stage: page-selective-within-PASID QI_EIOTLB with IH = no page-table pages freed
   * (intel_iommu_tlb_sync passes iommu_pages_list_empty(&gather->freelist)), or the
   * PASID-selective form at mask >= MAX_AGAW_PFN_WIDTH; second stage: PSI (DSI above
   * CAP.MAMV; QI_IOTLB_IH is always 0 there, qi_desc_iotlb) — then the device TLBs of ATS
   * devices (cache_tag_flush_devtlb_psi: plain QI_DIOTLB for IOMMU_NO_PASID tags), one wait.
   */
  flushRange(domain: PagingDomain, start: number, size: number, _pgsize = 4096, leafOnly = false): void {
    const ts = this.clock.now;
    const { addr, mask } = psiAligned(start, size);
    this.flushTags(domain, addr, mask, leafOnly);
    domain.trace('intel_flush_range', ts, { start, size, mask });
  }

  /** cache_tag_flush_all = cache_tag_flush_range(0, ULONG_MAX): mask MAX_AGAW_PFN_WIDTH. */
  flushAll(domain: PagingDomain): void {
    this.flushTags(domain, 0, MAX_AGAW_PFN_WIDTH, false);
  }

  /** The cache-tag walk of cache_tag_flush_range for the RID_PASID tags of `domain`, batched into one qi_submit_sync. */
  private flushTags(domain: PagingDomain, addr: number, mask: number, ih: boolean): void {
    const descs: bigint[][] = [];
    if (domain instanceof VtdFirstStageDomain) {
      descs.push(mask >= MAX_AGAW_PFN_WIDTH ? qiPiotlbAll(domain.tag, RID_PASID) : qiPiotlb(domain.tag, RID_PASID, addr, mask, ih));
    } else {
      descs.push(mask > this.hw.mamv ? qiIotlb(GRAN.DOMAIN, domain.tag, 0, 0) : qiIotlb(GRAN.DEVICE_OR_PAGE, domain.tag, addr, mask));
    }
    for (const d of domain.devices) if (d.ats && domain.devtlbFlush) descs.push(devtlbDesc(d, RID_PASID, addr, mask));
    descs.push(...this.nesting.parentFlushDescs(domain, addr, mask, this.hw.mamv));
    this.hw.qiSubmitSync(descs);
  }

  /**
   * intel_iommu_set_dirty_tracking: no-op if unchanged; per attached device set SSADE in the
   * RID_PASID entry with the Table-23 flushes; on failure roll the done devices back.
   */
  setDirtyTracking(domain: PagingDomain, enable: boolean): number {
    if (domain.dirtyTracking === enable) return 0;
    const ts = this.clock.now;
    const done: VtdDevice[] = [];
    for (const dev of domain.devices) {
      const vd = dev as VtdDevice;
      const rc = setupDirtyTracking(this.hw, vd, vd.pasidDir, RID_PASID, enable);
      if (rc) {
        for (const d of done) setupDirtyTracking(this.hw, d, d.pasidDir, RID_PASID, domain.dirtyTracking);
        return rc;
      }
      done.push(vd);
    }
    // parent_domain_set_dirty_tracking: a nesting parent's children follow (SSADE).
    if (this.nesting.parents.has(domain)) {
      const rc = this.nesting.parentSetDirtyTracking(domain, enable);
      if (rc) {
        for (const d of done) setupDirtyTracking(this.hw, d, d.pasidDir, RID_PASID, domain.dirtyTracking);
        return rc;
      }
    }
    domain.dirtyTracking = enable;
    domain.trace('intel_iommu_set_dirty_tracking', ts, { enable, devices: domain.devices.size });
    return 0;
  }

  /**
   * bind_pasid_table (SVA v4 patch 04): validate (model 1, 4 KiB alignment, pasid_bits <=
   * host width; -EINVAL with `why.reason`), -EBUSY if already bound, then point the context
   * entry at the guest PASID directory and invalidate context cache (device-selective),
   * PASID cache and IOTLB (global), one wait. Contents are not read.
   */
  bindPasidTable(dev: Device, cfg: PasidTableConfig, why?: { reason: string }): number {
    const vd = this.devices.get(dev.sid);
    if (!vd) return -ERRNO.ENODEV;
    if (this.hw.legacyMode) return -ERRNO.EOPNOTSUPP; // PASID tables need scalable mode
    const rc = validatePasidTableConfig(cfg, { model: IOMMU_MODEL.INTEL_VTD, align: 4096, pasidBits: this.hw.pasidBits }, why);
    if (rc) return rc;
    if (vd.bound) return -ERRNO.EBUSY;
    const old = vd.domain as PagingDomain | null;
    if (old) old.devices.delete(vd);
    vd.domain = null;
    // 2^(7+PDTS) directory entries of 64 PASIDs each cover pasid_bits.
    this.hw.writeContextEntry(vd.sid, cfg.basePtr, Math.max(0, cfg.pasidBits - 13), vd.ats, vd.pri);
    this.hw.qiSubmitSync([qiContextCache(GRAN.DEVICE_OR_PAGE, 0, vd.sid, 0), qiPasidCache(PC_GRAN.GLOBAL, 0, 0), qiIotlb(GRAN.GLOBAL, 0, 0, 0)]);
    vd.bound = true;
    return 0;
  }

  /**
   * intel_iommu_enforce_cache_coherency_ss: second-stage tables have per-PTE snoop control,
   * so new leaves get SNP (PT_FEAT_VTDSS_FORCE_COHERENCE); false without ECAP.SC
   * (domain_support_force_snooping). Nest parents are not modelled.
   */
  enforceCacheCoherency(domain: PagingDomain): boolean {
    if (!this.hw.ecapHas(ECAP.SC)) return false;
    domain.pt.forceCoherence = true;
    return true;
  }

  /**
   * intel_iommu_enforce_cache_coherency_fs: first stage snoops per PASID entry (PGSNP): mark
   * the domain force_snooping and re-program the entries of attached devices
   * (intel_pasid_setup_page_snoop_control); later attaches set PGSNP from the flag.
   */
  private enforceCacheCoherencyFs(domain: PagingDomain): boolean {
    const fs = domain as VtdFirstStageDomain;
    if (fs.forceSnooping) return true;
    if (!this.hw.ecapHas(ECAP.SC)) return false;
    fs.forceSnooping = true;
    for (const dev of domain.devices) this.attachDev(domain, dev);
    return true;
  }

  /** CAP.CM: the (emulated) IOMMU caches not-present entries, so maps are flushed too. */
  cachesNonPresent(): boolean {
    return ((this.hw.cap >> BigInt(CAP.CM)) & 1n) === 1n;
  }

  /** Tracking off and a bitmap to fill → -EINVAL. */
  readDirtyCheck(domain: PagingDomain, dirty: IommuDirtyBitmap): number {
    if (!domain.dirtyTracking && dirty.bitmap !== null) return -ERRNO.EINVAL;
    return 0;
  }

  release(domain: PagingDomain): void {
    for (const d of [...domain.devices]) this.blockDevice(d);
    this.freeDids.push(domain.tag);
  }

  /**
   * intel_iommu_enable_iopf (drivers/iommu/intel/iommu.c): -ENODEV unless PRI is enabled on
   * the device, which needs its PRI capability, ATS and ECAP.PRS (set at probe); then the
   * device joins the IOMMU's iopf queue and its translation faults become page requests.
   */
  enableIopf(dev: Device): number {
    if (!this.devices.has(dev.sid)) return -ERRNO.ENODEV;
    if (!dev.pri || !dev.ats || !this.hw.priEnabled(dev.sid)) return -ERRNO.ENODEV;
    return 0;
  }

  /** prq_event_thread: every page request goes to iommu_report_device_fault (core/iommu/page-requests.ts). */
  handlePageRequests(report: (dev: Device, req: PageRequest) => number): number {
    return reportPageRequests(this.hw, this.devices, report, (d, pasid, grpid, code) => this.pageResponse(d, pasid, grpid, code));
  }

  /**
   * Page response (intel_iommu_page_response): one page group response descriptor + wait;
   * code 0 = success, 1 = invalid. 0, -ENODEV, or -EINVAL when no such request is outstanding.
   */
  pageResponse(dev: Device, pasid: number, grpid: number, code: number): number {
    if (!this.devices.has(dev.sid)) return -ERRNO.ENODEV;
    const n = this.hw.commands.total;
    this.hw.qiSubmitSync([qiPageGroupResponse(dev.sid, pasid, grpid, code === 0 ? 0 : 1)]);
    const cmds = this.hw.commands.toArray();
    return Number(cmds[cmds.length - (this.hw.commands.total - n)]!.fields.rc);
  }

  dma(dev: Device, pasid: number, iova: number, length: number, write: boolean): number {
    return this.hw.dma(dev.sid, pasid, iova, length, write);
  }
}
