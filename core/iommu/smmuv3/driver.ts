/**
 * Arm SMMUv3 driver (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c) over the SMMUv3 model:
 * probe (abort STE), stage-1 domain allocation ('armv8'; DIRTY_TRACKING only when HTTU =
 * access+dirty and the SMMU is coherent → IO_PGTABLE_QUIRK_ARM_HD: CD.HA/HD set and
 * writable leaves installed with DBM), attach (CD + CFGI_CD, STE + CFGI_STE, CMD_SYNC),
 * TLB invalidation (__arm_smmu_tlb_inv_range: range TLBI_NH_VA with RIL, per-granule
 * otherwise with the 512-op switch to TLBI_NH_ASID; ATC_INV for ATS masters; CMD_SYNC),
 * set_dirty_tracking (a no-op: DBM always on; iommufd's enable-time clearing read makes
 * leaves writable-clean) and read_and_clear_dirty.
 *
 * What-if `caps.dirtyDesign` ({@link SMMU_DIRTY_DESIGNS}; index, default 0 = 'v2' above):
 * - 'rfc-v1': the 2022 RFC v1 design (RFC 15/19 set_dirty_tracking_range, RFC 14/19
 *   read_and_clear_dirty, RFC 02/19 iommufd range loop; docs/rfc-errata.md D3): writable
 *   leaves are mapped WITHOUT DBM; enabling walks every mapped range setting DBM|AP[2] (writable-clean) on writable leaves, the ranges go into
 *   one gather and one iotlb_sync (TLBI + CMD_SYNC); disabling clears DBM (dirty state
 *   forgotten); maps made after enabling get no DBM, so their writes are never reported
 *   (errata E20, Kevin Tian's review).
 * - 'rfc-v1-faithful': the same with the RFC code's errata (docs/rfc-errata.md): E3 (the read
 *   callback skips every PTE with DBM or AP[2] set: nothing is ever reported), E4 (the
 *   modifier's single-negation change test: enable skips PTEs without DBM, disable skips
 *   PTEs with DBM), E6 (iommufd passes `last_iova - iova`, length − 1, which fails the
 *   pgsize_bitmap size check: -EINVAL); plus the RFC's -EINVAL on a read-only leaf, its
 *   BBML2 requirement (-ENODEV) and E7's -EOPNOTSUPP when no range is mapped.
 *
 * Sources: drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c (arm_smmu_set_dirty_tracking,
 * arm_smmu_read_and_clear_dirty, __arm_smmu_tlb_inv_range), io-pgtable-arm.c
 * (arm_lpae_read_and_clear_dirty); RFC v1 and errata E3/E4/E6/E20: docs/rfc-errata.md;
 * docs/cost-model-sources.md S7.
 */
import { ERRNO } from '../../base/errno';
import type { SimClock } from '../../base/clock';
import { fset } from '../../base/bitfield';
import { SimDevice } from '../device';
import type { DeviceSpec } from '../device';
import { PagingDomain } from '../paging-domain';
import type { VendorDomainHooks } from '../paging-domain';
import type { DirtyWalkProfile } from '../dirty-walk';
import { SMMUV3_COSTS, SMMUV3_HW_PARAMS } from '../../hw/smmuv3/cost';
import { SmmuV3Hw } from '../../hw/smmuv3/model';
import type { SmmuHwCaps } from '../../hw/smmuv3/model';
import { CD, HTTU, STE, STE_CFG, cmdAtcInv, cmdCfgiCd, cmdCfgiSte, cmdPriResp, cmdSync, cmdTlbiNhAsid, cmdTlbiNhVa, cmdTlbiS12Vmall } from '../../hw/smmuv3/regs';
import { IOMMU_MODEL, validatePasidTableConfig } from '../pasid-table';
import type { PasidTableConfig } from '../pasid-table';
import { PT_ATTR, TablePool, createPtIommu, iotlbGatherAddRange, iotlbGatherInit } from '../../pt';
import type { GenericPt, PtLeaf } from '../../pt';
import { IOMMU_DIRTY_NO_CLEAR } from '../../pt/types';
import type { IommuDirtyBitmap, IotlbGather } from '../../pt/types';
import type { IommuCap, Device, IommuDomain, IommuDevice, IommuHwInfo, IommuSystemOptions, ViommuCore, ViommuOps } from '../types';
import type { UserData } from '../user-data';
import { SmmuVsmmu, smmuNestingSupported, smmuViommuSize, writeS2Ste } from './nested';
import type { SmmuNestHost , SmmuNestedDomain} from './nested';
import { IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID } from '../../uapi/iommufd';


export const IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2;
const SMMU_MEM_BASE = 0xe200_0000_0000;
/**
 * Stage-1 page sizes of a 4 KiB granule as io-pgtable-arm offers them
 * (arm_lpae_restrict_pgsizes: SZ_4K | SZ_2M | SZ_1G; no contiguous-bit sizes).
 */
export const SMMU_PGSIZES_4K = 2 ** 12 + 2 ** 21 + 2 ** 30;
/** CMDQ_MAX_TLBI_OPS for 4K pages: 1 << (PAGE_SHIFT - 3). */
export const CMDQ_MAX_TLBI_OPS = 512;

export interface SmmuSystemOptions extends IommuSystemOptions {
  pool?: TablePool;
}

/**
 * io-pgtable-arm's read_and_clear_dirty (every kernel: SMMUv3 was not converted to iommupt):
 * one descent through __arm_lpae_iopte_walk_dirty with one indirect walk_data->visit call per
 * entry visited, and iopte_set_writeable_clean = set_bit(AP_RDONLY) on dirty leaves only.
 * (The 6.10 form recursed directly; the generic visit walker came later, version not pinned.)
 */
export const ARM_LPAE_WALK: DirtyWalkProfile = { kind: 'io-pgtable-arm', source: 'io-pgtable-arm.c __arm_lpae_iopte_walk_dirty (visit_dirty, iopte_set_writeable_clean)' };

/**
 * SMMUv3 dirty-tracking designs, selected by `caps.dirtyDesign` (the index into this list;
 * caps hold numbers and booleans only): 'v2' mainline always-DBM (IO_PGTABLE_QUIRK_ARM_HD),
 * 'rfc-v1' the 2022 RFC v1 range-op design as intended, 'rfc-v1-faithful' the RFC v1 code
 * as posted (errata E3, E4, E6). See the module comment.
 */
export const SMMU_DIRTY_DESIGNS = ['v2', 'rfc-v1', 'rfc-v1-faithful'] as const;
export type SmmuDirtyDesign = (typeof SMMU_DIRTY_DESIGNS)[number];

/** The caps entry selecting `design` (for createIommuSystem's `caps`). */
export function smmuDirtyDesignCaps(design: SmmuDirtyDesign): { dirtyDesign: number } {
  return { dirtyDesign: SMMU_DIRTY_DESIGNS.indexOf(design) };
}

/** One mapped IOVA range (a maximal run of contiguous present leaves). */
export interface SmmuMappedRange {
  iova: number;
  size: number;
  /** Leaves of the run, in IOVA order. */
  leaves: PtLeaf[];
}

/**
 * The mapped ranges of a table: maximal runs of IOVA-contiguous leaves. They stand for the
 * iopt areas RFC 02/19's __set_dirty_tracking_range_locked iterated (the
 * driver does not see iommufd's areas; adjacent areas appear as one range).
 */
export function smmuMappedRanges(pt: GenericPt): SmmuMappedRange[] {
  const out: SmmuMappedRange[] = [];
  let cur: SmmuMappedRange | null = null;
  for (const l of pt.leaves()) {
    if (cur && cur.iova + cur.size === l.iova) {
      cur.size += l.size;
      cur.leaves.push(l);
    } else {
      cur = { iova: l.iova, size: l.size, leaves: [l] };
      out.push(cur);
    }
  }
  return out;
}

/**
 * A domain of the 'rfc-v1-faithful' design: read_and_clear_dirty runs the RFC 14/19 callback
 * as posted (__arm_lpae_read_and_clear_dirty): `if (pte &
 * ARM_LPAE_PTE_AP_WRITABLE) return 0;` with AP_WRITABLE = AP_RDONLY | DBM skips every
 * writable-clean, writable-dirty and read-only PTE, and `if (!(pte & DBM)) return 0;` skips
 * the rest, so no leaf is ever recorded or cleared (errata E3, docs/rfc-errata.md). The walk
 * still reads every entry (charged by the io-pgtable-arm walker profile, with no records).
 */
export class SmmuRfcV1FaithfulDomain extends PagingDomain {
  override readAndClearDirty(iova: number, size: number, _flags: number, _dirty: IommuDirtyBitmap): number {
    if (this.freed) return -ERRNO.EINVAL;
    const ts = this.hw.clock.now;
    const before = this.scanSnapshot();
    // The same walk with nothing recorded and nothing cleared: a NO_CLEAR scan into no bitmap
    // and a scratch gather (E3: the callback returns before iommu_dirty_bitmap_record).
    const rc = this.pt.readAndClearDirty(iova, size, IOMMU_DIRTY_NO_CLEAR, { bitmap: null, gather: iotlbGatherInit() });
    // Nothing is recorded: the callback returns before iommu_dirty_bitmap_record.
    this.chargeScan(before, false, { recorded: false });
    this.trace('pt_read_and_clear_dirty', ts, { iova, size, dirty_leaves: 0, rc, erratum: 'E3' });
    return rc;
  }
}

/** struct arm_smmu_master: its CD table (linear, 2^cdLog2 entries). */
interface SmmuMaster extends SimDevice {
  cdTable: number;
  cdLog2: number;
  /** A guest CD table is installed (bind_pasid_table). */
  bound: boolean;
}

/** The (scale, num) range decomposition of __arm_smmu_tlb_inv_range for 4K granules. */
export function tlbiRanges(iova: number, size: number): { addr: number; num: number; scale: number }[] {
  const out = [];
  let pages = Math.ceil(size / 4096);
  let a = iova;
  while (pages > 0) {
    let scale = 0;
    while (pages % 2 ** (scale + 1) === 0) scale++;
    const num = Math.floor(pages / 2 ** scale) & 31;
    out.push({ addr: a, num: num - 1, scale });
    a += num * 2 ** scale * 4096;
    pages -= num * 2 ** scale;
  }
  return out;
}

export class SmmuV3Driver implements IommuDevice, VendorDomainHooks, SmmuNestHost {
  readonly vendor = 'smmuv3' as const;
  readonly clock: SimClock;
  readonly hw: SmmuV3Hw;
  readonly pool: TablePool;
  readonly devices = new Map<number, SmmuMaster>();
  private nextAsid = 1;
  /** What-if: an SMMU that cannot contain guest-table faults exposes no bind op (T-PS-14). */
  private readonly noPasidBind: boolean;
  private readonly freeAsids: number[] = [];
  /** Stage-2 nesting-parent domains and their VMIDs (core/iommu/smmuv3/nested.ts). */
  readonly s2Vmid = new WeakMap<PagingDomain, number>();
  private nextVmid = 1;
  /** Dirty-tracking design (caps.dirtyDesign; default 'v2'). */
  readonly dirtyDesign: SmmuDirtyDesign;
  /** Walker of read_and_clear_dirty (the same for every modelled kernel). */
  readonly dirtyWalk: DirtyWalkProfile = ARM_LPAE_WALK;

  /** @throws RangeError when caps.dirtyDesign is not an index of {@link SMMU_DIRTY_DESIGNS}. */
  constructor(opts: SmmuSystemOptions) {
    const d = opts.caps?.dirtyDesign ?? 0;
    const design = typeof d === 'number' ? SMMU_DIRTY_DESIGNS[d] : undefined;
    if (design === undefined) throw new RangeError(`caps.dirtyDesign ${String(d)}: not an index of ${SMMU_DIRTY_DESIGNS.join(', ')}`);
    this.dirtyDesign = design;
    this.clock = opts.clock;
    this.pool = opts.pool ?? new TablePool();
    this.hw = new SmmuV3Hw(
      { clock: opts.clock, recorder: opts.recorder, cost: SMMUV3_COSTS, costOverrides: opts.costOverrides, iotlbEntries: opts.iotlbEntries ?? SMMUV3_HW_PARAMS.iotlbEntries.value, walkCacheEntries: opts.walkCacheEntries ?? SMMUV3_HW_PARAMS.walkCacheEntries.value, walkers: opts.walkers ?? SMMUV3_HW_PARAMS.walkers.value, memBase: SMMU_MEM_BASE },
      (opts.caps ?? {}) as SmmuHwCaps,
    );
    this.noPasidBind = opts.caps?.noPasidBind === true;
  }

  /** arm_smmu_dbm_capable(): HTTU access+dirty (ARM_SMMU_FEAT_HD) and coherent walks. */
  get dbmCapable(): boolean {
    return this.hw.httu === HTTU.ACCESS_DIRTY && this.hw.coherent;
  }

  /** Probe: one CD (substream 0), STE = abort, CFGI_STE + CMD_SYNC. */
  addDevice(spec: DeviceSpec): SimDevice {
    if (this.devices.has(spec.sid)) throw new RangeError(`device ${spec.sid} already probed`);
    const m = new SimDevice(this, spec) as SmmuMaster;
    m.bound = false;
    m.cdLog2 = 0;
    m.cdTable = this.hw.allocCdTable(0);
    this.devices.set(m.sid, m);
    this.hw.setPri(m.sid, m.pri);
    this.hw.setAts(m.sid, m.ats ? m.atcEntries : 0);
    this.writeSte(m, STE_CFG.ABORT);
    return m;
  }

  private writeSte(m: SmmuMaster, cfg: number): void {
    const pa = this.hw.steAddr(m.sid);
    let q0 = fset(1n, STE.CFG_HI, STE.CFG_LO, cfg);
    if (cfg === STE_CFG.S1_TRANS) {
      q0 = fset(q0, STE.S1CTXPTR_HI, STE.S1CTXPTR_LO, m.cdTable / 64);
      q0 = fset(q0, STE.S1CDMAX_HI, STE.S1CDMAX_LO, m.cdLog2);
      this.hw.writeQword(pa + 8, m.ats ? fset(0n, STE.EATS_HI, STE.EATS_LO, 1) : 0n, 'ste.qw1');
    }
    this.hw.writeQword(pa, q0, 'ste.qw0');
    this.hw.submit([cmdCfgiSte(m.sid), cmdSync()]);
  }

  capable(_dev: Device, cap: IommuCap): boolean {
    if (cap === 'IOMMU_CAP_DIRTY_TRACKING') return this.dbmCapable;
    return cap === 'IOMMU_CAP_CACHE_COHERENCY' && this.hw.coherent;
  }

  /** struct iommu_hw_info_arm_smmuv3 { flags, __reserved, idr[6], iidr, aidr }. */
  hwInfo(_dev: Device): IommuHwInfo {
    const data: Record<string, number> = { flags: 0, iidr: 0, aidr: 0 };
    this.hw.idr.forEach((v, i) => (data[`idr${i}`] = Number(v)));
    return { outDataType: IOMMU_HW_INFO_TYPE_ARM_SMMUV3, data, capabilities: this.dbmCapable ? IOMMU_HW_CAP_DIRTY_TRACKING : 0 };
  }

  /**
   * arm_smmu_domain_alloc_paging_flags: DIRTY_TRACKING needs a DBM-capable SMMU and stage 1
   * (-EOPNOTSUPP otherwise); NEST_PARENT asks for stage 2, which is not modelled (-EOPNOTSUPP).
   */
  domainAllocPagingFlags(_dev: Device, flags: number): IommuDomain | number {
    const supported = IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID;
    if (flags & ~supported) return -ERRNO.EOPNOTSUPP;
    if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) return this.domainAllocS2(flags);
    const dirty = (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0;
    if (dirty && !this.dbmCapable) return -ERRNO.EOPNOTSUPP;
    const asid = this.freeAsids.pop() ?? this.nextAsid++;
    if (asid > 0xffff) return -ERRNO.ENOMEM;
    let pt;
    try {
      // IO_PGTABLE_QUIRK_ARM_HD: writable leaves installed with DBM (writable-dirty). RFC v1
      // had no such quirk: leaves are mapped without DBM until the range op sets it.
      // Without IDR0.COHACC io-pgtable-arm syncs every table write (cfg.coherent_walk = false).
      pt = createPtIommu('armv8', {
        pool: this.pool,
        // arm_lpae_restrict_pgsizes on a 4 KiB-page host: 4K | 2M | 1G. io-pgtable-arm never
        // writes the contiguous bit (52), so 64 KiB mappings are sixteen 4 KiB leaves.
        pgsizeBitmap: SMMU_PGSIZES_4K,
        dbmOnMap: dirty && this.dirtyDesign === 'v2',
        dmaIncoherent: !this.hw.coherent,
        features: this.hw.bbml >= 2 ? {} : { oaTableXchg: false },
      });
    } catch {
      this.freeAsids.push(asid);
      return -ERRNO.ENOMEM;
    }
    this.hw.attachPageTable(pt);
    const D = this.dirtyDesign === 'rfc-v1-faithful' ? SmmuRfcV1FaithfulDomain : PagingDomain;
    return new D(this, this.hw, this.pool, pt, asid, this, dirty);
  }

  /**
   * The NEST_PARENT case of arm_smmu_domain_alloc_paging_flags: exactly NEST_PARENT (with
   * DIRTY_TRACKING or PASID it is the switch's default: -EOPNOTSUPP; stage 2 has no dirty
   * tracking in Linux), FEAT_NESTING required; a stage-2 domain with a VMID (tag 0x10000 +
   * VMID). The table is the core/pt armv8 4K/48-bit layout standing in for the VMSAv8-64
   * stage-2 format (same levels and granule; S2AP / MemAttr encodings not modelled).
   */
  private domainAllocS2(flags: number): IommuDomain | number {
    if (flags !== IOMMU_HWPT_ALLOC_NEST_PARENT) return -ERRNO.EOPNOTSUPP;
    if (!smmuNestingSupported(this.hw)) return -ERRNO.EOPNOTSUPP;
    const vmid = this.nextVmid++;
    if (vmid > 0xffff) return -ERRNO.ENOSPC;
    let pt;
    try {
      pt = createPtIommu('armv8', { pool: this.pool, dmaIncoherent: !this.hw.coherent, features: this.hw.bbml >= 2 ? {} : { oaTableXchg: false } });
    } catch {
      return -ERRNO.ENOMEM;
    }
    this.hw.attachPageTable(pt);
    const d = new PagingDomain(this, this.hw, this.pool, pt, 0x10000 + vmid, this, false);
    this.s2Vmid.set(d, vmid);
    return d;
  }

  /** Leave the current domain (and its vEVENT forwarding); record `domain`. */
  setCurrentDomain(dev: Device, domain: IommuDomain | null): boolean {
    const m = this.devices.get(dev.sid);
    if (!m || m !== dev) return false;
    const old = m.domain as PagingDomain | SmmuNestedDomain | null;
    if (old) old.devices.delete(m);
    this.hw.setFaultHandler(m.sid, null);
    m.domain = domain;
    return true;
  }

  /** IDR1.SSIDSIZE (GET_HW_INFO out_max_pasid_log2; PASID attach itself is not modelled on SMMUv3). */
  pasidWidth(): number {
    return this.hw.ssidBits;
  }

  getViommuSize(_dev: Device, type: number): number {
    return smmuViommuSize(this.hw, type);
  }

  /** arm_vsmmu_init: the parent must be a stage-2 nesting parent of this SMMU (-EINVAL). */
  viommuInit(_dev: Device, parent: IommuDomain, _data: UserData | null, core: ViommuCore): ViommuOps | number {
    if (!(parent instanceof PagingDomain) || parent.driver !== this || !this.s2Vmid.has(parent)) return -ERRNO.EINVAL;
    return new SmmuVsmmu(this, parent, core).ops();
  }

  /** arm_smmu_make_s1_cd: T0SZ 16, TG0 4K, IPS 48-bit, AA64, R, A, V, ASID, TTB0; HA|HD with the HD quirk. */
  private makeCd(domain: PagingDomain): [bigint, bigint] {
    let q0 = fset(0n, CD.T0SZ_HI, CD.T0SZ_LO, 16);
    q0 = fset(q0, CD.IPS_HI, CD.IPS_LO, 5);
    for (const b of [CD.EPD1, CD.V, CD.AA64, CD.R, CD.A]) q0 |= 1n << BigInt(b);
    if (domain.dirtyOps) q0 |= (1n << BigInt(CD.HA)) | (1n << BigInt(CD.HD));
    q0 = fset(q0, CD.ASID_HI, CD.ASID_LO, domain.tag);
    const q1 = fset(0n, CD.TTB0_HI, CD.TTB0_LO, domain.pt.rootPhys / 16);
    return [q0, q1];
  }

  /** Attach: CD 0 (+ CFGI_CD, CMD_SYNC), then STE S1_TRANS (+ CFGI_STE, CMD_SYNC). -EINVAL: dirty domain on a non-DBM SMMU. */
  attachDev(domain: PagingDomain, dev: Device): number {
    const m = this.devices.get(dev.sid);
    if (!m || m !== dev) return -ERRNO.ENODEV;
    if (domain.dirtyOps && !this.dbmCapable) return -ERRNO.EINVAL;
    const ts = this.clock.now;
    const vmid = this.s2Vmid.get(domain);
    if (vmid !== undefined) {
      // arm_smmu_make_s2_domain_ste: Config S2 only.
      this.setCurrentDomain(m, domain);
      writeS2Ste(this.hw, m.sid, STE_CFG.S2_TRANS, vmid, domain.pt.rootPhys);
      domain.devices.add(m);
      return 0;
    }
    const old = m.domain as IommuDomain | null;
    this.setCurrentDomain(m, null);
    const [q0, q1] = this.makeCd(domain);
    this.hw.writeQword(m.cdTable + 8, q1, 'cd.qw1');
    this.hw.writeQword(m.cdTable, q0, 'cd.qw0');
    const cmds = [cmdCfgiCd(m.sid, 0), cmdSync()];
    if (m.ats && old) cmds.splice(1, 0, cmdAtcInv(m.sid, 0, 0, 52));
    this.hw.submit(cmds);
    this.writeSte(m, STE_CFG.S1_TRANS);
    domain.devices.add(m);
    m.domain = domain;
    domain.trace('arm_smmu_attach_dev', ts, { sid: m.sid });
    return 0;
  }

  blockDevice(dev: Device): number {
    const m = this.devices.get(dev.sid);
    if (!m) return -ERRNO.ENODEV;
    this.setCurrentDomain(m, null);
    this.writeSte(m, STE_CFG.ABORT);
    return 0;
  }

  /** __arm_smmu_tlb_inv_range + arm_smmu_atc_inv_domain, each batch ended by CMD_SYNC. */
  flushRange(domain: PagingDomain, start: number, size: number, _pgsize: number, leafOnly: boolean): void {
    const ts = this.clock.now;
    const vmid = this.s2Vmid.get(domain);
    if (vmid !== undefined) {
      // Stage 2 (arm_smmu_tlb_inv_context / TLBI_S2_IPA + TLBI_NH_ALL): the model issues
      // TLBI_S12_VMALL for the VMID, which drops its stage-2 and nested entries.
      this.hw.submit([cmdTlbiS12Vmall(vmid), cmdSync()]);
      domain.trace('arm_smmu_tlb_inv_range', ts, { start, size, commands: 2 });
      return;
    }
    const cmds: bigint[][] = [];
    if (this.hw.ril) {
      for (const r of tlbiRanges(start, size)) cmds.push(cmdTlbiNhVa(domain.tag, r.addr, leafOnly, { num: r.num, scale: r.scale, tg: 1, ttl: leafOnly ? 3 : 0 }));
    } else if (size >= CMDQ_MAX_TLBI_OPS * 4096) {
      cmds.push(cmdTlbiNhAsid(domain.tag));
    } else {
      for (let a = start; a < start + size; a += 4096) cmds.push(cmdTlbiNhVa(domain.tag, a, leafOnly));
    }
    cmds.push(cmdSync());
    this.hw.submit(cmds);
    if (domain.devtlbFlush) this.atcInv(domain, start, size);
    domain.trace('arm_smmu_tlb_inv_range', ts, { start, size, commands: cmds.length });
  }

  /**
   * arm_smmu_atc_inv_domain → arm_smmu_atc_inv_to_cmd: the smallest naturally aligned span of
   * 4 KiB pages covering [start, start + size): log2_span = fls_long(page_start ^ page_end),
   * page_start aligned down to it; one CMD_ATC_INV per ATS master, then CMD_SYNC.
   */
  private atcInv(domain: PagingDomain, start: number, size: number): void {
    const cmds: bigint[][] = [];
    const first = BigInt(Math.floor(start / 4096));
    const last = BigInt(Math.floor((start + size - 1) / 4096));
    const x = first ^ last;
    const lg2 = x === 0n ? 0 : x.toString(2).length; // fls_long
    const addr = Number((first >> BigInt(lg2)) << BigInt(lg2)) * 4096;
    for (const d of domain.devices) if (d.ats) cmds.push(cmdAtcInv(d.sid, 0, addr, lg2));
    if (cmds.length) this.hw.submit([...cmds, cmdSync()]);
  }

  /** arm_smmu_tlb_inv_context: TLBI_NH_ASID + CMD_SYNC, then ATC. */
  flushAll(domain: PagingDomain): void {
    const vmid = this.s2Vmid.get(domain);
    this.hw.submit([vmid !== undefined ? cmdTlbiS12Vmall(vmid) : cmdTlbiNhAsid(domain.tag), cmdSync()]);
    this.atcInv(domain, 0, 2 ** 52);
  }

  /**
   * bind_pasid_table: validate (model 2, 64-byte alignment, pasid_bits <= SSIDSIZE, s1fmt and
   * s1dss in range; -EINVAL with `why.reason`), -EBUSY if already bound, then install the
   * guest CD table pointer, S1CDMAX, S1FMT and S1DSS in the STE (CFGI_STE + CMD_SYNC). The
   * contents are not read; guest-physical = host-physical (stage 2 is not modelled).
   * -ENODEV when the SMMU cannot contain guest-table faults (caps.noPasidBind).
   */
  bindPasidTable(dev: Device, cfg: PasidTableConfig, why?: { reason: string }): number {
    if (this.noPasidBind) return -ERRNO.ENODEV;
    const m = this.devices.get(dev.sid);
    if (!m) return -ERRNO.ENODEV;
    const rc = validatePasidTableConfig(cfg, { model: IOMMU_MODEL.ARM_SMMU_V3, align: 64, pasidBits: this.hw.ssidBits }, why);
    if (rc) return rc;
    if (m.bound) return -ERRNO.EBUSY;
    const old = m.domain as PagingDomain | null;
    if (old) old.devices.delete(m);
    m.domain = null;
    const pa = this.hw.steAddr(m.sid);
    let q0 = fset(1n, STE.CFG_HI, STE.CFG_LO, STE_CFG.S1_TRANS);
    q0 = fset(q0, STE.S1FMT_HI, STE.S1FMT_LO, cfg.smmuv3!.s1fmt);
    q0 = fset(q0, STE.S1CTXPTR_HI, STE.S1CTXPTR_LO, cfg.basePtr / 64);
    q0 = fset(q0, STE.S1CDMAX_HI, STE.S1CDMAX_LO, cfg.pasidBits);
    this.hw.writeQword(pa + 8, fset(0n, STE.S1DSS_HI, STE.S1DSS_LO, cfg.smmuv3!.s1dss), 'ste.qw1');
    this.hw.writeQword(pa, q0, 'ste.qw0');
    this.hw.submit([cmdCfgiSte(m.sid), cmdSync()]);
    m.bound = true;
    return 0;
  }

  /** unbind_pasid_table: back to an abort STE. */
  unbindPasidTable(dev: Device): number {
    const m = this.devices.get(dev.sid);
    if (!m || !m.bound) return -ERRNO.EINVAL;
    m.bound = false;
    this.writeSte(m, STE_CFG.ABORT);
    return 0;
  }

  /**
   * Mainline ('v2'): "always enabled" — DBM was installed at map time; nothing to do here.
   * RFC v1 designs: iommufd's range loop over the mapped ranges ({@link setDirtyTrackingRanges}).
   */
  setDirtyTracking(domain: PagingDomain, enable: boolean): number {
    if (!this.dbmCapable) return -ERRNO.EOPNOTSUPP;
    if (this.dirtyDesign !== 'v2') return this.setDirtyTrackingRanges(domain, enable);
    domain.dirtyTracking = enable;
    domain.trace('arm_smmu_set_dirty_tracking', this.clock.now, { enable });
    return 0;
  }

  /**
   * RFC v1 enable/disable: RFC 02/19 __set_dirty_tracking_range_locked: one gather; for every mapped range call the range op with
   * `iopt_area_last_iova(area) - iova` as size — length − 1 in 'rfc-v1-faithful' (E6), the
   * length in 'rfc-v1' —, stop at the first negative return, then ONE iotlb_sync of the gather
   * (TLBI_NH_VA range / TLBI_NH_ASID + CMD_SYNC via flushRange). The result is the last
   * return; with no mapped range it stays -EOPNOTSUPP in the faithful mode (E7) and 0
   * otherwise. dirtyTracking follows `enable` only on success.
   */
  setDirtyTrackingRanges(domain: PagingDomain, enable: boolean): number {
    const ts = this.clock.now;
    const faithful = this.dirtyDesign === 'rfc-v1-faithful';
    const ranges = smmuMappedRanges(domain.pt);
    const gather = iotlbGatherInit();
    let rc = faithful ? -ERRNO.EOPNOTSUPP : 0;
    for (const r of ranges) {
      rc = this.rangeOp(domain, r.iova, faithful ? r.size - 1 : r.size, gather, enable, r.leaves);
      if (rc < 0) break;
    }
    domain.iotlbSync(domain, gather);
    if (rc >= 0) domain.dirtyTracking = enable;
    domain.trace('iopt_set_dirty_tracking_range', ts, { enable, ranges: ranges.length, rc });
    return rc < 0 ? rc : 0;
  }

  /**
   * RFC 15/19 set_dirty_tracking_range (arm_smmu_set_dirty_tracking →
   * arm_lpae_set_dirty_tracking → __arm_lpae_set_dirty_modifier per leaf; docs/rfc-errata.md).
   * Adds [iova, iova+size) to `gather` whatever the
   * result (as the RFC does); the caller syncs it. 'rfc-v1': core/pt setDirtyModifier
   * (writable leaves → DBM|AP[2] writable-clean on enable, plain writable on disable;
   * read-only leaves and leaves already in that state skipped). 'rfc-v1-faithful': -ENODEV
   * without BBML2; -EINVAL unless size is made of pgsize_bitmap bits (E6); per leaf -EINVAL on
   * a read-only leaf, and the E4 test `!(enabled ^ !(pte & DBM))`.
   * Charged per leaf walked (`pt_entry_read`) and per leaf written (`pte_plain_rmw`: the RFC
   * stores with a plain WRITE_ONCE). 0 or a negative errno.
   */
  setDirtyTrackingRange(domain: PagingDomain, iova: number, size: number, gather: IotlbGather, enable: boolean): number {
    if (!this.dbmCapable) return -ERRNO.ENODEV;
    const end = iova + size;
    const leaves = domain.pt.leaves().filter((l) => l.iova < end && l.iova + l.size > iova);
    return this.rangeOp(domain, iova, size, gather, enable, leaves);
  }

  private rangeOp(domain: PagingDomain, iova: number, size: number, gather: IotlbGather, enable: boolean, leaves: PtLeaf[]): number {
    const ts = this.clock.now;
    const faithful = this.dirtyDesign === 'rfc-v1-faithful';
    let rc = 0;
    let walked = 0;
    let written = 0;
    if (faithful && this.hw.bbml < 2) {
      rc = -ERRNO.ENODEV; // RFC v1: ARM_SMMU_FEAT_BBML2 required (RFC 14/19)
    } else if (faithful && (size <= 0 || (BigInt(size) & BigInt(domain.pgsizeBitmap)) !== BigInt(size))) {
      rc = -ERRNO.EINVAL; // E6: WARN_ON(!size || (size & cfg->pgsize_bitmap) != size)
    } else if (faithful) {
      // E4, per leaf in IOVA order. Enable: only leaves WITH DBM pass the test and become
      // writable-clean (DBM|AP[2]) — exactly a read-and-clear with no bitmap; disable: only
      // leaves WITHOUT DBM pass and are rewritten without DBM|AP[2], i.e. unchanged.
      let stop = iova + size;
      for (const l of leaves) {
        walked++;
        if ((l.attrs & PT_ATTR.WRITE) === 0) {
          rc = -ERRNO.EINVAL; // (pte & AP_WRITABLE) == AP_RDONLY
          stop = Math.max(iova, l.iova);
          break;
        }
        const dbm = (l.attrs & PT_ATTR.DBM) !== 0 ? 1 : 0;
        if (!(Number(enable) ^ Number(!dbm))) continue;
        written++;
      }
      if (enable && stop > iova) {
        const r = domain.pt.readAndClearDirty(iova, stop - iova, 0, { bitmap: null, gather: iotlbGatherInit() });
        if (r) rc = r;
      }
    } else {
      for (const l of leaves) {
        walked++;
        if ((l.attrs & PT_ATTR.WRITE) !== 0 && ((l.attrs & PT_ATTR.DBM) !== 0) !== enable) written++;
      }
      rc = domain.pt.setDirtyModifier(iova, size, enable, gather);
    }
    iotlbGatherAddRange(gather, iova, size);
    const c = this.hw.counters;
    c.dirty_entries_read += walked;
    c.dirty_entries_cleared += written;
    domain.chargeWork({ entryReads: walked, walkReads: 0, lockedRmw: 0, plainRmw: written, indirectCalls: 0, records: 0 });
    domain.trace('arm_smmu_set_dirty_tracking_range', ts, { iova, size, enable, leaves: walked, written, rc });
    return rc;
  }

  /** Reading with tracking off is allowed on SMMUv3 (mainline arm_smmu_read_and_clear_dirty has no state check). */
  readDirtyCheck(_domain: PagingDomain, _dirty: IommuDirtyBitmap): number {
    return 0;
  }

  /** arm_smmu_domain_free: block the masters, then TLBI_NH_ASID before the ASID is reused. */
  release(domain: PagingDomain): void {
    for (const d of [...domain.devices]) this.blockDevice(d);
    this.flushAll(domain);
    if (!this.s2Vmid.has(domain)) this.freeAsids.push(domain.tag);
  }

  /**
   * IOPF on SMMUv3 is for stall-capable masters with one stream only
   * (arm_smmu_master_iopf_supported: master->stall_enabled); mainline never enables PCIe PRI
   * (it enables ATS only). arm_smmu_enable_iopf (v6.16+) returns 0 without enabling anything
   * for other masters, so the attach succeeds and a PCIe device's translation faults stay
   * F_TRANSLATION event-queue records (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c,
   * arm-smmu-v3-sva.c). (v6.11-v6.14 refused the attach with -EINVAL instead.)
   */
  enableIopf(dev: Device): number {
    if (!this.devices.has(dev.sid)) return -ERRNO.ENODEV;
    this.hw.setPri(dev.sid, false);
    return 0;
  }

  /**
   * arm_smmu_handle_ppr: a PRI request is "unexpected"; the last request of a group is
   * answered with CMD_PRI_RESP deny and nothing reaches the IOMMU core.
   */
  handlePageRequests(): number {
    const reqs = this.hw.takePageRequests();
    for (const r of reqs) {
      const m = this.devices.get(r.sid);
      if (m) this.pageResponse(m, r.pasid, r.grpid, 1);
    }
    return reqs.length;
  }

  /**
   * Page response (arm_smmu_page_response): CMD_PRI_RESP with RESP success (2) or deny (0).
   * 0, -ENODEV, or -EINVAL when no such request is outstanding.
   */
  pageResponse(dev: Device, pasid: number, grpid: number, code: number): number {
    if (!this.devices.has(dev.sid)) return -ERRNO.ENODEV;
    this.hw.submit([cmdPriResp(dev.sid, pasid, grpid, code === 0 ? 2 : 0)]);
    return Number(this.hw.commands.toArray().at(-1)!.fields.rc);
  }

  dma(dev: Device, pasid: number, iova: number, length: number, write: boolean): number {
    return this.hw.dma(dev.sid, pasid, iova, length, write);
  }
}
