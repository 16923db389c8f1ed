/**
 * Arm SMMUv3 hardware model: IDR0-5, a linear stream table and per-device linear CD tables
 * in simulated memory, the command queue (CFGI_STE, CFGI_CD, TLBI_NH_VA with range fields,
 * TLBI_NH_ASID, TLBI_S12_VMALL, ATC_INV, CMD_SYNC), the event queue (F_TRANSLATION,
 * F_PERMISSION, C_BAD_STE, C_BAD_CD, F_CD_FETCH, C_BAD_SUBSTREAMID) and the PRI queue
 * (translation faults of PRI/stall-capable devices become page requests).
 *
 * Sources: Arm IHI 0070 §5.2 STE, §5.4 CD (HA bit 43, HD bit 42; 5.4.1 cached in TLBs),
 * §4.4-4.7 commands, §7.3 events, §3.13 HTTU with DBM; Linux arm-smmu-v3.{c,h};
 * io-pgtable-arm.c (DBM, AP[2]); RFC patches 12-17 (docs/rfc-errata.md).
 */
import { bit, fget, fset, hex64 } from '../../base/bitfield';
import type { HwContext, HwModelOptions } from '../engine';
import { IommuHwModel } from '../engine';
import type { FaultKind, HwFaultRecord } from '../queue';
import { FAULT_KIND } from '../queue';
import type { EventName } from '../../trace/events';
import { CD, CD_SIZE, CMDQ_OP, EVT, EVT_NAMES, HTTU, IDR0, IDR1, IDR3, IDR5, STE, STE_CFG, STE_SIZE, cmdOp, STE2, STE3, CMDQ_OP_GUEST } from './regs';

/** Capability switches for what-ifs. */
export interface SmmuHwCaps {
  /** IDR0.HTTU: 0 none, 1 access, 2 access+dirty. Default 2. */
  httu?: number;
  /** IDR3.BBML level 0..2. Default 2. */
  bbml?: number;
  /** IDR3.RIL range invalidation. Default true. */
  ril?: boolean;
  /** IDR0.COHACC coherent table walks. Default true. */
  coherent?: boolean;
  /** IDR1.SSIDSIZE (PASID bits). Default 20. */
  ssidBits?: number;
  /** IDR1.SIDSIZE. Default 16. */
  sidBits?: number;
  /** IDR0.BTM broadcast TLB maintenance. Default false. */
  btm?: boolean;
  /** IDR0.STALL_MODEL: 0 stall and terminate, 1 terminate only, 2 stall forced. Default 0. */
  stallModel?: number;
}

const OP_NAMES: Record<number, string> = Object.fromEntries(Object.entries({ ...CMDQ_OP, ...CMDQ_OP_GUEST }).map(([k, v]) => [v, k.startsWith('CMD_') ? k : `CMD_${k}`]));
/** Trace event of each opcode: smmuv3_cmdq_<op> as QEMU names them (catalogue, core/trace/events.ts). */
const OP_EVENT: Record<number, Extract<EventName, `smmuv3_cmdq_${string}`>> = {
  [CMDQ_OP.CFGI_STE]: 'smmuv3_cmdq_cfgi_ste',
  [CMDQ_OP.CFGI_ALL]: 'smmuv3_cmdq_cfgi_all',
  [CMDQ_OP.CFGI_CD]: 'smmuv3_cmdq_cfgi_cd',
  [CMDQ_OP.CFGI_CD_ALL]: 'smmuv3_cmdq_cfgi_cd_all',
  [CMDQ_OP.TLBI_NH_ALL]: 'smmuv3_cmdq_tlbi_nh_all',
  [CMDQ_OP.TLBI_NH_ASID]: 'smmuv3_cmdq_tlbi_nh_asid',
  [CMDQ_OP.TLBI_NH_VA]: 'smmuv3_cmdq_tlbi_nh_va',
  [CMDQ_OP.TLBI_S12_VMALL]: 'smmuv3_cmdq_tlbi_s12_vmall',
  [CMDQ_OP.TLBI_NSNH_ALL]: 'smmuv3_cmdq_tlbi_nsnh_all',
  [CMDQ_OP.ATC_INV]: 'smmuv3_cmdq_atc_inv',
  [CMDQ_OP.PRI_RESP]: 'smmuv3_cmdq_pri_resp',
  [CMDQ_OP.RESUME]: 'smmuv3_cmdq_resume',
  [CMDQ_OP.CMD_SYNC]: 'smmuv3_cmdq_sync',
} satisfies Record<(typeof CMDQ_OP)[keyof typeof CMDQ_OP], EventName>;
// A guest's CMD_TLBI_NH_VAA forwarded by a vIOMMU (arm_vsmmu_convert_user_cmd).
OP_EVENT[CMDQ_OP_GUEST.TLBI_NH_VAA] = 'smmuv3_cmdq_tlbi_nh_vaa';

export class SmmuV3Hw extends IommuHwModel {
  readonly idr: readonly bigint[];
  readonly streamTable: number;
  private lastEvent = 0;

  constructor(o: HwModelOptions, caps: SmmuHwCaps = {}) {
    super({ ...o, eventEntries: o.eventEntries ?? 1024 });
    let idr0 = 0n;
    for (const b of [IDR0.S1P, IDR0.S2P, IDR0.ATS, IDR0.ASID16, IDR0.PRI, IDR0.VMID16, IDR0.CD2L]) idr0 |= 1n << BigInt(b);
    idr0 = fset(idr0, IDR0.TTF_HI, IDR0.TTF_LO, 2); // AArch64 tables
    idr0 = fset(idr0, IDR0.HTTU_HI, IDR0.HTTU_LO, caps.httu ?? HTTU.ACCESS_DIRTY);
    idr0 = fset(idr0, IDR0.STALL_HI, IDR0.STALL_LO, caps.stallModel ?? 0);
    idr0 = fset(idr0, IDR0.ST_LVL_HI, IDR0.ST_LVL_LO, 0); // linear stream table
    if (caps.coherent ?? true) idr0 |= 1n << BigInt(IDR0.COHACC);
    if (caps.btm ?? false) idr0 |= 1n << BigInt(IDR0.BTM);
    const sidBits = caps.sidBits ?? 16;
    let idr1 = fset(0n, IDR1.SIDSIZE_HI, IDR1.SIDSIZE_LO, sidBits);
    idr1 = fset(idr1, IDR1.SSIDSIZE_HI, IDR1.SSIDSIZE_LO, caps.ssidBits ?? 20);
    let idr3 = fset(0n, IDR3.BBML_HI, IDR3.BBML_LO, caps.bbml ?? 2);
    if (caps.ril ?? true) idr3 |= 1n << BigInt(IDR3.RIL);
    let idr5 = fset(0n, IDR5.OAS_HI, IDR5.OAS_LO, 5); // 48-bit OAS
    idr5 |= (1n << BigInt(IDR5.GRAN4K)) | (1n << BigInt(IDR5.GRAN64K));
    this.idr = [idr0, idr1, 0n, idr3, 0n, idr5];
    this.streamTable = this.mem.reservePages((2 ** sidBits * STE_SIZE) / 4096);
  }

  /** IDR0.HTTU value. */
  get httu(): number {
    return fget(this.idr[0]!, IDR0.HTTU_HI, IDR0.HTTU_LO);
  }
  get coherent(): boolean {
    return bit(this.idr[0]!, IDR0.COHACC);
  }
  get ril(): boolean {
    return bit(this.idr[3]!, IDR3.RIL);
  }
  get bbml(): number {
    return fget(this.idr[3]!, IDR3.BBML_HI, IDR3.BBML_LO);
  }
  get ssidBits(): number {
    return fget(this.idr[1]!, IDR1.SSIDSIZE_HI, IDR1.SSIDSIZE_LO);
  }

  /**
   * JPB's sysfs description (/sys/class/iommu/<dev>/arm-smmu-v3/<attr>): model 2 and the
   * feature files; `ssid_bits` is absent when PASIDs are unsupported (absent means 0).
   */
  sysfs(): Record<string, string> {
    const idr0 = this.idr[0]!;
    const files: Record<string, string> = {
      model: '2',
      asid_bits: bit(idr0, IDR0.ASID16) ? '16' : '8',
      input_bits: '48',
      output_bits: String([32, 36, 40, 42, 44, 48, 52][fget(this.idr[5]!, IDR5.OAS_HI, IDR5.OAS_LO)] ?? 48),
      btm: bit(idr0, IDR0.BTM) ? 'enabled' : 'disabled',
      httu: ['none', 'access', 'access+dirty'][this.httu] ?? 'none',
      stall: ['enabled', 'disabled', 'force'][fget(idr0, IDR0.STALL_HI, IDR0.STALL_LO)] ?? 'disabled',
      pasid_table_align: '64',
    };
    if (this.ssidBits > 0) files.ssid_bits = String(this.ssidBits);
    return files;
  }

  steAddr(sid: number): number {
    return this.streamTable + sid * STE_SIZE;
  }

  /** Allocate a linear CD table of 2^log2Entries CDs (64 bytes each); returns its physical address. */
  allocCdTable(log2Entries: number): number {
    return this.mem.allocPages(Math.max(1, Math.ceil((2 ** log2Entries * CD_SIZE) / 4096)));
  }

  /** CPU write of one qword of an STE or CD; counted and costed. */
  writeQword(pa: number, v: bigint, what: string): void {
    this.mem.write64(pa, v);
    this.counters.table_entry_write++;
    this.cost.charge('table_entry_write');
    if (this.rec.enabled) this.rec.instant('hw.table', 'smmuv3_table_write', this.clock.now, { what, pa, value: hex64(v) });
  }

  /** The command queue consumes `cmds` in order (the driver issues CMD_SYNC itself). */
  submit(cmds: bigint[][]): void {
    for (const [q0, q1] of cmds) this.execute(q0!, q1!);
  }

  private execute(q0: bigint, q1: bigint): void {
    const ts = this.clock.now;
    this.cost.charge('cmd_post');
    const op = cmdOp(q0);
    const name = OP_NAMES[op] ?? `CMD_UNKNOWN_${op}`;
    const fields: Record<string, number | boolean> = {};
    switch (op) {
      case CMDQ_OP.CFGI_STE: {
        const sid = fget(q0, 63, 32);
        Object.assign(fields, { sid, leaf: bit(q1, 0) });
        this.dropContext(sid);
        this.counters.inv_context++;
        this.notePending('inv_wait_context');
        break;
      }
      case CMDQ_OP.CFGI_CD: {
        const sid = fget(q0, 63, 32);
        const ssid = fget(q0, 31, 12);
        Object.assign(fields, { sid, ssid, leaf: bit(q1, 0) });
        this.dropPasidContext(sid, ssid);
        this.counters.inv_context++;
        this.notePending('inv_wait_context');
        break;
      }
      case CMDQ_OP.CFGI_ALL:
        this.dropContext(-1);
        this.counters.inv_context++;
        this.notePending('inv_wait_context');
        break;
      case CMDQ_OP.TLBI_NH_ASID: {
        const asid = fget(q0, 63, 48);
        fields.asid = asid;
        this.iotlb.invalidate(asid, 0, Infinity);
        // A VMID (a vIOMMU's forwarded guest command): the nested entries of that VMID.
        const vmid = fget(q0, 47, 32);
        if (vmid) this.iotlb.invalidate(0x10000 + vmid, 0, Infinity);
        this.invalidateWalkCaches(asid, 0, Infinity);
        this.counters.inv_iotlb++;
        this.notePending('inv_wait_domain');
        break;
      }
      case CMDQ_OP_GUEST.TLBI_NH_VAA:
      case CMDQ_OP.TLBI_NH_VA: {
        const asid = fget(q0, 63, 48);
        const num = fget(q0, 16, 12);
        const scale = fget(q0, 24, 20);
        const tg = fget(q1, 11, 10);
        const addr = Number(q1 & ~0xfffn);
        // Range form when TG != 0: (NUM+1) × 2^SCALE granules (TG 1 = 4K, 2 = 16K, 3 = 64K).
        const size = tg === 0 ? 1 : (num + 1) * 2 ** scale * [0, 4096, 16384, 65536][tg]!;
        Object.assign(fields, { asid, addr, num, scale, tg, ttl: fget(q1, 9, 8), leaf: bit(q1, 0), size });
        this.iotlb.invalidate(asid, addr, addr + size - 1);
        const vmid = fget(q0, 47, 32);
        if (vmid) this.iotlb.invalidate(0x10000 + vmid, addr, addr + size - 1);
        // LEAF = 1: last-level entries only, the walk cache stays; LEAF = 0 drops it for the range.
        if (!bit(q1, 0)) this.invalidateWalkCaches(asid, addr, addr + size - 1);
        this.counters.inv_iotlb++;
        this.notePending('inv_wait_page');
        break;
      }
      case CMDQ_OP.TLBI_S12_VMALL:
      case CMDQ_OP.TLBI_NH_ALL:
      case CMDQ_OP.TLBI_NSNH_ALL:
        fields.vmid = fget(q0, 47, 32);
        this.iotlb.invalidateAll();
        this.invalidateWalkCaches(-1, 0, Infinity);
        this.counters.inv_iotlb++;
        this.notePending('inv_wait_domain');
        break;
      case CMDQ_OP.ATC_INV: {
        Object.assign(fields, { sid: fget(q0, 63, 32), ssid: fget(q0, 31, 12), addr: Number(q1 & ~0xfffn), size: fget(q1, 5, 0) });
        // SIZE: log2 of the span in 4 KiB pages, the address aligned to it ("ATC invalidates are always on 4096-bytes pages").
        const span = 2 ** (fget(q1, 5, 0) + 12);
        const start = Math.floor(Number(q1 & ~0xfffn) / span) * span;
        this.invalidateAtc(fget(q0, 63, 32), start, start + span - 1);
        this.counters.inv_devtlb++;
        this.notePending('inv_wait_devtlb');
        break;
      }
      case CMDQ_OP.PRI_RESP: {
        const sid = fget(q0, 63, 32);
        const grpid = fget(q1, 8, 0);
        Object.assign(fields, { sid, ssid: fget(q0, 31, 12), grpid, resp: fget(q1, 13, 12) });
        fields.rc = this.completePageRequest(sid, grpid, fget(q0, 31, 12), fget(q1, 13, 12) === 2);
        break;
      }
      case CMDQ_OP.CMD_SYNC:
        fields.cs = fget(q0, 13, 12);
        this.completeWait();
        break;
      default:
        break;
    }
    this.logCommand({ ts, name, opcode: op, raw: [hex64(q0), hex64(q1)], fields });
    if (this.rec.enabled) this.rec.slice('hw.cmdq', OP_EVENT[op] ?? 'smmuv3_cmdq_unknown', ts, this.clock.now - ts, fields);
  }

  protected fetchContext(sid: number, pasid: number): HwContext | FaultKind {
    this.counters.ctx_fetch++;
    this.fetchReads(2); // STE + CD
    if (sid >= 2 ** fget(this.idr[1]!, IDR1.SIDSIZE_HI, IDR1.SIDSIZE_LO)) return this.fail(EVT.C_BAD_STREAMID, FAULT_KIND.CONTEXT);
    const pa = this.steAddr(sid);
    const s0 = this.mem.read64(pa);
    if (!bit(s0, STE.V)) return this.fail(EVT.C_BAD_STE, FAULT_KIND.CONTEXT);
    const cfg = fget(s0, STE.CFG_HI, STE.CFG_LO);
    if (cfg === STE_CFG.ABORT) return { tag: 0, pt: null, bypass: false, setA: false, setD: false, permMask: 3, silentAbort: true };
    if (cfg === STE_CFG.BYPASS) return { tag: 0, pt: null, bypass: true, setA: false, setD: false, permMask: 3 };
    if (cfg === STE_CFG.S2_TRANS || cfg === STE_CFG.NESTED) return this.stage2Context(sid, pa, s0, cfg);
    if (cfg !== STE_CFG.S1_TRANS) return this.fail(EVT.C_BAD_STE, FAULT_KIND.CONTEXT);
    const cdmax = fget(s0, STE.S1CDMAX_HI, STE.S1CDMAX_LO);
    if (pasid >= 2 ** cdmax && pasid !== 0) return this.fail(EVT.C_BAD_SUBSTREAMID, FAULT_KIND.PASID_INVALID);
    const cdpa = fget(s0, STE.S1CTXPTR_HI, STE.S1CTXPTR_LO) * 64 + pasid * CD_SIZE;
    if (!this.mem.has(cdpa)) return this.fail(EVT.F_CD_FETCH, FAULT_KIND.PASID_FETCH);
    const c0 = this.mem.read64(cdpa);
    const c1 = this.mem.read64(cdpa + 8);
    if (!bit(c0, CD.V) || !bit(c0, CD.AA64)) return this.fail(EVT.C_BAD_CD, FAULT_KIND.BAD_PASID_ENTRY);
    const pt = this.pts.get(fget(c1, CD.TTB0_HI, CD.TTB0_LO) * 16);
    if (!pt) return this.fail(EVT.C_BAD_CD, FAULT_KIND.BAD_PASID_ENTRY);
    const httu = this.httu;
    return { tag: fget(c0, CD.ASID_HI, CD.ASID_LO), pt, bypass: false, setA: bit(c0, CD.HA) && httu >= HTTU.ACCESS, setD: bit(c0, CD.HD) && httu >= HTTU.ACCESS_DIRTY, permMask: 3 };
  }

  /**
   * STE.Config = S2 only (0b110) or nested (0b111, Arm SMMUv3 §3.3.2): the stage-2 table at
   * S2TTB with the STE's VMID; for nested the guest's stage-1 table through S1ContextPtr.
   * Model simplification: S1ContextPtr names the guest stage-1 table root directly (the guest
   * CD table is not modelled: one CD, SSID 0, no guest HTTU as the kernel tells VMMs). IOTLB
   * tag 0x10000 + VMID (stage-1-only contexts use their ASID below 0x10000). No S2 HTTU:
   * Linux never sets STE.S2HA/S2HD, so stage 2 gets no A/D.
   */
  private stage2Context(_sid: number, pa: number, s0: bigint, cfg: number): HwContext | FaultKind {
    if (!bit(this.idr[0]!, IDR0.S2P)) return this.fail(EVT.C_BAD_STE, FAULT_KIND.CONTEXT);
    const vmid = fget(this.mem.read64(pa + 16), STE2.S2VMID_HI, STE2.S2VMID_LO);
    const s2 = this.pts.get(fget(this.mem.read64(pa + 24), STE3.S2TTB_HI, STE3.S2TTB_LO) * 16);
    if (!s2) return this.fail(EVT.C_BAD_STE, FAULT_KIND.CONTEXT);
    const tag = 0x10000 + vmid;
    if (cfg === STE_CFG.S2_TRANS) return { tag, pt: s2, bypass: false, setA: false, setD: false, permMask: 3 };
    const s1 = this.pts.get(fget(s0, STE.S1CTXPTR_HI, STE.S1CTXPTR_LO) * 64);
    if (!s1) return this.fail(EVT.C_BAD_CD, FAULT_KIND.BAD_PASID_ENTRY);
    return { tag, pt: s1, bypass: false, setA: false, setD: false, permMask: 3, s2: { pt: s2, setA: false, setD: false } };
  }

  /** Whether the last recorded fault was a stage-2 fault (EVTQ_1_S2). */
  get lastFaultWasStage2(): boolean {
    return this.lastFaultStage2;
  }

  private fail(evt: number, kind: FaultKind): FaultKind {
    this.lastEvent = evt;
    return kind;
  }

  protected encodeFault(kind: FaultKind, sid: number, pasid: number, iova: number, write: boolean, _ctx: HwContext | null): HwFaultRecord {
    let id = this.lastEvent;
    if (kind === FAULT_KIND.TRANSLATION) id = EVT.F_TRANSLATION;
    else if (kind === FAULT_KIND.PERMISSION) id = EVT.F_PERMISSION;
    this.lastEvent = 0;
    let q0 = fset(BigInt(id), 63, 32, sid);
    if (pasid !== 0) q0 = fset(q0 | (1n << 11n), 31, 12, pasid);
    // qword 1: RnW[35] (1 = read), CLASS[41:40] = 2 (IN: input address) for translation-table faults.
    let q1 = 0n;
    if (!write) q1 |= 1n << 35n;
    if (id === EVT.F_TRANSLATION || id === EVT.F_PERMISSION) q1 = fset(q1, 41, 40, 2);
    // EVTQ_1_S2 (bit 39): the fault was in stage 2 of a nested walk.
    if (this.lastFaultStage2) q1 |= 1n << 39n;
    this.lastFaultStage2 = false;
    const flags = Number(q1 >> 32n);
    return { ts: this.clock.now, kind, code: id, name: EVT_NAMES[id] ?? `EVT_0x${id.toString(16)}`, sid, pasid, iova, write, flags, recoverable: false, raw: [hex64(q0), hex64(q1), hex64(BigInt(Math.floor(iova))), '0000000000000000'] };
  }
}
