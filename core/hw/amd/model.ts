/**
 * AMD-Vi hardware model: EFR, the device table in simulated memory (65536 DTEs of 256
 * bits), the command buffer (INVALIDATE_DEVTAB_ENTRY, INVALIDATE_IOMMU_PAGES with PDE and
 * S ranges, INVALIDATE_IOTLB_PAGES, COMPLETION_WAIT, INVALIDATE_IOMMU_ALL), the event log
 * (IO_PAGE_FAULT with its flags, ILLEGAL_DEV_TABLE_ENTRY) and the PPR log; DMA goes
 * through the shared engine (core/hw/engine.ts).
 *
 * Sources: AMD IOMMU spec #48882 §2.2.2 (DTE), §2.2.3.1-2 (host A/D, replicated PTEs),
 * §2.4 (commands), §2.5 (events); drivers/iommu/amd/iommu.c, amd_iommu_types.h.
 */
import { bit, fget, fset, hex64 } from '../../base/bitfield';
import type { HwContext, HwModelOptions } from '../engine';
import { IommuHwModel } from '../engine';
import type { FaultKind, HwFaultRecord } from '../queue';
import { FAULT_KIND } from '../queue';
import type { EventName } from '../../trace/events';
import { CMD, DTE, DTE_SIZE, EFR, EVENT, EVENT_FLAG, INV_ALL_PAGES_ADDRESS, INV_PDE, INV_S, cmdOpcode, decodeInvAddress, GDTE, gdteGcr3 } from './regs';

/** Capability switches for what-ifs. */
export interface AmdHwCaps {
  /** EFR HASup (bit 49). Default true. */
  hasup?: boolean;
  /** EFR HDSup (bit 52). Default true. */
  hdsup?: boolean;
  /** Capability header NpCache (bit 26): the IOMMU caches non-present entries. Default false. */
  npCache?: boolean;
  /** EFR2 GCR3TRPMode (bit 3): GCR3 root pointers are GPAs (needed for nesting, v6.19). Default true. */
  gcr3TrpMode?: boolean;
}

const CMD_NAMES: Record<number, string> = Object.fromEntries(Object.entries(CMD).map(([k, v]) => [v, k]));
/** Trace event of each command: amdvi_<command> (catalogue names, core/trace/events.ts). */
const CMD_EVENT = {
  COMPLETION_WAIT: 'amdvi_completion_wait',
  INVALIDATE_DEVTAB_ENTRY: 'amdvi_invalidate_devtab_entry',
  INVALIDATE_IOMMU_PAGES: 'amdvi_invalidate_iommu_pages',
  INVALIDATE_IOTLB_PAGES: 'amdvi_invalidate_iotlb_pages',
  INVALIDATE_INTERRUPT_TABLE: 'amdvi_invalidate_interrupt_table',
  COMPLETE_PPR_REQUEST: 'amdvi_complete_ppr_request',
  INVALIDATE_IOMMU_ALL: 'amdvi_invalidate_iommu_all',
} as const satisfies Record<keyof typeof CMD, EventName>;

export class AmdIommuHw extends IommuHwModel {
  /** Extended Feature Register value. */
  readonly efr: bigint;
  /** EFR2 (MMIO 0x1A0): GCR3TRPMode (bit 3, FEATURE_GCR3TRPMODE) only. */
  readonly efr2: bigint;
  /** Physical base of the device table (DevTblBase), bytes. */
  readonly devTableBase: number;
  /** IOMMU capability header NpCache (bit 26), amd_iommu_np_cache in the driver. */
  readonly npCache: boolean;

  constructor(o: HwModelOptions, caps: AmdHwCaps = {}) {
    super(o);
    let efr = 0n;
    for (const b of [EFR.PREFETCH, EFR.PPR, EFR.GT, EFR.IA, EFR.PC, EFR.GIOSUP]) efr |= 1n << BigInt(b);
    efr = fset(efr, 11, 10, 2); // HATS = 6 levels (amdv1 maximum)
    if (caps.hasup ?? true) efr |= 1n << BigInt(EFR.HASUP);
    if (caps.hdsup ?? true) efr |= 1n << BigInt(EFR.HDSUP);
    this.efr = efr;
    this.efr2 = (caps.gcr3TrpMode ?? true) ? 1n << 3n : 0n;
    this.npCache = caps.npCache ?? false;
    this.devTableBase = this.mem.reservePages((65536 * DTE_SIZE) / 4096);
  }

  /** Host page-table levels the IOMMU walks: EFR.HATS + 4 (amd_iommu_hpt_level). */
  get hptLevels(): number {
    return fget(this.efr, 11, 10) + 4;
  }

  /** EFR HASup && HDSup: what amd_iommu_hd_support() tests. */
  get hdSupport(): boolean {
    return bit(this.efr, EFR.HASUP) && bit(this.efr, EFR.HDSUP);
  }

  /** is_nest_parent_supported(): EFR GTSup and GIoSup, EFR2 GCR3TRPMode. */
  get nestSupport(): boolean {
    return bit(this.efr, EFR.GT) && bit(this.efr, EFR.GIOSUP) && (this.efr2 & (1n << 3n)) !== 0n;
  }

  /** Physical address of the DTE of `devid`. */
  dteAddr(devid: number): number {
    return this.devTableBase + devid * DTE_SIZE;
  }

  /** Read the four qwords of a DTE (CPU view of memory, no cost). */
  readDte(devid: number): bigint[] {
    return this.mem.readEntry(this.dteAddr(devid), 4);
  }

  /** CPU writes DTE qword `i` of `devid` (the driver then needs INVALIDATE_DEVTAB_ENTRY). */
  writeDteQword(devid: number, i: number, v: bigint): void {
    this.mem.write64(this.dteAddr(devid) + 8 * i, v);
    this.counters.table_entry_write++;
    this.cost.charge('table_entry_write');
    if (this.rec.enabled) this.rec.instant('hw.table', 'amdvi_dte_write', this.clock.now, { devid, qword: i, value: hex64(v) });
  }

  /** The command processor consumes `cmds` (each two qwords) in order. */
  submit(cmds: bigint[][]): void {
    for (const [q0, q1] of cmds) this.execute(q0!, q1!);
  }

  private execute(q0: bigint, q1: bigint): void {
    const ts = this.clock.now;
    this.cost.charge('cmd_post');
    const op = cmdOpcode(q0);
    const name = CMD_NAMES[op] ?? `UNKNOWN_${op}`;
    const fields: Record<string, number | boolean> = {};
    switch (op) {
      case CMD.INVALIDATE_DEVTAB_ENTRY: {
        const devid = fget(q0, 15, 0);
        fields.DeviceID = devid;
        this.dropContext(devid);
        this.counters.inv_context++;
        this.notePending('inv_wait_context');
        break;
      }
      case CMD.INVALIDATE_IOMMU_PAGES: {
        const domid = fget(q0, 47, 32);
        const [start, last] = decodeInvAddress(q1);
        Object.assign(fields, { DomainID: domid, S: bit(q1, INV_S), PDE: bit(q1, INV_PDE), Address: Number(q1 & ~0xfffn), start, size: last === Infinity ? -1 : last - start + 1 });
        this.iotlb.invalidate(domid, start, last);
        // PDE = 1: the cached page-directory entries of the range go too ("we want to flush
        // everything, not only the PTEs"); PDE = 0 keeps them.
        if (bit(q1, INV_PDE)) this.invalidateWalkCaches(domid, start, last);
        this.counters.inv_iotlb++;
        this.notePending((q1 & ~0xfffn) === INV_ALL_PAGES_ADDRESS ? 'inv_wait_domain' : 'inv_wait_page');
        break;
      }
      case CMD.INVALIDATE_IOTLB_PAGES: {
        const [start, last] = decodeInvAddress(q1);
        Object.assign(fields, { DeviceID: fget(q0, 15, 0), Maxpend: fget(q0, 31, 24), S: bit(q1, INV_S), start, size: last === Infinity ? -1 : last - start + 1 });
        this.invalidateAtc(fget(q0, 15, 0), start, last);
        this.counters.inv_devtlb++;
        this.notePending('inv_wait_devtlb');
        break;
      }
      case CMD.INVALIDATE_IOMMU_ALL:
        this.dropContext(-1);
        this.iotlb.invalidateAll();
        this.invalidateWalkCaches(-1, 0, Infinity);
        this.counters.inv_context++;
        this.counters.inv_iotlb++;
        this.notePending('inv_wait_domain');
        break;
      case CMD.COMPLETE_PPR_REQUEST: {
        const devid = fget(q0, 15, 0);
        const tag = fget(q1, 40, 32);
        Object.assign(fields, { DeviceID: devid, PASID: fget(q0, 51, 32), Tag: tag, Status: fget(q1, 47, 44) });
        fields.rc = this.completePageRequest(devid, tag, fget(q0, 51, 32), fget(q1, 47, 44) === 0);
        break;
      }
      case CMD.COMPLETION_WAIT:
        fields.S = bit(q0, 0);
        fields.StoreAddress = Number(q0 & 0x000f_ffff_ffff_fff8n);
        this.completeWait();
        break;
      default:
        break;
    }
    const cmd = { ts, name, opcode: op, raw: [hex64(q0), hex64(q1)], fields };
    this.logCommand(cmd);
    if (this.rec.enabled) this.rec.slice('hw.cmdq', CMD_EVENT[name as keyof typeof CMD] ?? 'amdvi_unknown_command', ts, this.clock.now - ts, fields);
  }

  protected fetchContext(sid: number, pasid: number): HwContext | FaultKind {
    this.counters.ctx_fetch++;
    this.fetchReads(1);
    const pa = this.dteAddr(sid);
    const q0 = this.mem.read64(pa);
    const q1 = this.mem.read64(pa + 8);
    const perm = (bit(q0, DTE.IR) ? 1 : 0) | (bit(q0, DTE.IW) ? 2 : 0);
    // V=0: the DTE does not translate (access passes untranslated).
    if (!bit(q0, DTE.V)) return { tag: 0, pt: null, bypass: true, setA: false, setD: false, permMask: 3 };
    if (!bit(q0, DTE.TV)) return FAULT_KIND.CONTEXT;
    if (pasid !== 0) return FAULT_KIND.PASID_INVALID; // v1 host table: requests with PASID need GCR3 (not modelled)
    const mode = fget(q0, DTE.MODE_HI, DTE.MODE_LO);
    const had = fget(q0, DTE.HAD_HI, DTE.HAD_LO);
    const tag = fget(q1, DTE.DOMID_HI, DTE.DOMID_LO);
    if (mode === 0) return { tag, pt: null, bypass: true, setA: false, setD: false, permMask: perm };
    const pt = this.pts.get(fget(q0, DTE.PTR_HI, DTE.PTR_LO) * 4096);
    if (!pt || pt.topLevel + 1 !== mode) return FAULT_KIND.CONTEXT;
    if (bit(q0, GDTE.GV)) {
      // GV = 1 (spec §2.2.2, nested): the guest v2 table (x86-64 format, A/D always) at the
      // GCR3 root (the GCR3 table indirection is not modelled) over the v1 host table.
      const guest = this.pts.get(gdteGcr3(q0, q1));
      if (!guest || guest.formatName !== 'x86_64') return FAULT_KIND.CONTEXT;
      return { tag, pt: guest, bypass: false, setA: true, setD: true, permMask: perm, s2: { pt, setA: had !== 0, setD: had === 3 } };
    }
    return { tag, pt, bypass: false, setA: had !== 0, setD: had === 3, permMask: perm };
  }

  /** The IOTLB caches only the CPU-like sizes 4K/2M/1G (AMD IOMMU spec 2.2.3.2). */
  protected override cacheSizeLg2(leafLg2: number): number {
    return leafLg2 >= 30 ? 30 : leafLg2 >= 21 ? 21 : 12;
  }

  protected encodeFault(kind: FaultKind, sid: number, pasid: number, iova: number, write: boolean, ctx: HwContext | null): HwFaultRecord {
    let code: number = EVENT.IO_PAGE_FAULT;
    let flags = write ? EVENT_FLAG.RW : 0;
    if (kind === FAULT_KIND.PERMISSION) flags |= EVENT_FLAG.PR | EVENT_FLAG.PE;
    else if (kind === FAULT_KIND.CONTEXT) code = EVENT.ILLEGAL_DEV_TABLE_ENTRY;
    else if (kind !== FAULT_KIND.TRANSLATION) code = 0x8; // INVALID_DEVICE_REQUEST
    const domid = ctx?.tag ?? 0;
    let q0 = BigInt(sid & 0xffff);
    q0 = fset(q0, 19, 16, domid >> 16);
    q0 = fset(q0, 47, 32, domid & 0xffff);
    q0 = fset(q0, 59, 48, flags);
    q0 = fset(q0, 63, 60, code);
    const name = code === EVENT.IO_PAGE_FAULT ? 'IO_PAGE_FAULT' : code === EVENT.ILLEGAL_DEV_TABLE_ENTRY ? 'ILLEGAL_DEV_TABLE_ENTRY' : 'INVALID_DEVICE_REQUEST';
    return { ts: this.clock.now, kind, code, name, sid, pasid, iova, write, flags, recoverable: false, raw: [hex64(q0), hex64(BigInt(Math.floor(iova)))] };
  }
}
