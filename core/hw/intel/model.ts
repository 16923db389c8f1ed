/**
 * Intel VT-d hardware model (scalable mode): CAP/ECAP, root table, scalable-mode context
 * tables, PASID directories and PASID tables in simulated memory, the invalidation queue
 * (context-cache, PASID-cache, IOTLB global/DSI/PSI with address mask, PASID-based IOTLB
 * (QI_EIOTLB), device-TLB, wait), fault recording registers (NFR+1 records, PFO on overflow)
 * and the page request queue.
 *
 * Translation types of a PASID entry: second stage (PGTT 2, SLPTPTR in qword 0, the vtdss
 * table; A/D only with SSADE and ECAP.SLADS) and first stage (PGTT 1, FLPTR in qword 2, the
 * x86_64 table; 4-level per FLPM = 0; present entries are readable, writes need R/W; A/D are
 * always updated by hardware, VT-d spec §3.6 / §9.7, which is a no-op on kernel-written leaves
 * because x86_64_pt_iommu_set_prot presets them). IOTLB entries of first-stage translations are
 * tagged with (DID, PASID) and only QI_EIOTLB (or a global QI_IOTLB) removes them; the
 * DID-tagged QI_IOTLB DSI/PSI does not (VT-d spec §6.5.2.3-6.5.2.4; the reason the kernel
 * flushes first-stage, SVA and nested domains with qi_desc_piotlb, cache.c
 * intel_domain_use_piotlb, "iommu/vt-d: Flush piotlb for SVM and Nested domain").
 *
 * Sources: VT-d spec §9.1-9.6 (entries), §6.5.2 (descriptors), §7.2 (fault recording),
 * §10.4.2-3 (CAP/ECAP); Linux drivers/iommu/intel/{iommu.h,pasid.h,pasid.c,dmar.c};
 * RFC patches 18-19 (docs/rfc-errata.md).
 */
import { bit, fget, fset, hex64 } from '../../base/bitfield';
import type { HwContext, HwModelOptions } from '../engine';
import { IommuHwModel } from '../engine';
import type { FaultKind, HwFaultRecord , Ring } from '../queue';
import { FAULT_KIND } from '../queue';
import type { EventName } from '../../trace/events';
import { CAP, CE, ECAP, EIOTLB_GRAN, GRAN, LCE, LCE_TT, LEGACY_CONTEXT_ENTRY_SIZE, LEGACY_FAULT, LEGACY_FAULT_NAMES, PASID_DIR_ENTRY_SIZE, PASID_ENTRY_SIZE, PC_GRAN, PE, PE_QW2, PGTT, QI, ROOT_ENTRY_SIZE, SM_CONTEXT_ENTRY_SIZE, SM_FAULT, SM_FAULT_NAMES, qiType, qiWait } from './regs';

/** Capability switches for what-ifs (ECAP bits). */
export interface VtdHwCaps {
  /** ECAP.SLADS (bit 45). Default true. */
  slads?: boolean;
  /** ECAP.SMTS scalable mode (bit 43). Default true. */
  smts?: boolean;
  /** ECAP.SLTS second-stage support (bit 46). Default true. */
  slts?: boolean;
  /** ECAP.FLTS first-stage support (bit 47). Default true. */
  flts?: boolean;
  /** ECAP.NEST nested translation (bit 26). Default true. */
  nest?: boolean;
  /** CAP.FL1GP first-stage 1 GiB pages (bit 56). Default true (server parts report it). */
  fl1gp?: boolean;
  /** PASID width (ECAP.PSS + 1). Default 20. */
  pasidBits?: number;
  /**
   * CAP.MGAW + 1: maximum guest address width, bits (39, 48 or 57). Default 48. QEMU 7.2's
   * vIOMMU reports its aw-bits (39 by default).
   */
  mgaw?: number;
  /**
   * CAP.SAGAW bitmask of supported second-stage depths (bit 1 = 3-level / 39-bit, bit 2 =
   * 4-level / 48-bit, bit 3 = 5-level / 57-bit). Default: 4-level only for MGAW 48, 3-level
   * for MGAW 39 (QEMU VTD_CAP_SAGAW_39bit), 4- and 5-level for MGAW 57.
   */
  sagaw?: number;
  /** CAP.CM (bit 7) caching mode, as emulated IOMMUs (QEMU intel-iommu) report. Default false. */
  cachingMode?: boolean;
  /**
   * A page-selective invalidation with IH = 0 drops every paging-structure-cache entry of the
   * domain, not only those of the range (Xeon E7 v2 IIO VTD_IOTLBINV: "performs a domain-level
   * invalidation on non-leaf entries"). Default false (the spec's range-only rule).
   */
  ihDomainWide?: boolean;
  /** ECAP.SC (bit 7) snoop control: IOMMU_CAP_ENFORCE_CACHE_COHERENCY. Default true. */
  snoopControl?: boolean;
  /**
   * Page-walk coherency: ECAP.C (bit 0, legacy mode) and ECAP.SMPWC (bit 48, scalable mode);
   * false = table walks do not snoop CPU caches. Default true.
   */
  coherent?: boolean;
}

/**
 * Range of a device-TLB invalidation (VT-d spec 6.5.2.5): S = 0 one 4 KiB page; S = 1 the
 * naturally aligned block whose size is 2 × 4 KiB × 2^(trailing ones of address bits 63:12).
 * Returns [start, last] bytes.
 */
export function devtlbRange(q1: bigint, s: boolean): [number, number] {
  const addr = q1 & ~0xfffn;
  if (!s) return [Number(addr), Number(addr) + 4095];
  let ones = 0;
  while (ones < 52 && ((addr >> BigInt(12 + ones)) & 1n) === 1n) ones++;
  const lg2 = 12 + ones + 1;
  const start = Number((addr >> BigInt(lg2)) << BigInt(lg2));
  return [start, start + 2 ** lg2 - 1];
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(QI).map(([k, v]) => [v, k]));

/**
 * IOTLB tags of first-stage translations start here: DIDs are 16 bits, so tags >= 0x10000
 * name a (DID, PASID) pair (allocated on first use, see {@link VtdIommuHw.firstStageTag}).
 */
const FS_TAG_BASE = 0x10000;

export class VtdIommuHw extends IommuHwModel {
  readonly cap: bigint;
  readonly ecap: bigint;
  /** Root table address (RTADDR_REG), with TTM = scalable mode. */
  readonly rootTable: number;
  /** Fault recording registers (FRCD), NFR+1 of them; overflow = FSTS.PFO. */
  get faultRecords(): Ring<HwFaultRecord> {
    return this.events;
  }
  private waitSeq = 0;
  /** caps.ihDomainWide: IH = 0 PSIs drop the whole domain's paging-structure caches. */
  readonly ihDomainWide: boolean;

  constructor(o: HwModelOptions, caps: VtdHwCaps = {}) {
    // Fault recording registers: CAP.NFR = 7 → 8 records (a typical server part).
    super({ ...o, eventEntries: o.eventEntries ?? 8 });
    let cap = 0n;
    cap = fset(cap, CAP.ND_HI, CAP.ND_LO, 6); // 64K domain IDs
    const mgaw = caps.mgaw ?? 48;
    if (![39, 48, 57].includes(mgaw)) throw new RangeError(`VT-d caps.mgaw ${mgaw}: not 39, 48 or 57`);
    const sagaw = caps.sagaw ?? (mgaw === 39 ? 0b00010 : mgaw === 48 ? 0b00100 : 0b01100);
    if (!(sagaw > 0 && sagaw < 32)) throw new RangeError(`VT-d caps.sagaw ${sagaw}: not a SAGAW bitmask`);
    cap = fset(cap, CAP.SAGAW_HI, CAP.SAGAW_LO, sagaw);
    cap = fset(cap, CAP.MGAW_HI, CAP.MGAW_LO, mgaw - 1);
    cap = fset(cap, CAP.FRO_HI, CAP.FRO_LO, 0x22);
    cap = fset(cap, CAP.SLLPS_HI, CAP.SLLPS_LO, 0b0011); // 2 MiB and 1 GiB
    cap |= 1n << BigInt(CAP.PSI);
    if (caps.cachingMode) cap |= 1n << BigInt(CAP.CM);
    if (caps.fl1gp ?? true) cap |= 1n << BigInt(CAP.FL1GP);
    cap = fset(cap, CAP.NFR_HI, CAP.NFR_LO, this.events.capacity - 1);
    cap = fset(cap, CAP.MAMV_HI, CAP.MAMV_LO, 18);
    this.cap = cap;
    let ecap = 0n;
    for (const b of [ECAP.QI, ECAP.DT, ECAP.IR, ECAP.PT, ECAP.PRS, ECAP.PASID]) ecap |= 1n << BigInt(b);
    if (caps.coherent ?? true) ecap |= (1n << BigInt(ECAP.C)) | (1n << BigInt(ECAP.SMPWC));
    if (caps.snoopControl ?? true) ecap |= 1n << BigInt(ECAP.SC);
    ecap = fset(ecap, ECAP.PSS_HI, ECAP.PSS_LO, (caps.pasidBits ?? 20) - 1);
    if (caps.smts ?? true) ecap |= 1n << BigInt(ECAP.SMTS);
    if (caps.slads ?? true) ecap |= 1n << BigInt(ECAP.SLADS);
    if (caps.slts ?? true) ecap |= 1n << BigInt(ECAP.SLTS);
    if (caps.flts ?? true) ecap |= 1n << BigInt(ECAP.FLTS);
    if (caps.nest ?? true) ecap |= 1n << BigInt(ECAP.NEST);
    this.ecap = ecap;
    this.rootTable = this.mem.allocPages(1);
    this.ihDomainWide = caps.ihDomainWide === true;
  }

  /** ecap_bit helper. */
  ecapHas(b: number): boolean {
    return bit(this.ecap, b);
  }

  /** cap_bit helper. */
  capHas(b: number): boolean {
    return bit(this.cap, b);
  }

  /** cap_mgaw(): MGAW field + 1, the maximum guest address width in bits. */
  get mgaw(): number {
    return fget(this.cap, CAP.MGAW_HI, CAP.MGAW_LO) + 1;
  }

  /** cap_sagaw(): the SAGAW field (bit 1 = 3-level, 2 = 4-level, 3 = 5-level second stage). */
  get sagaw(): number {
    return fget(this.cap, CAP.SAGAW_HI, CAP.SAGAW_LO);
  }

  /** (DID, PASID) → IOTLB tag of first-stage translations, and back. */
  private readonly fsTags = new Map<number, number>();
  private readonly fsTagOwner: { did: number; pasid: number }[] = [];

  /**
   * The IOTLB tag the model uses for first-stage translations of (DID, PASID): the hardware
   * tags them with both (VT-d spec §6.2.1), the shared IOTLB model with one number, so the
   * pair gets a private tag >= 0x10000 on first use (deterministic: allocation order).
   */
  firstStageTag(did: number, pasid: number): number {
    const key = did * 2 ** 20 + pasid;
    let t = this.fsTags.get(key);
    if (t === undefined) {
      t = FS_TAG_BASE + this.fsTagOwner.length;
      this.fsTags.set(key, t);
      this.fsTagOwner.push({ did, pasid });
    }
    return t;
  }

  /** DID of an IOTLB / context tag (first-stage tags map back to their DID). */
  didOfTag(tag: number): number {
    return tag >= FS_TAG_BASE ? this.fsTagOwner[tag - FS_TAG_BASE]!.did : tag;
  }

  /** True when `tag` names first-stage (PASID-tagged) translations. */
  isFirstStageTag(tag: number): boolean {
    return tag >= FS_TAG_BASE;
  }

  /** PASID width supported (ECAP.PSS + 1; 0 without ECAP.PASID). */
  get pasidBits(): number {
    return this.ecapHas(ECAP.PASID) ? fget(this.ecap, ECAP.PSS_HI, ECAP.PSS_LO) + 1 : 0;
  }

  /** sysfs description in JPB's scheme: model 1 (intel-vtd) and the bind alignment. */
  sysfs(): Record<string, string> {
    return { model: '1', pasid_table_align: '4096', pasid_bits: String(this.pasidBits) };
  }

  /** CAP.MAMV: largest PSI address mask (log2 pages). */
  get mamv(): number {
    return fget(this.cap, CAP.MAMV_HI, CAP.MAMV_LO);
  }

  /** CPU write of one qword of a table entry (root/context/PASID entry); counted and costed. */
  writeQword(pa: number, v: bigint, what: string): void {
    this.mem.write64(pa, v);
    this.counters.table_entry_write++;
    this.cost.charge('table_entry_write');
    if (this.rec.enabled) this.rec.instant('hw.table', 'vtd_table_write', this.clock.now, { what, pa, value: hex64(v) });
  }

  /**
   * Legacy (non-scalable) mode: ECAP.SMTS clear, so the root table is programmed with
   * RTADDR_REG.TTM = 00 (legacy root and context entries, second-stage translation only,
   * no PASIDs, no second-stage A/D).
   */
  get legacyMode(): boolean {
    return !this.ecapHas(ECAP.SMTS);
  }

  /** Address of the legacy context entry of `sid` (root entry CTP + devfn × 16), allocating the context table. */
  legacyContextEntryAddr(sid: number): number {
    const rpa = this.rootTable + ((sid >> 8) & 0xff) * ROOT_ENTRY_SIZE;
    let re = this.mem.read64(rpa);
    if (!bit(re, 0)) {
      re = BigInt(this.mem.allocPages(1)) | 1n; // P + context-table pointer
      this.writeQword(rpa, re, 'root.CTP');
    }
    return Number(re & ~0xfffn) + (sid & 0xff) * LEGACY_CONTEXT_ENTRY_SIZE;
  }

  /** Address of the scalable-mode context entry of `sid` ((bus << 8) | devfn), allocating the context table. */
  contextEntryAddr(sid: number): number {
    const bus = (sid >> 8) & 0xff;
    const devfn = sid & 0xff;
    const rpa = this.rootTable + bus * ROOT_ENTRY_SIZE + (devfn >= 128 ? 8 : 0);
    let re = this.mem.read64(rpa);
    if (!bit(re, 0)) {
      const t = this.mem.allocPages(1);
      re = BigInt(t) | 1n; // LP/UP present + context-table pointer
      this.writeQword(rpa, re, devfn >= 128 ? 'root.UCTP' : 'root.LCTP');
    }
    return Number(re & ~0xfffn) + (devfn & 0x7f) * SM_CONTEXT_ENTRY_SIZE;
  }

  /**
   * Set up the context entry of `sid` to point at `pasidDir` (a PASID directory of
   * 2^(7+pdts) entries), with device-TLB and PRI enables as given.
   */
  writeContextEntry(sid: number, pasidDir: number, pdts: number, ats: boolean, pri: boolean): void {
    const pa = this.contextEntryAddr(sid);
    let q0 = BigInt(pasidDir) & ~0xfffn;
    q0 = fset(q0, CE.PDTS_HI, CE.PDTS_LO, pdts);
    if (ats) q0 |= 1n << BigInt(CE.DTE);
    if (pri) q0 |= 1n << BigInt(CE.PRE);
    q0 |= 1n << BigInt(CE.PASIDE);
    q0 |= 1n; // P
    this.writeQword(pa + 8, 0n, 'context.RID_PASID'); // RID_PASID = 0 (IOMMU_NO_PASID)
    this.writeQword(pa, q0, 'context.qw0');
  }

  /** Address of the PASID entry for `pasid` under directory `dir`; allocates the leaf PASID table if asked. */
  pasidEntryAddr(dir: number, pasid: number, alloc: boolean): number {
    const dpa = dir + (pasid >> 6) * PASID_DIR_ENTRY_SIZE;
    let de = this.mem.read64(dpa);
    if (!bit(de, 0)) {
      if (!alloc) return -1;
      de = BigInt(this.mem.allocPages(1)) | 1n;
      this.writeQword(dpa, de, 'pasid_dir');
    }
    return Number(de & ~0xfffn) + (pasid & 0x3f) * PASID_ENTRY_SIZE;
  }

  /** Append a wait descriptor and let the hardware consume the batch (Linux qi_submit_sync). */
  qiSubmitSync(descs: bigint[][]): void {
    const ts = this.clock.now;
    const all = [...descs, qiWait(0, ++this.waitSeq)];
    for (const [q0, q1] of all) this.execute(q0!, q1!);
    if (this.rec.enabled) this.rec.slice('hw.cmdq', 'qi_submit', ts, this.clock.now - ts, { count: all.length, qw0: hex64(all[0]![0]!) });
  }

  private execute(q0: bigint, q1: bigint): void {
    const ts = this.clock.now;
    this.cost.charge('cmd_post');
    const type = qiType(q0);
    const gran = fget(q0, 5, 4);
    const fields: Record<string, number | boolean> = { type, gran };
    let name = TYPE_NAMES[type] ?? `UNKNOWN_${type}`;
    let trace: Extract<EventName, `vtd_inv_desc${string}`> = 'vtd_inv_desc';
    switch (type) {
      case QI.CC: {
        const did = fget(q0, 31, 16);
        const sid = fget(q0, 47, 32);
        Object.assign(fields, { did, sid, fm: fget(q0, 49, 48) });
        if (gran === GRAN.GLOBAL) this.dropContext(-1);
        else if (gran === GRAN.DOMAIN) this.dropContexts((_s, _p, c) => this.didOfTag(c.tag) === did);
        else this.dropContext(sid);
        name = ['', 'QI_CC_GLOBAL', 'QI_CC_DOMAIN', 'QI_CC_DEVICE'][gran]!;
        trace = (['vtd_inv_desc', 'vtd_inv_desc_cc_global', 'vtd_inv_desc_cc_domain', 'vtd_inv_desc_cc_device'] as const)[gran]!;
        this.counters.inv_context++;
        this.notePending('inv_wait_context');
        break;
      }
      case QI.PC: {
        const did = fget(q0, 31, 16);
        const pasid = fget(q0, 51, 32);
        Object.assign(fields, { did, pasid });
        if (gran === PC_GRAN.PASID_SEL) this.dropContexts((_s, p, c) => this.didOfTag(c.tag) === did && p === pasid);
        else if (gran === PC_GRAN.ALL_PASIDS) this.dropContexts((_s, _p, c) => this.didOfTag(c.tag) === did);
        else this.dropContext(-1);
        name = gran === PC_GRAN.PASID_SEL ? 'QI_PC_PASID_SEL' : gran === PC_GRAN.ALL_PASIDS ? 'QI_PC_ALL_PASIDS' : 'QI_PC_GLOBAL';
        trace = 'vtd_inv_desc_pasid_cache';
        this.counters.inv_pasid++;
        this.notePending('inv_wait_context');
        break;
      }
      case QI.IOTLB: {
        const did = fget(q0, 31, 16);
        Object.assign(fields, { did });
        if (gran === GRAN.GLOBAL) {
          this.iotlb.invalidateAll();
          this.invalidateWalkCaches(-1, 0, Infinity);
          name = 'QI_IOTLB_GLOBAL';
          trace = 'vtd_inv_desc_iotlb_global';
          this.notePending('inv_wait_domain');
        } else if (gran === GRAN.DOMAIN) {
          this.iotlb.invalidate(did, 0, Infinity);
          this.dropNested(did);
          this.invalidateWalkCaches(did, 0, Infinity); // DSI drops the DID's paging-structure caches
          name = 'QI_IOTLB_DSI';
          trace = 'vtd_inv_desc_iotlb_domain';
          this.notePending('inv_wait_domain');
        } else {
          const addr = Number(q1 & ~0xfffn);
          const am = fget(q1, 5, 0);
          Object.assign(fields, { addr, am, ih: bit(q1, 6) });
          this.iotlb.invalidate(did, addr, addr + 2 ** (am + 12) - 1);
          // A page-selective IOTLB invalidation names stage-2 (GPA) addresses; combined
          // nested entries are indexed by input address, so all of the DID's go.
          this.dropNested(did);
          this.psiWalkCaches(did, addr, am, bit(q1, 6));
          name = 'QI_IOTLB_PSI';
          trace = 'vtd_inv_desc_iotlb_pages';
          this.notePending('inv_wait_page');
        }
        this.counters.inv_iotlb++;
        break;
      }
      case QI.EIOTLB: {
        // P_IOTLB (VT-d spec §6.5.2.4): entries tagged with (DID, PASID) only; second-stage
        // (DID-tagged) entries are untouched. Granularities 0/1 are reserved.
        const did = fget(q0, 31, 16);
        const pasid = fget(q0, 51, 32);
        Object.assign(fields, { did, pasid });
        const key = did * 2 ** 20 + pasid;
        const tag = this.fsTags.get(key);
        if (gran === EIOTLB_GRAN.PSI_PASID) {
          const addr = Number(q1 & ~0xfffn);
          const am = fget(q1, 5, 0);
          Object.assign(fields, { addr, am, ih: bit(q1, 6) });
          if (tag !== undefined) {
            this.iotlb.invalidate(tag, addr, addr + 2 ** (am + 12) - 1);
            this.psiWalkCaches(tag, addr, am, bit(q1, 6));
          }
          name = 'QI_EIOTLB_PSI';
          trace = 'vtd_inv_desc_piotlb_pages';
          this.notePending('inv_wait_page');
        } else if (gran === EIOTLB_GRAN.NONG_PASID) {
          if (tag !== undefined) {
            this.iotlb.invalidate(tag, 0, Infinity);
            this.invalidateWalkCaches(tag, 0, Infinity);
          }
          name = 'QI_EIOTLB_PASID';
          trace = 'vtd_inv_desc_piotlb_pasid';
          this.notePending('inv_wait_domain');
        } else {
          name = 'QI_EIOTLB_RSVD';
          trace = 'vtd_inv_desc_piotlb_rsvd';
        }
        this.counters.inv_iotlb++;
        break;
      }
      case QI.DIOTLB: {
        Object.assign(fields, { sid: fget(q0, 47, 32), addr: Number(q1 & ~0xfffn), s: bit(q1, 0) });
        const [start, last] = devtlbRange(q1, bit(q1, 0));
        this.invalidateAtc(fget(q0, 47, 32), start, last);
        name = 'QI_DIOTLB';
        trace = 'vtd_inv_desc_dev_iotlb';
        this.counters.inv_devtlb++;
        this.notePending('inv_wait_devtlb');
        break;
      }
      case QI.DEIOTLB: {
        // PASID-based device-TLB invalidation: SID 31:16, PASID 51:32, S is qword 1 bit 11.
        Object.assign(fields, { sid: fget(q0, 31, 16), pasid: fget(q0, 51, 32), addr: Number(q1 & ~0xfffn), s: bit(q1, 11) });
        const [start, last] = devtlbRange(q1, bit(q1, 11));
        this.invalidateAtc(fget(q0, 31, 16), start, last);
        name = 'QI_DEIOTLB';
        trace = 'vtd_inv_desc_dev_piotlb';
        this.counters.inv_devtlb++;
        this.notePending('inv_wait_devtlb');
        break;
      }
      case QI.PGRP_RESP: {
        const rid = fget(q0, 31, 16);
        const prgi = fget(q1, 11, 3);
        Object.assign(fields, { rid, pasid: fget(q0, 51, 32), code: fget(q0, 15, 12), prgi });
        name = 'QI_PGRP_RESP';
        trace = 'vtd_inv_desc_page_response';
        fields.rc = this.completePageRequest(rid, prgi, fget(q0, 51, 32), fget(q0, 15, 12) === 0);
        break;
      }
      case QI.IWD:
        Object.assign(fields, { sw: bit(q0, 5), fn: bit(q0, 6), data: fget(q0, 63, 32) });
        name = 'QI_IWD';
        trace = 'vtd_inv_desc_wait_sw';
        this.completeWait();
        break;
      default:
        break;
    }
    this.logCommand({ ts, name, opcode: type, raw: [hex64(q0), hex64(q1)], fields });
    if (this.rec.enabled) this.rec.slice('hw.cmdq', trace, ts, this.clock.now - ts, fields);
  }

  private lastFault = 0;

  /**
   * Paging-structure caches on a page-selective invalidation (VT-d IVA_REG IH): IH = 1
   * ("invalidation hint: non-leaf entries not modified") may keep them; IH = 0 drops the
   * non-leaf entries of the range — or, with caps.ihDomainWide, every non-leaf entry of the
   * tag, as the Xeon E7 v2 IIO datasheet says its implementation does.
   */
  private psiWalkCaches(tag: number, addr: number, am: number, ih: boolean): void {
    if (ih) return;
    if (this.ihDomainWide) this.invalidateWalkCaches(tag, 0, Infinity);
    else this.invalidateWalkCaches(tag, addr, addr + 2 ** (am + 12) - 1);
  }

  /**
   * Legacy mode (TTM = 00): root entry → 128-bit context entry. TT 0/1 translate through the
   * second-stage table at SLPTPTR (its depth must match AW), TT 2 passes through; requests
   * with a PASID are refused (no PASID in legacy mode); no A/D updates (SSADE is a
   * scalable-mode field).
   */
  private fetchLegacyContext(sid: number, pasid: number): HwContext | FaultKind {
    this.fetchReads(2); // root entry, context entry
    const re = this.mem.read64(this.rootTable + ((sid >> 8) & 0xff) * ROOT_ENTRY_SIZE);
    if (!bit(re, 0)) return this.fail(LEGACY_FAULT.ROOT_NOT_PRESENT, FAULT_KIND.CONTEXT);
    const pa = Number(re & ~0xfffn) + (sid & 0xff) * LEGACY_CONTEXT_ENTRY_SIZE;
    const q0 = this.mem.read64(pa);
    const q1 = this.mem.read64(pa + 8);
    if (!bit(q0, LCE.P)) return this.fail(LEGACY_FAULT.CONTEXT_NOT_PRESENT, FAULT_KIND.CONTEXT);
    if (pasid !== 0) return this.fail(LEGACY_FAULT.INVALID_CONTEXT, FAULT_KIND.PASID_INVALID);
    const tt = fget(q0, LCE.TT_HI, LCE.TT_LO);
    const did = fget(q1, LCE.DID_HI, LCE.DID_LO);
    if (tt === LCE_TT.PASS_THROUGH) return { tag: did, pt: null, bypass: true, setA: false, setD: false, permMask: 3 };
    const pt = tt <= LCE_TT.DEV_IOTLB ? this.pts.get(Number(q0 & ~0xfffn)) : undefined;
    if (!pt || pt.topLevel - 1 !== fget(q1, LCE.AW_HI, LCE.AW_LO)) return this.fail(LEGACY_FAULT.INVALID_CONTEXT, FAULT_KIND.CONTEXT);
    return { tag: did, pt, bypass: false, setA: false, setD: false, permMask: 3 };
  }

  protected fetchContext(sid: number, pasid: number): HwContext | FaultKind {
    this.counters.ctx_fetch++;
    if (this.legacyMode) return this.fetchLegacyContext(sid, pasid);
    const bus = (sid >> 8) & 0xff;
    const devfn = sid & 0xff;
    this.fetchReads(4); // root, context, PASID directory, PASID entry
    const re = this.mem.read64(this.rootTable + bus * ROOT_ENTRY_SIZE + (devfn >= 128 ? 8 : 0));
    if (!bit(re, 0)) return this.fail(SM_FAULT.CONTEXT_NOT_PRESENT, FAULT_KIND.CONTEXT);
    const ce = this.mem.read64(Number(re & ~0xfffn) + (devfn & 0x7f) * SM_CONTEXT_ENTRY_SIZE);
    if (!bit(ce, CE.P)) return this.fail(SM_FAULT.CONTEXT_NOT_PRESENT, FAULT_KIND.CONTEXT);
    const pdts = fget(ce, CE.PDTS_HI, CE.PDTS_LO);
    if (pasid >> 6 >= 2 ** (7 + pdts)) return this.fail(SM_FAULT.PASID_TOO_LARGE, FAULT_KIND.PASID_INVALID);
    const dir = Number(ce & ~0xfffn);
    const dpa = dir + (pasid >> 6) * PASID_DIR_ENTRY_SIZE;
    if (!this.mem.has(dpa)) return this.fail(SM_FAULT.PASID_DIR_ACCESS, FAULT_KIND.PASID_FETCH);
    const de = this.mem.read64(dpa);
    if (!bit(de, 0)) return this.fail(SM_FAULT.PASID_DIR_NOT_PRESENT, FAULT_KIND.BAD_PASID_ENTRY);
    const ppa = Number(de & ~0xfffn) + (pasid & 0x3f) * PASID_ENTRY_SIZE;
    if (!this.mem.has(ppa)) return this.fail(SM_FAULT.PASID_ENTRY_ACCESS, FAULT_KIND.PASID_FETCH);
    const q0 = this.mem.read64(ppa);
    const q1 = this.mem.read64(ppa + 8);
    if (!bit(q0, PE.P)) return this.fail(SM_FAULT.PASID_NOT_PRESENT, FAULT_KIND.BAD_PASID_ENTRY);
    const pgtt = fget(q0, PE.PGTT_HI, PE.PGTT_LO);
    const did = fget(q1, PE.DID_HI, PE.DID_LO);
    if (pgtt === PGTT.PASS_THROUGH) return { tag: did, pt: null, bypass: true, setA: false, setD: false, permMask: 3 };
    if (pgtt === PGTT.FIRST_STAGE) return this.firstStageContext(did, pasid, this.mem.read64(ppa + 16));
    if (pgtt === PGTT.NESTED) return this.nestedContext(did, pasid, q0, this.mem.read64(ppa + 16));
    // Second stage: SLPTPTR in qword 0 (only tables the model holds).
    const pt = pgtt === PGTT.SECOND_STAGE ? this.pts.get(Number(q0 & ~0xfffn)) : undefined;
    if (!pt) return this.fail(SM_FAULT.INVALID_PASID_ENTRY, FAULT_KIND.BAD_PASID_ENTRY);
    // SSADE enables second-stage A/D; SLADS hardware only.
    const ad = pgtt === PGTT.SECOND_STAGE && bit(q0, PE.SSADE) && this.ecapHas(ECAP.SLADS);
    return { tag: did, pt, bypass: false, setA: ad, setD: ad, permMask: 3 };
  }

  /**
   * PGTT = 1 (first-stage only, VT-d spec §9.6 Table "PASID entry", §3.6): FLPM (qword 2 bits
   * 3:2) must be 4-level (0) or, with CAP.FL5LP, 5-level (1), else the entry is invalid (0x5b);
   * FLPTR (qword 2 bits 63:12) must lead to an x86_64 table of that depth the model holds,
   * else the first-level entry cannot be fetched (0x70). A/D updates are not gated by any
   * enable in first stage, so setA/setD are on; the kernel presets both on every leaf it
   * installs, so DMA never needs an atomic update (and the no-snoop A/D fault 0x90 cannot
   * arise from kernel-written tables; the model does not produce it).
   */
  private firstStageContext(did: number, pasid: number, q2: bigint): HwContext | FaultKind {
    const flpm = fget(q2, PE_QW2.FLPM_HI, PE_QW2.FLPM_LO);
    if (flpm > 1 || (flpm === 1 && !this.capHas(CAP.FL5LP))) return this.fail(SM_FAULT.INVALID_PASID_ENTRY, FAULT_KIND.BAD_PASID_ENTRY);
    const pt = this.pts.get(Number(q2 & ~0xfffn));
    if (!pt || pt.formatName !== 'x86_64' || pt.topLevel !== 3 + flpm) return this.fail(SM_FAULT.FL_ACCESS, FAULT_KIND.BAD_PASID_ENTRY);
    return { tag: this.firstStageTag(did, pasid), pt, bypass: false, setA: true, setD: true, permMask: 3 };
  }

  /**
   * PGTT = 3 (nested, VT-d spec §3.8, §9.6): the first-stage table at FLPTR (qword 2; the
   * guest's, output GPA) over the second-stage table at SLPTPTR (qword 0, the nesting
   * parent). First-stage A/D always; second-stage A/D with SSADE (and ECAP.SLADS). Without
   * ECAP.NEST the entry is invalid. Tagged per (DID, PASID) like first stage.
   */
  private nestedContext(did: number, pasid: number, q0: bigint, q2: bigint): HwContext | FaultKind {
    if (!this.ecapHas(ECAP.NEST)) return this.fail(SM_FAULT.INVALID_PASID_ENTRY, FAULT_KIND.BAD_PASID_ENTRY);
    const s1 = this.firstStageContext(did, pasid, q2);
    if (typeof s1 === 'number') return s1;
    const s2 = this.pts.get(Number(q0 & ~0xfffn));
    if (!s2) return this.fail(SM_FAULT.INVALID_PASID_ENTRY, FAULT_KIND.BAD_PASID_ENTRY);
    const ad = bit(q0, PE.SSADE) && this.ecapHas(ECAP.SLADS);
    this.nestedTags.add(s1.tag);
    return { ...s1, s2: { pt: s2, setA: ad, setD: ad } };
  }

  /** IOTLB tags of nested (PGTT 3) contexts: a DID's IOTLB invalidation also drops their combined entries. */
  private readonly nestedTags = new Set<number>();

  /** Drop every combined (nested) IOTLB entry of `did` (VT-d spec §6.5.2.3: nested mappings are tagged by the DID). */
  private dropNested(did: number): void {
    for (const t of this.nestedTags) if (this.didOfTag(t) === did) this.iotlb.invalidate(t, 0, Infinity);
  }

  private fail(reason: number, kind: FaultKind): FaultKind {
    this.lastFault = reason;
    return kind;
  }

  protected encodeFault(kind: FaultKind, sid: number, pasid: number, iova: number, write: boolean, ctx: HwContext | null): HwFaultRecord {
    let fr = this.lastFault;
    const legacy = this.legacyMode;
    // A non-present entry on the walk: first stage has a P bit (0x71); a second-stage entry
    // with R = W = 0 is reported as a read/write permission error (0x79); legacy mode
    // reports the missing permission (5 write, 6 read).
    if (kind === FAULT_KIND.TRANSLATION || kind === FAULT_KIND.PERMISSION) {
      if (legacy) fr = write ? LEGACY_FAULT.NO_WRITE : LEGACY_FAULT.NO_READ;
      else if (kind === FAULT_KIND.TRANSLATION) fr = ctx !== null && this.isFirstStageTag(ctx.tag) ? SM_FAULT.FL_NOT_PRESENT : SM_FAULT.SL_RW;
      else fr = write ? SM_FAULT.NO_WRITE : SM_FAULT.NO_READ;
    }
    this.lastFault = 0;
    const pp = pasid !== 0;
    // FRCD: qword 0 = FI (page address); qword 1 = SID[15:0], PP[31], FR[39:32], PV[59:40], T[62] (1 = read), F[63].
    let q1 = BigInt(sid & 0xffff);
    if (pp) q1 |= 1n << 31n;
    q1 = fset(q1, 39, 32, fr);
    q1 = fset(q1, 59, 40, pasid);
    if (!write) q1 |= 1n << 62n;
    q1 |= 1n << 63n;
    const flags = (write ? 0 : 1) | (pp ? 2 : 0);
    const name = legacy ? (LEGACY_FAULT_NAMES[fr] ?? `fault 0x${fr.toString(16)}`) : (SM_FAULT_NAMES[fr] ?? `SM fault 0x${fr.toString(16)}`);
    return { ts: this.clock.now, kind, code: fr, name, sid, pasid, iova, write, flags, recoverable: false, raw: [hex64(BigInt(Math.floor(iova / 4096) * 4096)), hex64(q1)] };
  }
}
