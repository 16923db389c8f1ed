/**
 * The VMM side of a live migration (what QEMU does with a passthrough device and iommufd),
 * on one vendor's platform: it opens /dev/iommu (openIommufd, the engine's composition
 * root), maps guest RAM into an IOAS (IOMMU_IOAS_MAP), opens each device's VFIO cdev and
 * binds and attaches it (VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT) to one
 * HWPT allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING, enables tracking
 * (IOMMU_HWPT_SET_DIRTY_TRACKING) and reads dirty bitmaps (IOMMU_HWPT_GET_DIRTY_BITMAP).
 * Devices DMA through the platform's hardware model. It also keeps ground truth (every page a
 * device wrote) to report pages the IOMMU failed to report. Devices address guest RAM by
 * offset; IOVA = GPA, with RAM placed in GPA space by `ramSections` (one section at 0 by
 * default, QEMU's below/above-4 GiB split on x86 q35).
 *
 * What-ifs that the uAPI cannot express go through the named hooks of
 * core/iommufd/test-hooks.ts: the flush-elision read (flushAfterClear = false), the RFC's
 * unmap-with-dirty and the review thread's write-protect-and-clear switch-overs, huge-leaf
 * demotion (cut_mapping) and the classification of lost pages.
 *
 * `mappedAfterEnable` bytes at the top of guest RAM are mapped only after dirty tracking is
 * enabled (a design that tracks per mapping at enable time misses them: SMMUv3 RFC v1 errata
 * E20, docs/vendors.md). The counters and simulated time of IOMMU_HWPT_SET_DIRTY_TRACKING are
 * kept as {@link Vmm.enableCost}.
 */
import { SimClock } from '../base/clock';
import type { KernelVersion } from '../iommu/kernel';
import type { Caps, VendorName } from '../iommu/registry';
import type { Device } from '../iommu/types';
import { iommufdIoctl, type IommufdCtx } from '../iommufd';
import type { MmBacking } from '../iommufd/mm';
import { openIommufd, type Platform } from '../iommufd/platform';
import { vendorEntry } from '../iommu/registry';
import { setupViommu } from './vmm-viommu';
import { VmmIopf } from './vmm-iopf';
import { ERRNO } from '../base/errno';
import { testHwptCutMapping, testHwptLeafUntracked, testHwptPageTable, testHwptReadDirtyNoFlush, testHwptReadDirtySkipDevtlb, testHwptUnmapReadDirty, testHwptWriteProtectAndClear } from '../iommufd/test-hooks';
import { VfioDeviceFile, vfioDeviceIoctl } from '../iommufd/vfio-cdev';
import type { IovaBitmapSink, LeafRef, PtIommu } from '../pt/types';
import type { Recorder } from '../trace/types';
import { IOCTL, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_DIRTY_TRACKING_ENABLE, IOMMU_HWPT_FAULT_ID_VALID, IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE } from '../uapi/iommufd';
import { VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_BIND_IOMMUFD } from '../uapi/vfio';
import { DeviceLatency, deviceScale, walkerFactor } from './device';
import { BITMAP_PAGE, type DirtyRead, type MigrationTarget, type SwitchoverMethod } from './migration';

/** Cost of IOMMU_HWPT_SET_DIRTY_TRACKING (enable) on one vendor. */
export interface EnableCost {
  /** Simulated ns the ioctl took. */
  ns: number;
  /** Counter deltas (vendor-neutral names and 'cmd:<COMMAND>'), non-zero only. */
  counters: Record<string, number>;
}

/** What the VMM is asked to set up (core/scenario/simulate.ts builds it from a scenario). */
export interface VmmConfig {
  /** Guest RAM, bytes (IOVA = GPA; RAM offsets [0, guestBytes) placed by `ramSections`). */
  guestBytes: number;
  /**
   * Where guest RAM sits in guest-physical (= IOVA) space: sections of RAM offsets at GPAs
   * (e.g. QEMU q35 puts the first 2 GiB below 4 GiB and the rest at 4 GiB). Default one
   * section at GPA 0.
   */
  ramSections?: readonly RamSection[];
  /** Host backing of guest RAM (core/iommufd/mm.ts MmBacking); default 'contiguous' with hugePages, else '4k'. */
  backing?: MmBacking;
  /** 'thp' backing: fraction of 2 MiB extents left as 4 KiB frames. */
  thpFragmentation?: number;
  /** Back guest RAM with huge pages (hugetlbfs), so the IOMMU may use large leaves. */
  hugePages: boolean;
  /** Cut every dirty leaf larger than 4 KiB to 4 KiB leaves when first found dirty (huge-demote what-if). */
  demoteDirtyHuge: boolean;
  /** Bytes at the top of guest RAM mapped only after enabling dirty tracking. */
  mappedAfterEnable: number;
  /**
   * Bytes of guest RAM just below the `mappedAfterEnable` part left unmapped and mapped on
   * device page faults through an iommufd fault queue (core/workload/vmm-iopf.ts); 0 = none.
   * A multiple of FAULT_MAP_BYTES.
   */
  mappedOnFault?: number;
  /** false = the flush-elision what-if (dirty reads skip the IOTLB flush). */
  flushAfterClear: boolean;
  /** false = the device-TLB what-if (dirty reads flush the IOTLB but not ATS devices' ATCs). Default true. */
  devtlbFlushAfterClear?: boolean;
  /**
   * Passthrough devices, in order (device i gets requester ID 0x100 + 0x100 * i);
   * `outstanding`: DMA requests it keeps in flight (device throughput, core/workload/device.ts).
   */
  devices: readonly { name: string; ats: boolean; pri?: boolean; outstanding?: number; atcEntries?: number }[];
  /** Vendor capability switches (scenario `hardware` what-ifs). */
  caps?: Caps;
  /** Cost-model overrides by action name, simulated ns. */
  costOverrides?: Record<string, number>;
  /** IOTLB capacity in entries (vendor default when absent). */
  iotlbEntries?: number;
  /** Walk-cache entries per level and concurrent walks (vendor defaults when absent). */
  walkCacheEntries?: number;
  walkers?: number;
  /** Kernel whose driver code is modelled (core/iommu/kernel.ts); the default kernel when absent. */
  kernel?: KernelVersion;
  /** The guest has a vIOMMU and DMAs through its own stage-1 tables nested over the parent (vmm-viommu.ts). */
  viommu?: boolean;
}

/** A run of guest RAM in guest-physical space: RAM offsets [ram, ram + len) at GPA [gpa, gpa + len), bytes. */
export interface RamSection {
  gpa: number;
  ram: number;
  len: number;
}

/** DMA requests a device keeps in flight unless the scenario says otherwise (a 64-entry queue). */
export const DEFAULT_OUTSTANDING = 64;
/** Page requests one device access may wait for (a DMA spanning several unmapped 2 MiB blocks), at most. */
const MAX_IOPF_RETRIES = 64;
/** First requester ID given to devices (bus 1, devfn 0), one bus per device. */
const FIRST_SID = 0x100;
/** The iommufd's file descriptor in the simulated VMM process. */
const IOMMUFD_FD = 3;

function popcount8(b: number): number {
  b = b - ((b >> 1) & 0x55);
  b = (b & 0x33) + ((b >> 2) & 0x33);
  return (b + (b >> 4)) & 0x0f;
}

/** Bitmap sink for the what-if hooks (BITMAP_PAGE granularity, bit p of byte p >> 3). */
class ByteBitmap implements IovaBitmapSink {
  constructor(readonly bits: Uint8Array) {}
  set(iova: number, length: number): void {
    const first = Math.floor(iova / BITMAP_PAGE);
    const last = Math.floor((iova + length - 1) / BITMAP_PAGE);
    for (let p = first; p <= last && p >> 3 < this.bits.length; p++) this.bits[p >> 3] |= 1 << (p & 7);
  }
}

/** One VMM with its passthrough devices on one vendor's platform; the migration driver's target. */
export class Vmm implements MigrationTarget {
  readonly clock = new SimClock();
  readonly platform: Platform;
  readonly ctx: IommufdCtx;
  readonly devices: Device[] = [];
  readonly hwptId: number;
  private readonly guestBytes: number;
  /** Guest RAM sections in GPA (= IOVA) space, in GPA order. */
  readonly sections: readonly RamSection[];
  /** End of the highest section, bytes: the dirty bitmap covers [0, gpaEnd). */
  private readonly gpaEnd: number;
  private readonly bitmapBytes: number;
  private readonly bitmapVa: number;
  /** Ground truth: pages written by any device since the last read. */
  private readonly written: Uint8Array;
  private readonly demote: boolean;
  private readonly flushAfterClear: boolean;
  private readonly devtlbFlushAfterClear: boolean;
  private readonly leaf: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
  /**
   * Missed pages (written, not reported) whose leaf is writable but carries no per-leaf
   * tracking (testHwptLeafUntracked). Exposed as counter `missed_untracked_leaf` once non-zero.
   */
  private missedUntracked = 0;
  /** What enabling dirty tracking cost (counters and time of the SET_DIRTY_TRACKING ioctl). */
  readonly enableCost: EnableCost;
  /**
   * false when the IOMMU cannot dirty-track this VM (a vIOMMU on a vendor whose nesting
   * parent refuses DIRTY_TRACKING): every read then reports all guest RAM dirty, as QEMU's
   * vfio_get_dirty_bitmap does without dirty-page tracking (cpu_physical_memory_set_dirty_range).
   */
  readonly iommuDirty: boolean = true;
  /** With a vIOMMU: the nested HWPT the devices use (0 without). */
  readonly nestedHwptId: number = 0;
  /** Pages written by devices on nested domains and not reported (counter `missed_nested`). */
  private missedNested = 0;
  /** Dirty reads answered with all of guest RAM for want of IOMMU dirty tracking (counter `dirty_untracked_reads`). */
  private untrackedReads = 0;
  /** Per device: DMA latencies of the current throughput window. */
  private readonly latency: DeviceLatency[] = [];
  /** Sum of every DMA's latency (round trip + translation), ns: counter dma_latency_ns. */
  private dmaLatencyNs = 0;
  /** Walker statistics at the previous deviceScale window, and the scales used in it. */
  private walkMark = { misses: 0, missNs: 0, at: 0 };
  private readonly lastScale: number[] = [];
  /** Simulated ns of the set-up before enabling: mapping guest RAM, binding and attaching devices. */
  readonly setupNs: number;
  /** The fault-queue handler when part of guest RAM is mapped on fault (null otherwise). */
  readonly iopf: VmmIopf | null = null;

  /** @throws Error naming the failing ioctl and errno when set-up fails; RangeError on a bad vendor option. */
  constructor(vendor: VendorName, cfg: VmmConfig, recorder: Recorder) {
    this.guestBytes = cfg.guestBytes;
    this.demote = cfg.demoteDirtyHuge;
    this.flushAfterClear = cfg.flushAfterClear;
    this.devtlbFlushAfterClear = cfg.devtlbFlushAfterClear ?? true;
    this.sections = cfg.ramSections ?? [{ gpa: 0, ram: 0, len: cfg.guestBytes }];
    this.gpaEnd = Math.max(...this.sections.map((x) => x.gpa + x.len));
    if (cfg.viommu && (this.sections.length !== 1 || this.sections[0]!.gpa !== 0)) throw new RangeError('a vIOMMU guest is modelled with the flat RAM layout only');
    const { ctx, platform } = openIommufd(vendor, {
      clock: this.clock,
      recorder,
      ...(cfg.caps ? { caps: cfg.caps } : {}),
      ...(cfg.costOverrides ? { costOverrides: cfg.costOverrides } : {}),
      ...(cfg.iotlbEntries !== undefined ? { iotlbEntries: cfg.iotlbEntries } : {}),
      ...(cfg.kernel !== undefined ? { kernel: cfg.kernel } : {}),
      ...(cfg.walkCacheEntries !== undefined ? { walkCacheEntries: cfg.walkCacheEntries } : {}),
      ...(cfg.walkers !== undefined ? { walkers: cfg.walkers } : {}),
    });
    this.ctx = ctx;
    this.platform = platform;
    const check = (r: ReturnType<typeof iommufdIoctl>, what: string): Record<string, number | string> => {
      if (!r.ok) throw new Error(`${vendor}: ${what} failed with ${r.errno}${r.message ? `: ${r.message}` : ''}`);
      return r.out;
    };
    const ioctl = (name: keyof typeof IOCTL, arg: Record<string, unknown>): Record<string, number | string> => check(iommufdIoctl(ctx, IOCTL[name], arg), name);
    // Guest RAM as the VMM's mapping (hugetlbfs-backed for the huge page policies).
    const userVa = ctx.mm.mmap(this.guestBytes, { backing: cfg.backing ?? (cfg.hugePages ? 'contiguous' : '4k'), thpFragmentation: cfg.thpFragmentation ?? 0 });
    const ioasId = Number(ioctl('IOMMU_IOAS_ALLOC', {}).out_ioas_id);
    const late = cfg.mappedAfterEnable;
    // One IOMMU_IOAS_MAP per RAM section (QEMU maps each RAM memory section), clipped to
    // the RAM offsets [from, to).
    const mapGuest = (from: number, to: number): void => {
      for (const sec of this.sections) {
        const a = Math.max(from, sec.ram);
        const b = Math.min(to, sec.ram + sec.len);
        if (b <= a) continue;
        ioctl('IOMMU_IOAS_MAP', {
          ioas_id: ioasId,
          flags: IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
          user_va: userVa + a,
          length: b - a,
          iova: sec.gpa + (a - sec.ram),
        });
      }
    };
    const onFault = cfg.mappedOnFault ?? 0;
    if (onFault > 0 && cfg.viommu) throw new RangeError('mappedOnFault is modelled without a vIOMMU only');
    mapGuest(0, this.guestBytes - late - onFault);
    // IOMMU_FAULT_QUEUE_ALLOC for a HWPT whose faults the VMM resolves (vmm-iopf.ts).
    const faultId = onFault > 0 ? Number(ioctl('IOMMU_FAULT_QUEUE_ALLOC', {}).out_fault_id) : 0;
    let hwptId = 0;
    const iommufdOf = (fd: number): IommufdCtx | undefined => (fd === IOMMUFD_FD ? ctx : undefined);
    const nest = cfg.viommu ? vendorEntry(vendor).nesting : undefined;
    if (cfg.viommu && !nest) throw new Error(`${vendor}: the model has no nested translation (viommu)`);
    const files: VfioDeviceFile[] = [];
    const devIds: number[] = [];
    for (const d of cfg.devices) {
      if (!nest) break;
      const dev = platform.addDevice({ sid: FIRST_SID + this.devices.length * 0x100, name: d.name, ats: d.ats, ...(d.atcEntries !== undefined ? { atcEntries: d.atcEntries } : {}) });
      const df = new VfioDeviceFile(dev);
      devIds.push(Number(check(vfioDeviceIoctl(df, VFIO_DEVICE_BIND_IOMMUFD, { iommufd: IOMMUFD_FD }, iommufdOf), `VFIO_DEVICE_BIND_IOMMUFD(${d.name})`).out_devid));
      files.push(df);
      this.devices.push(dev);
      this.latency.push(new DeviceLatency(d.outstanding ?? DEFAULT_OUTSTANDING));
      this.lastScale.push(1);
    }
    if (nest) {
      const v = setupViommu(vendor, nest, ctx, platform, ioasId, files, devIds, this.guestBytes - late, iommufdOf);
      hwptId = v.parentId;
      this.iommuDirty = v.dirtyTracking;
      this.nestedHwptId = v.nestedId;
    }
    for (const d of cfg.devices) {
      if (nest) break;
      const dev = platform.addDevice({ sid: FIRST_SID + this.devices.length * 0x100, name: d.name, ats: d.ats, pri: d.pri ?? false, ...(d.atcEntries !== undefined ? { atcEntries: d.atcEntries } : {}) });
      const df = new VfioDeviceFile(dev);
      const devId = Number(check(vfioDeviceIoctl(df, VFIO_DEVICE_BIND_IOMMUFD, { iommufd: IOMMUFD_FD }, iommufdOf), `VFIO_DEVICE_BIND_IOMMUFD(${d.name})`).out_devid);
      if (hwptId === 0) {
        const flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING | (faultId ? IOMMU_HWPT_FAULT_ID_VALID : 0);
        hwptId = Number(ioctl('IOMMU_HWPT_ALLOC', { dev_id: devId, pt_id: ioasId, flags, fault_id: faultId }).out_hwpt_id);
      }
      check(vfioDeviceIoctl(df, VFIO_DEVICE_ATTACH_IOMMUFD_PT, { pt_id: hwptId }, iommufdOf), `VFIO_DEVICE_ATTACH_IOMMUFD_PT(${d.name})`);
      this.devices.push(dev);
      this.latency.push(new DeviceLatency(d.outstanding ?? DEFAULT_OUTSTANDING));
      this.lastScale.push(1);
    }
    this.hwptId = hwptId;
    const c0 = platform.stats();
    const t0 = this.clock.now;
    this.setupNs = t0;
    if (this.iommuDirty) ioctl('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwptId, flags: IOMMU_HWPT_DIRTY_TRACKING_ENABLE });
    const c1 = platform.stats();
    const delta: Record<string, number> = {};
    for (const k in c1) if (c1[k] !== (c0[k] ?? 0)) delta[k] = c1[k] - (c0[k] ?? 0);
    this.enableCost = { ns: this.clock.now - t0, counters: delta };
    // Memory mapped after tracking was enabled (hot-plug): tracked only by designs whose
    // enable covers future maps (domain-wide enable bits, or DBM installed at map time).
    if (late > 0) mapGuest(this.guestBytes - late, this.guestBytes);
    if (faultId) this.iopf = new VmmIopf(ctx, faultId, this.guestBytes - late - onFault, this.guestBytes - late, (iova) => this.ramOf(iova), mapGuest);
    const pages = Math.ceil(this.gpaEnd / BITMAP_PAGE);
    this.bitmapBytes = Math.ceil(pages / 64) * 8;
    this.bitmapVa = ctx.mm.mmap(this.bitmapBytes);
    this.written = new Uint8Array(this.bitmapBytes);
  }

  /** DMA of device `dev` to guest RAM offset `ram` (translated to its GPA = IOVA; split at section ends). */
  dma(dev: number, ram: number, length: number, write: boolean): void {
    const secs = this.sections;
    if (secs.length === 1 && secs[0]!.gpa === 0) {
      this.dmaGpa(dev, ram, length, write);
      return;
    }
    let off = ram;
    const end = ram + length;
    for (const sec of secs) {
      if (off >= end) break;
      if (off < sec.ram || off >= sec.ram + sec.len) continue;
      const n = Math.min(end, sec.ram + sec.len) - off;
      this.dmaGpa(dev, sec.gpa + (off - sec.ram), n, write);
      off += n;
    }
  }

  private dmaGpa(dev: number, iova: number, length: number, write: boolean): void {
    let rc = this.platform.dma(this.devices[dev], 0, iova, length, write);
    let waitNs = 0;
    // A page request the VMM answers: the device waits for the response, then retries
    // (PCIe PRI: the ATS translation is requested again after a successful response).
    for (let i = 0; rc === -ERRNO.EFAULT && this.iopf && i < MAX_IOPF_RETRIES; i++) {
      const t0 = this.clock.now;
      if (this.iopf.service() === 0) break;
      waitNs += this.clock.now - t0;
      rc = this.platform.dma(this.devices[dev], 0, iova, length, write);
    }
    const lat = this.platform.lastDmaNs() + waitNs;
    this.latency[dev].record(lat);
    this.dmaLatencyNs += lat;
    // A faulted access writes nothing (ground truth: pages the device really wrote).
    if (write && rc === 0) {
      const w = this.written;
      const last = Math.floor((iova + length - 1) / BITMAP_PAGE);
      for (let p = Math.floor(iova / BITMAP_PAGE); p <= last; p++) w[p >> 3] |= 1 << (p & 7);
    }
  }

  /** RAM offset of guest-physical address `gpa`, or -1 outside guest RAM. */
  private ramOf(gpa: number): number {
    for (const sec of this.sections) if (gpa >= sec.gpa && gpa < sec.gpa + sec.len) return sec.ram + (gpa - sec.gpa);
    return -1;
  }

  /**
   * IOMMU_HWPT_GET_DIRTY_BITMAP over the whole guest, then compare with ground truth. With
   * the flush-elision what-if (flushAfterClear = false) the uAPI cannot be used (it always
   * flushes): the named hook testHwptReadDirtyNoFlush reads without the flush.
   */
  readDirty(): DirtyRead {
    if (!this.iommuDirty) {
      this.untrackedReads++;
      return this.account(this.allDirty());
    }
    if (!this.flushAfterClear) return this.readDirtyNoFlush();
    if (!this.devtlbFlushAfterClear) return this.readDirtySkipDevtlb();
    // One GET_DIRTY_BITMAP per RAM section (QEMU syncs each section), into its part of the bitmap.
    for (const sec of this.sections) {
      const r = iommufdIoctl(this.ctx, IOCTL.IOMMU_HWPT_GET_DIRTY_BITMAP, {
        hwpt_id: this.hwptId,
        flags: 0,
        iova: sec.gpa,
        length: sec.len,
        page_size: BITMAP_PAGE,
        data: this.bitmapVa + sec.gpa / BITMAP_PAGE / 8,
      });
      if (!r.ok) throw new Error(`IOMMU_HWPT_GET_DIRTY_BITMAP failed with ${r.errno}`);
    }
    const bits = this.ctx.mm.read(this.bitmapVa, this.bitmapBytes);
    if (typeof bits === 'number') throw new Error(`bitmap copy_from_user failed: ${bits}`);
    this.ctx.mm.write(this.bitmapVa, new Uint8Array(this.bitmapBytes));
    const res = this.account(bits);
    if (this.demote) this.demoteDirtyLeaves(bits);
    return res;
  }

  /** Every page of guest RAM (QEMU's answer for a device whose dirty pages nobody tracks). */
  private allDirty(): Uint8Array {
    const bits = new Uint8Array(this.bitmapBytes);
    const pages = Math.ceil(this.guestBytes / BITMAP_PAGE);
    bits.fill(0xff, 0, pages >> 3);
    for (let p = pages & ~7; p < pages; p++) bits[p >> 3] |= 1 << (p & 7);
    return bits;
  }

  private readDirtySkipDevtlb(): DirtyRead {
    const bits = new Uint8Array(this.bitmapBytes);
    for (const sec of this.sections) {
      const rc = testHwptReadDirtySkipDevtlb(this.ctx, this.hwptId, sec.gpa, sec.len, new ByteBitmap(bits));
      if (rc) throw new Error(`read_and_clear_dirty failed: ${rc}`);
    }
    const res = this.account(bits);
    if (this.demote) this.demoteDirtyLeaves(bits);
    return res;
  }

  private readDirtyNoFlush(): DirtyRead {
    const bits = new Uint8Array(this.bitmapBytes);
    for (const sec of this.sections) {
      const rc = testHwptReadDirtyNoFlush(this.ctx, this.hwptId, sec.gpa, sec.len, new ByteBitmap(bits));
      if (rc) throw new Error(`read_and_clear_dirty failed: ${rc}`);
    }
    const res = this.account(bits);
    if (this.demote) this.demoteDirtyLeaves(bits);
    return res;
  }

  /** Count reported pages and pages written but not reported; resets ground truth. */
  private account(bits: Uint8Array): DirtyRead {
    let dirty = 0;
    let missed = 0;
    const w = this.written;
    for (let i = 0; i < bits.length; i++) {
      if (bits[i]) dirty += popcount8(bits[i]);
      if (w[i]) {
        const lost = w[i] & ~bits[i];
        if (lost) {
          missed += popcount8(lost);
          for (let b = 0; b < 8; b++) if (lost & (1 << b) && testHwptLeafUntracked(this.ctx, this.hwptId, (i * 8 + b) * BITMAP_PAGE, this.leaf)) this.missedUntracked++;
        }
        w[i] = 0;
      }
    }
    if (this.nestedHwptId) this.missedNested += missed;
    return { dirty, missed };
  }

  /**
   * huge-demote policy: cut every dirty leaf larger than 4 KiB down to 4 KiB leaves
   * (cut_mapping at each 4 KiB boundary), so later reads report 4 KiB pages.
   */
  private demoteDirtyLeaves(bits: Uint8Array): void {
    const pt = this.pageTable();
    if (!pt) return;
    const pages = bits.length * 8;
    for (let p = 0; p < pages; p++) {
      if (!(bits[p >> 3] & (1 << (p & 7)))) {
        if (bits[p >> 3] === 0) p |= 7;
        continue;
      }
      const iova = p * BITMAP_PAGE;
      if (!pt.lookupLeaf(iova, this.leaf) || this.leaf.sizeLg2 <= 12) continue;
      const size = 2 ** this.leaf.sizeLg2;
      const start = iova - (iova % size);
      const end = start + size;
      for (let a = start + BITMAP_PAGE; a < end; a += BITMAP_PAGE) {
        const rc = testHwptCutMapping(this.ctx, this.hwptId, a);
        if (rc) return; // -EOPNOTSUPP on formats without cut: keep huge leaves.
      }
      p = end / BITMAP_PAGE - 1;
    }
  }

  switchover(method: SwitchoverMethod): DirtyRead {
    if (method === 'get-dirty-bitmap' || !this.iommuDirty) return this.readDirty();
    const bits = new Uint8Array(this.bitmapBytes);
    const sink = new ByteBitmap(bits);
    for (const sec of this.sections) {
      if (method === 'unmap-read-dirty') testHwptUnmapReadDirty(this.ctx, this.hwptId, sec.gpa, sec.len, sink);
      else testHwptWriteProtectAndClear(this.ctx, this.hwptId, sec.gpa, sec.len, sink);
    }
    return this.account(bits);
  }

  costNs(): Record<string, number> {
    return this.platform.costNs();
  }
  /**
   * Device throughput for the next window (core/workload/device.ts): Little's law on the
   * window's average DMA latency and the IOMMU walkers' bound on the window's misses. The
   * walker window is shared by all devices: it is measured once per window, at device 0.
   */
  deviceScale(dev: number, demandPerSec: number, windowNs: number): number {
    const lat = this.latency[dev];
    let wf = Infinity;
    const w = this.platform.walkStats();
    if (w) {
      if (dev === 0) {
        const scale = Math.min(...this.lastScale);
        wf = walkerFactor(w.walkers, w.misses - this.walkMark.misses, w.missNs - this.walkMark.missNs, windowNs, scale);
        this.walkMark = { misses: w.misses, missNs: w.missNs, at: wf };
      } else wf = this.walkMark.at;
    }
    const s = deviceScale(demandPerSec, lat.capacityPerSec(), wf);
    lat.reset();
    this.lastScale[dev] = s;
    return s;
  }

  counters(): Record<string, number> {
    const c = { ...this.platform.stats() };
    c.dma_latency_ns = this.dmaLatencyNs;
    if (this.missedUntracked) c.missed_untracked_leaf = this.missedUntracked;
    if (this.missedNested) c.missed_nested = this.missedNested;
    if (this.untrackedReads) c.dirty_untracked_reads = this.untrackedReads;
    return c;
  }

  /** The IO page table of the VMM's HWPT (page-table inspector), or null when the domain has none. */
  pageTable(): PtIommu | null {
    const pt = testHwptPageTable(this.ctx, this.hwptId);
    return typeof pt === 'number' ? null : pt;
  }
}
