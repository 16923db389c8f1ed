/**
 * AMD-Vi driver (drivers/iommu/amd/iommu.c) over the AMD-Vi hardware model: device probe
 * with a blocking DTE, domain_alloc_paging_flags (v1 page table = core/pt 'amdv1'),
 * attach_dev (set_dte_entry + device_flush_dte + completion wait), iotlb_sync /
 * flush_iotlb_all (INVALIDATE_IOMMU_PAGES with PDE, INVALIDATE_IOTLB_PAGES for ATS devices,
 * COMPLETION_WAIT), set_dirty_tracking (HAD in each attached DTE, flush each DTE, then one
 * domain flush + completion wait, only if something changed), read_and_clear_dirty.
 *
 * Sources: drivers/iommu/amd/iommu.c (mainline: EOPNOTSUPP at domain allocation without
 * HDSup, EINVAL at attach, EINVAL on a read with tracking off; amd_iommu_set_dirty_tracking,
 * amd_iommu_read_and_clear_dirty), amd_iommu_types.h (DTE_FLAG_HAD); RFC patches 09-11
 * (docs/rfc-errata.md).
 */
import { ERRNO } from '../../base/errno';
import type { SimClock } from '../../base/clock';
import { fset } from '../../base/bitfield';
import { AmdIommuHw } from '../../hw/amd/model';
import type { AmdHwCaps } from '../../hw/amd/model';
import { AMD_COSTS } from '../../hw/amd/cost';
import { DTE, cmdCompletePpr, cmdCompletionWait, cmdInvDevtabEntry, cmdInvIommuPages, cmdInvIotlbPages } from '../../hw/amd/regs';
import { SimDevice } from '../device';
import type { DeviceSpec } from '../device';
import { PagingDomain } from '../paging-domain';
import type { VendorDomainHooks } from '../paging-domain';
import { TablePool, createPtIommu } from '../../pt';
import type { IommuDirtyBitmap } from '../../pt/types';
import type { IommuCap, Device, IommuDomain, IommuDevice, IommuHwInfo, IommuSystemOptions, ViommuCore, ViommuOps } from '../types';
import type { UserData } from '../user-data';
import { AmdNestedDomain, AmdViommu } from './nested';
import type { AmdNestHost } from './nested';
import { IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID } from '../../uapi/iommufd';

/** enum iommu_hw_info_type IOMMU_HW_INFO_TYPE_AMD. */
export const IOMMU_HW_INFO_TYPE_AMD = 4;
/** Physical base of the AMD model's configuration memory (below the page-table pool). */
const AMD_MEM_BASE = 0xe000_0000_0000;

export interface AmdSystemOptions extends IommuSystemOptions {
  pool?: TablePool;
}

export class AmdIommuDriver implements IommuDevice, VendorDomainHooks, AmdNestHost {
  readonly vendor = 'amd' as const;
  readonly clock: SimClock;
  readonly hw: AmdIommuHw;
  readonly pool: TablePool;
  readonly devices = new Map<number, SimDevice>();
  private nextDomid = 1;
  private readonly freeDomids: number[] = [];
  /** vIOMMUs over nesting parents of this IOMMU (core/iommu/amd/nested.ts). */
  readonly viommus = new Set<AmdViommu>();

  constructor(opts: AmdSystemOptions) {
    this.clock = opts.clock;
    this.pool = opts.pool ?? new TablePool();
    this.hw = new AmdIommuHw(
      { clock: opts.clock, recorder: opts.recorder, cost: AMD_COSTS, costOverrides: opts.costOverrides, iotlbEntries: opts.iotlbEntries ?? 64, memBase: AMD_MEM_BASE },
      (opts.caps ?? {}) as AmdHwCaps,
    );
  }

  /** Probe a device: DTE with V=1, TV=1, Mode=0, IR=IW=0 (blocked), flushed. */
  addDevice(spec: DeviceSpec): SimDevice {
    if (spec.sid > 0xffff) throw new RangeError('AMD DeviceID is 16 bits');
    if (this.devices.has(spec.sid)) throw new RangeError(`device ${spec.sid} already probed`);
    const dev = new SimDevice(this, spec);
    this.devices.set(dev.sid, dev);
    this.hw.setPri(dev.sid, dev.pri);
    this.writeBlockedDte(dev);
    return dev;
  }

  private writeBlockedDte(dev: SimDevice): void {
    this.hw.writeDteQword(dev.sid, 1, 0n);
    this.hw.writeDteQword(dev.sid, 0, (1n << BigInt(DTE.V)) | (1n << BigInt(DTE.TV)));
    this.hw.submit([cmdInvDevtabEntry(dev.sid), cmdCompletionWait(0, 1n)]);
  }

  /** amd_iommu_capable: coherent, can enforce coherency (IOMMU_PTE_FC), dirty with EFR.HDSup. */
  capable(_dev: Device, cap: IommuCap): boolean {
    if (cap === 'IOMMU_CAP_DIRTY_TRACKING') return this.hw.hdSupport;
    return cap === 'IOMMU_CAP_CACHE_COHERENCY' || cap === 'IOMMU_CAP_ENFORCE_CACHE_COHERENCY';
  }

  /** amd_iommu_enforce_cache_coherency: always true, "IOMMU_PTE_FC is always set" (amdv1 bit 60). */
  enforceCacheCoherency(_domain: PagingDomain): boolean {
    return true;
  }

  /** struct iommu_hw_info_amd { efr, efr2 } (u64 values also given as 32-bit halves). */
  hwInfo(_dev: Device): IommuHwInfo {
    const efr = this.hw.efr;
    return {
      outDataType: IOMMU_HW_INFO_TYPE_AMD,
      data: { efr: Number(efr), efr_lo: Number(efr & 0xffffffffn), efr_hi: Number(efr >> 32n), efr2: Number(this.hw.efr2) },
      capabilities: this.hw.hdSupport ? IOMMU_HW_CAP_DIRTY_TRACKING : 0,
    };
  }

  /**
   * amd_iommu_domain_alloc_paging_flags: supported flags DIRTY_TRACKING | NEST_PARENT | PASID;
   * DIRTY_TRACKING without HASup+HDSup → -EOPNOTSUPP; -ENOMEM when no table or DomainID.
   */
  domainAllocPagingFlags(_dev: Device, flags: number): IommuDomain | number {
    const supported = IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID;
    if (flags & ~supported) return -ERRNO.EOPNOTSUPP;
    const dirty = (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0;
    if (dirty && !this.hw.hdSupport) return -ERRNO.EOPNOTSUPP;
    // is_nest_parent_supported(): EFR GTSup + GIoSup, EFR2 GCR3TRPMode (v6.19 era).
    if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT && !this.hw.nestSupport) return -ERRNO.EOPNOTSUPP;
    const domid = this.freeDomids.pop() ?? this.nextDomid++;
    if (domid > 0xffff) return -ERRNO.ENOMEM;
    let pt;
    try {
      pt = createPtIommu('amdv1', { pool: this.pool });
    } catch {
      this.freeDomids.push(domid);
      return -ERRNO.ENOMEM;
    }
    this.hw.attachPageTable(pt);
    return new PagingDomain(this, this.hw, this.pool, pt, domid, this, dirty);
  }

  /** set_dte_entry + device_flush_dte + completion wait. -EINVAL: dirty domain on an IOMMU without HD. */
  attachDev(domain: PagingDomain, dev: Device): number {
    const sd = this.devices.get(dev.sid);
    if (!sd || sd !== dev) return -ERRNO.ENODEV;
    if (domain.dirtyOps && !this.hw.hdSupport) return -ERRNO.EINVAL;
    const ts = this.clock.now;
    this.detachFromCurrent(sd);
    let q1 = fset(0n, DTE.DOMID_HI, DTE.DOMID_LO, domain.tag);
    if (sd.ats) q1 |= 1n << BigInt(DTE.I);
    let q0 = BigInt(domain.pt.rootPhys) & 0x000f_ffff_ffff_f000n;
    q0 = fset(q0, DTE.MODE_HI, DTE.MODE_LO, domain.pt.topLevel + 1);
    for (const b of [DTE.V, DTE.TV, DTE.IR, DTE.IW]) q0 |= 1n << BigInt(b);
    if (domain.dirtyTracking) q0 = fset(q0, DTE.HAD_HI, DTE.HAD_LO, 3);
    this.hw.writeDteQword(sd.sid, 1, q1);
    this.hw.writeDteQword(sd.sid, 0, q0);
    this.hw.submit([...this.deviceFlushDte(sd), cmdCompletionWait(0, 1n)]);
    domain.devices.add(sd);
    sd.domain = domain;
    domain.trace('amd_iommu_attach_device', ts, { sid: sd.sid });
    return 0;
  }

  /** do_detach: drop the device from its domain and flush that domain's TLB (entries tagged with its DomainID). */
  private detachFromCurrent(dev: SimDevice): void {
    const old = dev.domain as PagingDomain | AmdNestedDomain | null;
    dev.domain = null;
    if (!old) return;
    old.devices.delete(dev);
    if (old instanceof AmdNestedDomain) this.hw.submit([cmdInvIommuPages(old.tag, 0, 2 ** 63, true), cmdCompletionWait(0, 1n)]);
    else this.flushAll(old);
  }

  allocDomid(): number {
    return this.freeDomids.pop() ?? this.nextDomid++;
  }

  freeDomid(id: number): void {
    this.freeDomids.push(id);
  }

  setCurrentDomain(dev: Device, domain: IommuDomain | null): boolean {
    const sd = this.devices.get(dev.sid);
    if (!sd || sd !== dev) return false;
    this.detachFromCurrent(sd);
    sd.domain = domain;
    return true;
  }

  /** amd_iommufd_get_viommu_size: the vIOMMU type is not checked (mainline as read); needs a nest-capable IOMMU. */
  getViommuSize(_dev: Device, _type: number): number {
    return this.hw.nestSupport ? 1 : 0;
  }

  /** amd_iommufd_viommu_init: the parent must be a v1 domain of this IOMMU. */
  viommuInit(_dev: Device, parent: IommuDomain, _data: UserData | null, core: ViommuCore): ViommuOps | number {
    if (!(parent instanceof PagingDomain) || parent.driver !== this) return -ERRNO.EINVAL;
    const v = new AmdViommu(this, parent, core);
    this.viommus.add(v);
    return v.ops();
  }

  /** device_flush_dte: INVALIDATE_DEVTAB_ENTRY, plus a whole device-IOTLB flush for ATS devices. */
  private deviceFlushDte(dev: SimDevice): bigint[][] {
    const cmds = [cmdInvDevtabEntry(dev.sid)];
    if (dev.ats) cmds.push(cmdInvIotlbPages(dev.sid, 32, 0, 2 ** 63));
    return cmds;
  }

  blockDevice(dev: Device): number {
    const sd = this.devices.get(dev.sid);
    if (!sd) return -ERRNO.ENODEV;
    this.detachFromCurrent(sd);
    this.writeBlockedDte(sd);
    return 0;
  }

  /** amd_iommu_domain_flush_pages: INVALIDATE_IOMMU_PAGES (PDE=1) + ATS device IOTLBs + COMPLETION_WAIT. */
  flushRange(domain: PagingDomain, start: number, size: number): void {
    const ts = this.clock.now;
    const cmds = [cmdInvIommuPages(domain.tag, start, size, true)];
    // A nesting parent's change is flushed under every hDomID of its vIOMMUs' nested domains.
    for (const v of this.viommus) if (v.parent === domain) cmds.push(...v.parentFlushCmds(start, size));
    for (const d of domain.devices) if (d.ats) cmds.push(cmdInvIotlbPages(d.sid, 32, start, size));
    cmds.push(cmdCompletionWait(0, 1n));
    this.hw.submit(cmds);
    domain.trace('amd_iommu_domain_flush_pages', ts, { start, size });
  }

  /** amd_iommu_domain_flush_all: the all-pages address with S=1. */
  flushAll(domain: PagingDomain): void {
    this.flushRange(domain, 0, 2 ** 63);
  }

  /**
   * amd_iommu_set_dirty_tracking: no-op if unchanged; per attached device set/clear HAD
   * (DTE qword 0 bits 8:7) and flush that DTE; if any DTE changed, one domain-wide
   * INVALIDATE_IOMMU_PAGES (PDE) and COMPLETION_WAIT so new translations set D.
   */
  setDirtyTracking(domain: PagingDomain, enable: boolean): number {
    if (!this.hw.hdSupport) return -ERRNO.EOPNOTSUPP;
    if (domain.dirtyTracking === enable) return 0;
    const ts = this.clock.now;
    const cmds: bigint[][] = [];
    for (const dev of domain.devices) {
      const q0 = this.hw.readDte(dev.sid)[0]!;
      const had = (q0 >> 7n) & 3n;
      if ((had !== 0n) === enable) continue;
      this.hw.writeDteQword(dev.sid, 0, fset(q0, DTE.HAD_HI, DTE.HAD_LO, enable ? 3 : 0));
      cmds.push(...this.deviceFlushDte(dev as SimDevice));
    }
    if (cmds.length > 0) {
      cmds.push(cmdInvIommuPages(domain.tag, 0, 2 ** 63, true), cmdCompletionWait(0, 1n));
      this.hw.submit(cmds);
    }
    domain.dirtyTracking = enable;
    domain.trace('amd_iommu_set_dirty_tracking', ts, { enable, devices: domain.devices.size });
    return 0;
  }

  /** NpCache: domain_flush_np_cache after every map (amd_iommu_iotlb_sync_map). */
  cachesNonPresent(): boolean {
    return this.hw.npCache;
  }

  /** Pre-6.19 wrapper: tracking off and a bitmap to fill → -EINVAL. */
  readDirtyCheck(domain: PagingDomain, dirty: IommuDirtyBitmap): number {
    if (!domain.dirtyTracking && dirty.bitmap !== null) return -ERRNO.EINVAL;
    return 0;
  }

  release(domain: PagingDomain): void {
    for (const d of [...domain.devices]) this.blockDevice(d);
    this.freeDomids.push(domain.tag);
  }

  /**
   * Page response for a PPR-log request (COMPLETE_PPR_REQUEST): code 0 = success, 1 = invalid
   * (IOMMUFD_PAGE_RESP_*). 0, -ENODEV, or -EINVAL when no such request is outstanding.
   */
  pageResponse(dev: Device, pasid: number, grpid: number, code: number): number {
    if (!this.devices.has(dev.sid)) return -ERRNO.ENODEV;
    this.hw.submit([cmdCompletePpr(dev.sid, pasid, grpid, code === 0 ? 0 : 1)]);
    return Number(this.hw.commands.toArray().at(-1)!.fields.rc);
  }

  dma(dev: Device, pasid: number, iova: number, length: number, write: boolean): number {
    return this.hw.dma(dev.sid, pasid, iova, length, write);
  }
}

/** HAD bits of a DTE qword 0 (for inspection and tests). */
export function dteHad(q0: bigint): number {
  return Number((q0 >> 7n) & 3n);
}
