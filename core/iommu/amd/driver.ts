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
import { AMD_COSTS, AMD_HW_PARAMS } from '../../hw/amd/cost';
import { DTE, cmdCompletePpr, cmdCompletionWait, cmdInvDevtabEntry, cmdInvIommuPages, cmdInvIotlbPages } from '../../hw/amd/regs';
import { SimDevice } from '../device';
import type { DeviceSpec } from '../device';
import { PagingDomain } from '../paging-domain';
import type { VendorDomainHooks } from '../paging-domain';
import { IOMMUPT_WALK, type DirtyWalkProfile } from '../dirty-walk';
import { DEFAULT_KERNEL, type KernelVersion } from '../kernel';
import { TablePool, createPtIommu } from '../../pt';
import type { IommuDirtyBitmap } from '../../pt/types';
import type { IommuCap, Device, IommuDomain, IommuDevice, IommuHwInfo, IommuSystemOptions, ViommuCore, ViommuOps, PageRequest } from '../types';
import type { UserData } from '../user-data';
import { AmdNestedDomain, AmdViommu } from './nested';
import type { AmdNestHost } from './nested';
import { IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID } from '../../uapi/iommufd';
import { reportPageRequests } from '../page-requests';

/** enum iommu_hw_info_type IOMMU_HW_INFO_TYPE_AMD. */
export const IOMMU_HW_INFO_TYPE_AMD = 4;
/** Levels of a new v1 table (amdv1 starting_level 2; io_pgtable PAGE_MODE_3_LEVEL). */
export const AMD_START_LEVELS = 3;
/** Physical base of the AMD model's configuration memory (below the page-table pool). */
const AMD_MEM_BASE = 0xe000_0000_0000;

export interface AmdSystemOptions extends IommuSystemOptions {
  pool?: TablePool;
}

/**
 * read_and_clear_dirty before iommupt (6.7-6.18, drivers/iommu/amd/io_pgtable.c
 * iommu_v1_read_and_clear_dirty): fetch_pte from the root for every leaf and hole, then
 * pte_test_and_clear_dirty = test_and_clear_bit on every replica of every present PTE.
 */
export const AMD_IO_PGTABLE_WALK: DirtyWalkProfile = { kind: 'per-leaf-rewalk', source: 'amd/io_pgtable.c iommu_v1_read_and_clear_dirty (fetch_pte, pte_test_and_clear_dirty)' };

/** The AMD v1 read_and_clear_dirty walker of `kernel`: iommupt from 6.19, io_pgtable.c before. */
export function amdDirtyWalk(kernel: KernelVersion): DirtyWalkProfile {
  return kernel === '6.19' ? IOMMUPT_WALK : AMD_IO_PGTABLE_WALK;
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
  /** Walker of read_and_clear_dirty for the modelled kernel: iommupt (6.19) or io_pgtable (6.7-6.18). */
  readonly dirtyWalk: DirtyWalkProfile;

  constructor(opts: AmdSystemOptions) {
    this.clock = opts.clock;
    this.dirtyWalk = amdDirtyWalk(opts.kernel ?? DEFAULT_KERNEL);
    this.pool = opts.pool ?? new TablePool();
    this.hw = new AmdIommuHw(
      { clock: opts.clock, recorder: opts.recorder, cost: AMD_COSTS, costOverrides: opts.costOverrides, iotlbEntries: opts.iotlbEntries ?? AMD_HW_PARAMS.iotlbEntries.value, walkCacheEntries: opts.walkCacheEntries ?? AMD_HW_PARAMS.walkCacheEntries.value, walkers: opts.walkers ?? AMD_HW_PARAMS.walkers.value, memBase: AMD_MEM_BASE },
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
    this.hw.setAts(dev.sid, dev.ats ? dev.atcEntries : 0);
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
    let domain: PagingDomain | null = null;
    try {
      // 3 levels at allocation, the top grown on demand up to EFR.HATS (PT_FEAT_DYNAMIC_TOP,
      // amdv1 cfg.starting_level = 2 "Matches what io_pgtable does"; pre-6.19
      // v1_alloc_pgtable PAGE_MODE_3_LEVEL + increase_address_space).
      pt = createPtIommu('amdv1', {
        pool: this.pool,
        levels: AMD_START_LEVELS,
        dynamicTop: { maxLevels: this.hw.hptLevels, onChangeTop: (t, oldRoot) => (domain ? this.changeTop(domain, oldRoot) : (this.hw.pageTableRootMoved(t, oldRoot), 0)) },
      });
    } catch {
      this.freeDomids.push(domid);
      return -ERRNO.ENOMEM;
    }
    this.hw.attachPageTable(pt);
    domain = new PagingDomain(this, this.hw, this.pool, pt, domid, this, dirty);
    return domain;
  }

  /**
   * amd_iommu_change_top (6.19; pre-6.19 increase_address_space →
   * amd_iommu_update_and_flush_device_table): the table grew a level, so every attached
   * device's DTE gets the new root and Mode (set_dte_entry), each DTE is flushed
   * (device_flush_dte: INVALIDATE_DEVTAB_ENTRY, plus the device IOTLB for ATS devices) and one
   * COMPLETION_WAIT closes the batch (domain_flush_complete). Returns 0.
   */
  private changeTop(domain: PagingDomain, oldRootPhys: number): number {
    const ts = this.clock.now;
    this.hw.pageTableRootMoved(domain.pt, oldRootPhys);
    const cmds: bigint[][] = [];
    for (const dev of domain.devices) {
      let q0 = this.hw.readDte(dev.sid)[0]!;
      q0 = fset(q0, DTE.PTR_HI, DTE.PTR_LO, domain.pt.rootPhys / 4096);
      q0 = fset(q0, DTE.MODE_HI, DTE.MODE_LO, domain.pt.topLevel + 1);
      this.hw.writeDteQword(dev.sid, 0, q0);
      cmds.push(...this.deviceFlushDte(dev as SimDevice));
    }
    if (cmds.length > 0) {
      cmds.push(cmdCompletionWait(0, 1n));
      this.hw.submit(cmds);
    }
    domain.trace('amd_iommu_change_top', ts, { levels: domain.pt.topLevel + 1, devices: domain.devices.size });
    return 0;
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

  /**
   * amd_iommu_domain_flush_pages: INVALIDATE_IOMMU_PAGES (PDE=1, the naturally aligned
   * power-of-two hull of the range, build_inv_address) + INVALIDATE_IOTLB_PAGES per ATS
   * device, then one COMPLETION_WAIT. Under NpCache (a vIOMMU) the range is first split into
   * naturally aligned power-of-two chunks, one command (pair) each, still one wait for the
   * loop (commit a270be1b3fdf "iommu/amd: Use only natural aligned flushes in a VM", with the
   * size fix 2212fc2acf3f): see {@link npCacheChunks}.
   */
  flushRange(domain: PagingDomain, start: number, size: number): void {
    const ts = this.clock.now;
    const chunks = this.hw.npCache ? npCacheChunks(start, size) : [[start, size] as [number, number]];
    const cmds: bigint[][] = [];
    for (const [a, n] of chunks) {
      cmds.push(cmdInvIommuPages(domain.tag, a, n, true));
      for (const d of domain.devices) if (d.ats && domain.devtlbFlush) cmds.push(cmdInvIotlbPages(d.sid, 32, a, n));
    }
    // A nesting parent's change is flushed under every hDomID of its vIOMMUs' nested domains.
    for (const v of this.viommus) if (v.parent === domain) cmds.push(...v.parentFlushCmds(start, size));
    cmds.push(cmdCompletionWait(0, 1n));
    this.hw.submit(cmds);
    domain.trace('amd_iommu_domain_flush_pages', ts, { start, size, commands: chunks.length });
  }

  /**
   * amd_iommu_domain_flush_all = amd_iommu_domain_flush_pages(domain, 0,
   * CMD_INV_IOMMU_ALL_PAGES_ADDRESS): the all-pages address with S=1 natively; under NpCache
   * the same split loop over [0, 2^63 - 4 KiB): 51 commands (2^62 … 2^12 bytes, the ten of
   * 2^53 bytes and more encoded as all-pages) and one wait.
   */
  flushAll(domain: PagingDomain): void {
    this.flushRange(domain, 0, this.hw.npCache ? CMD_INV_IOMMU_ALL_PAGES_ADDRESS : 2 ** 63);
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
      // amd_iommu_domain_flush_all (split under NpCache like every flush), one wait.
      const chunks = this.hw.npCache ? npCacheChunks(0, CMD_INV_IOMMU_ALL_PAGES_ADDRESS) : [[0, 2 ** 63] as [number, number]];
      for (const [a, n] of chunks) cmds.push(cmdInvIommuPages(domain.tag, a, n, true));
      cmds.push(cmdCompletionWait(0, 1n));
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
   * IOPF on an AMD-Vi paging domain: amd_iommu_dev_enable_feature(IOMMU_DEV_FEAT_IOPF) only
   * returns 0 (v6.9-v6.15, the op was removed in v6.16), and attach_device enables the
   * device's PRI and adds it to the iopf queue (pdev_enable_caps, amd_iommu_iopf_add_device)
   * only for an SVA-capable domain (pdom_is_sva_capable: v2 page table); the domain iommufd
   * allocates here is a v1 table (dirty tracking needs v1), so PRI stays off: the attach
   * succeeds and the device's translation faults are IO_PAGE_FAULT event-log entries, not
   * PPR-log requests (drivers/iommu/amd/iommu.c attach_device, drivers/iommu/amd/ppr.c).
   */
  enableIopf(dev: Device): number {
    if (!this.devices.has(dev.sid)) return -ERRNO.ENODEV;
    this.hw.setPri(dev.sid, false);
    return 0;
  }

  /** amd_iommu_poll_ppr_log -> iommu_call_iopf_notifier -> iommu_report_device_fault (core/iommu/page-requests.ts). */
  handlePageRequests(report: (dev: Device, req: PageRequest) => number): number {
    return reportPageRequests(this.hw, this.devices, report, (d, pasid, grpid, code) => this.pageResponse(d, pasid, grpid, code));
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

/** CMD_INV_IOMMU_ALL_PAGES_ADDRESS (amd_iommu_types.h), 0x7fff_ffff_ffff_f000, as a byte count. */
export const CMD_INV_IOMMU_ALL_PAGES_ADDRESS = 2 ** 63 - 2 ** 12;

/**
 * The NpCache split of amd_iommu_domain_flush_pages (drivers/iommu/amd/iommu.c):
 * while (size) { min_alignment = address ? min(__ffs(address), __fls(size)) : __fls(size);
 * flush 1 << min_alignment at address; advance }. Returns [address, bytes] per command.
 * Exact for sizes whose set bits span at most 53 bits (every flush the engine issues).
 */
export function npCacheChunks(address: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  let a = BigInt(address);
  let n = BigInt(size);
  while (n > 0n) {
    const sizeAlign = n.toString(2).length - 1; // __fls
    let align = sizeAlign;
    if (a !== 0n) {
      let ffs = 0;
      while (((a >> BigInt(ffs)) & 1n) === 0n) ffs++;
      align = Math.min(ffs, sizeAlign);
    }
    const chunk = 1n << BigInt(align);
    out.push([Number(a), Number(chunk)]);
    a += chunk;
    n -= chunk;
  }
  return out;
}

/** HAD bits of a DTE qword 0 (for inspection and tests). */
export function dteHad(q0: bigint): number {
  return Number((q0 >> 7n) & 3n);
}
