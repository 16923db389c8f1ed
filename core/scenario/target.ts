/**
 * One vendor's engine instance for a scenario, driven the way a VMM drives the kernel:
 * iommufd ioctls for the IOAS, HWPT and dirty tracking (IOMMU_IOAS_MAP,
 * IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_SET_DIRTY_TRACKING,
 * IOMMU_HWPT_GET_DIRTY_BITMAP), device bind/attach as VFIO's cdev does
 * (iommufd_device_bind / iommufd_device_attach), and device DMA through the vendor
 * hardware model. It also keeps ground truth (every page a device wrote) to report pages
 * the IOMMU failed to report. Guest memory is identity-mapped: IOVA = GPA, [0, guestBytes).
 *
 * Scenario what-ifs handled here: `hardware` switches become the vendor system's caps
 * ({@link HARDWARE_CAPS}; SMMUv3 dirty design, docs/vendors.md), and
 * `guest.mappedAfterEnable` bytes at the top of guest RAM are mapped only after dirty tracking
 * is enabled (a design that tracks per mapping at enable time misses them: errata E20,
 * spec/dirty-tracking.md §4.2 "Range-op design flaw", §7). The counters and simulated time of
 * IOMMU_HWPT_SET_DIRTY_TRACKING are kept as {@link VendorTarget.enableCost}.
 */
import { SimClock } from '../hw/clock';
import { createIommuSystem, type IommuSystem } from '../iommu/registry';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, type IommuDevice, type IommuDomain, type VendorName } from '../iommu/types';
import { createIommufd, iommufdIoctl, IOCTL, type IommufdCtx } from '../iommufd';
import { deviceAttach, deviceBind } from '../iommufd/device';
import { IOMMU_HWPT_DIRTY_TRACKING_ENABLE, IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE } from '../iommufd/uapi';
import type { HwptPaging } from '../iommufd/objects';
import { newIotlbGather } from '../iommufd/iommu_core';
import { GenericPt, PT_ATTR } from '../pt';
import type { IovaBitmapSink, LeafRef } from '../pt/types';
import type { Recorder } from '../trace/types';
import { BITMAP_PAGE, type DirtyRead, type MigrationTarget, type SwitchoverMethod } from '../workload/migration';
import type { Scenario } from './schema';
import { SMMUV3_DIRTY_DESIGNS } from './schema';

/**
 * Scenario `hardware` switches as caps of each vendor's system (createIommuSystem `caps`).
 * SMMUv3: caps.dirtyDesign is the index of the design (SMMU_DIRTY_DESIGNS in
 * core/iommu/smmuv3/driver.ts, same order as SMMUV3_DIRTY_DESIGNS). VT-d: caps.rfcFaithful
 * (hardware.intelRfcFaithful; errata E2 of the RFC unmap-with-dirty, core/iommu/intel/driver.ts).
 */
export const HARDWARE_CAPS: Partial<Record<VendorName, (h: Scenario['hardware']) => Record<string, number | boolean>>> = {
  smmuv3: (h) => ({ dirtyDesign: SMMUV3_DIRTY_DESIGNS.indexOf(h.smmuv3DirtyDesign) }),
  intel: (h) => ({ rfcFaithful: h.intelRfcFaithful }),
};

/** Cost of IOMMU_HWPT_SET_DIRTY_TRACKING (enable) on one vendor. */
export interface EnableCost {
  /** Simulated ns the ioctl took. */
  ns: number;
  /** Counter deltas (vendor-neutral names and 'cmd:<COMMAND>'), non-zero only. */
  counters: Record<string, number>;
}

/** First requester ID given to scenario devices (bus 1, devfn 0), one bus per device. */
const FIRST_SID = 0x100;

function popcount8(b: number): number {
  b = b - ((b >> 1) & 0x55);
  b = (b & 0x33) + ((b >> 2) & 0x33);
  return (b + (b >> 4)) & 0x0f;
}

/** Bitmap sink for the RFC/review operations that bypass iommufd (switch-over only). */
class ByteBitmap implements IovaBitmapSink {
  constructor(readonly bits: Uint8Array) {}
  set(iova: number, length: number): void {
    const first = Math.floor(iova / BITMAP_PAGE);
    const last = Math.floor((iova + length - 1) / BITMAP_PAGE);
    for (let p = first; p <= last && p >> 3 < this.bits.length; p++) this.bits[p >> 3] |= 1 << (p & 7);
  }
}

export class VendorTarget implements MigrationTarget {
  readonly clock = new SimClock();
  readonly system: IommuSystem;
  readonly ctx: IommufdCtx;
  readonly devices: IommuDevice[] = [];
  readonly hwptId: number;
  readonly domain: IommuDomain;
  private readonly guestBytes: number;
  private readonly bitmapBytes: number;
  private readonly bitmapVa: number;
  /** Ground truth: pages written by any device since the last read. */
  private readonly written: Uint8Array;
  private readonly demote: boolean;
  private readonly flushAfterClear: boolean;
  private readonly leaf: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
  /**
   * Missed pages (written, not reported) whose leaf is writable but carries no per-leaf
   * tracking: formats with a dirty modifier (Arm DBM) and the leaf without it, e.g. mapped
   * after enabling under the SMMUv3 RFC v1 design (E20). Exposed as counter
   * `missed_untracked_leaf` once non-zero.
   */
  private missedUntracked = 0;
  /** What enabling dirty tracking cost (counters and time of the SET_DIRTY_TRACKING ioctl). */
  readonly enableCost: EnableCost;

  /** @throws Error naming the failing ioctl and errno when set-up fails. */
  constructor(vendor: VendorName, s: Scenario, recorder: Recorder) {
    this.guestBytes = s.guest.memory;
    this.demote = s.guest.pagePolicy === 'huge-demote';
    this.flushAfterClear = s.migration.flushAfterClear;
    const caps = HARDWARE_CAPS[vendor]?.(s.hardware);
    this.system = createIommuSystem(vendor, { clock: this.clock, recorder, costOverrides: s.costOverrides, iotlbEntries: s.iotlbEntries, ...(caps ? { caps } : {}) });
    const system = this.system;
    this.ctx = createIommufd({
      clock: this.clock,
      recorder,
      platform: { driver: system.driver, createDevice: (_flags, groupId) => system.addDevice({ sid: FIRST_SID + this.devices.length * 0x100, groupId }) },
    });
    const ioctl = (name: keyof typeof IOCTL, arg: Record<string, unknown>): Record<string, number | string> => {
      const r = iommufdIoctl(this.ctx, IOCTL[name], arg);
      if (!r.ok) throw new Error(`${vendor}: ${name} failed with ${r.errno}${r.message ? `: ${r.message}` : ''}`);
      return r.out;
    };
    // Guest RAM as the VMM's mapping (hugetlbfs-backed for the huge page policies).
    const userVa = this.ctx.mm.mmap(this.guestBytes, { hugepages: s.guest.pagePolicy !== '4k' });
    const ioasId = Number(ioctl('IOMMU_IOAS_ALLOC', {}).out_ioas_id);
    const late = s.guest.mappedAfterEnable;
    const mapGuest = (iova: number, length: number): void => {
      ioctl('IOMMU_IOAS_MAP', {
        ioas_id: ioasId,
        flags: IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
        user_va: userVa + iova,
        length,
        iova,
      });
    };
    mapGuest(0, this.guestBytes - late);
    let hwptId = 0;
    for (const d of s.devices) {
      const dev = system.addDevice({ sid: FIRST_SID + this.devices.length * 0x100, name: d.name, ats: d.ats });
      const idev = deviceBind(this.ctx, dev);
      if (typeof idev === 'number') throw new Error(`${vendor}: iommufd_device_bind(${d.name}) failed: ${idev}`);
      if (hwptId === 0) hwptId = Number(ioctl('IOMMU_HWPT_ALLOC', { dev_id: idev.id, pt_id: ioasId, flags: IOMMU_HWPT_ALLOC_DIRTY_TRACKING }).out_hwpt_id);
      const r = deviceAttach(this.ctx, idev, hwptId);
      if (r.rc) throw new Error(`${vendor}: iommufd_device_attach(${d.name}) failed: ${r.rc}`);
      this.devices.push(dev);
    }
    this.hwptId = hwptId;
    const hwpt = this.ctx.getObj<HwptPaging>(hwptId);
    if (typeof hwpt === 'number') throw new Error(`${vendor}: HWPT ${hwptId} vanished`);
    this.domain = hwpt.domain;
    const c0 = system.stats();
    const t0 = this.clock.now;
    ioctl('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwptId, flags: IOMMU_HWPT_DIRTY_TRACKING_ENABLE });
    const c1 = system.stats();
    const delta: Record<string, number> = {};
    for (const k in c1) if (c1[k] !== (c0[k] ?? 0)) delta[k] = c1[k] - (c0[k] ?? 0);
    this.enableCost = { ns: this.clock.now - t0, counters: delta };
    // Memory mapped after tracking was enabled (hot-plug): tracked only by designs whose
    // enable covers future maps (domain-wide enable bits, or DBM installed at map time).
    if (late > 0) mapGuest(this.guestBytes - late, late);
    const pages = Math.ceil(this.guestBytes / BITMAP_PAGE);
    this.bitmapBytes = Math.ceil(pages / 64) * 8;
    this.bitmapVa = this.ctx.mm.mmap(this.bitmapBytes);
    this.written = new Uint8Array(this.bitmapBytes);
  }

  dma(dev: number, iova: number, length: number, write: boolean): void {
    this.system.driver.dma(this.devices[dev], 0, iova, length, write);
    if (write) {
      const w = this.written;
      const last = Math.floor((iova + length - 1) / BITMAP_PAGE);
      for (let p = Math.floor(iova / BITMAP_PAGE); p <= last; p++) w[p >> 3] |= 1 << (p & 7);
    }
  }

  /**
   * IOMMU_HWPT_GET_DIRTY_BITMAP over the whole guest, then compare with ground truth. With
   * the flush-elision what-if (migration.flushAfterClear = false) the uAPI cannot be used
   * (it always flushes), so the domain's read_and_clear_dirty is called directly and the
   * IOTLB flush on its gather is skipped.
   */
  readDirty(): DirtyRead {
    if (!this.flushAfterClear) return this.readDirtyNoFlush();
    const r = iommufdIoctl(this.ctx, IOCTL.IOMMU_HWPT_GET_DIRTY_BITMAP, {
      hwpt_id: this.hwptId,
      flags: 0,
      iova: 0,
      length: this.guestBytes,
      page_size: BITMAP_PAGE,
      data: this.bitmapVa,
    });
    if (!r.ok) throw new Error(`IOMMU_HWPT_GET_DIRTY_BITMAP failed with ${r.errno}`);
    const bits = this.ctx.mm.read(this.bitmapVa, this.bitmapBytes);
    if (typeof bits === 'number') throw new Error(`bitmap copy_from_user failed: ${bits}`);
    this.ctx.mm.write(this.bitmapVa, new Uint8Array(this.bitmapBytes));
    const res = this.account(bits);
    if (this.demote) this.demoteDirtyLeaves(bits);
    return res;
  }

  private readDirtyNoFlush(): DirtyRead {
    const bits = new Uint8Array(this.bitmapBytes);
    const dirty = { bitmap: new ByteBitmap(bits), gather: newIotlbGather() };
    const rc = this.domain.dirtyOps?.readAndClearDirty(this.domain, 0, this.guestBytes, 0, dirty) ?? -95;
    if (rc) throw new Error(`read_and_clear_dirty failed: ${rc}`);
    // No iotlb_sync(dirty.gather): cached "already dirty" translations survive the clear.
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
          this.classifyMissed(i, lost);
        }
        w[i] = 0;
      }
    }
    return { dirty, missed };
  }

  /** Count the lost pages of bitmap byte `i` whose leaf is writable without its dirty modifier (DBM). */
  private classifyMissed(i: number, lost: number): void {
    const pt = this.domain.pt;
    if (!(pt instanceof GenericPt) || !pt.fmt.dirtyModifier) return;
    for (let b = 0; b < 8; b++) {
      if (!(lost & (1 << b)) || !pt.lookupLeaf((i * 8 + b) * BITMAP_PAGE, this.leaf)) continue;
      const t = pt.pool.pages[this.leaf.page]!;
      const a = pt.fmt.leafAttrs(t[2 * this.leaf.index]!, t[2 * this.leaf.index + 1]!);
      if ((a & PT_ATTR.WRITE) !== 0 && (a & PT_ATTR.DBM) === 0) this.missedUntracked++;
    }
  }

  /**
   * huge-demote policy: cut every dirty leaf larger than 4 KiB down to 4 KiB leaves
   * (cut_mapping at each 4 KiB boundary), so later reads report 4 KiB pages.
   */
  private demoteDirtyLeaves(bits: Uint8Array): void {
    const pt = this.domain.pt;
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
        const rc = this.domain.ops.cutMapping(this.domain, a);
        if (rc) return; // -EOPNOTSUPP on formats without cut: keep huge leaves.
      }
      p = end / BITMAP_PAGE - 1;
    }
  }

  switchover(method: SwitchoverMethod): DirtyRead {
    if (method === 'get-dirty-bitmap') return this.readDirty();
    const bits = new Uint8Array(this.bitmapBytes);
    const gather = newIotlbGather();
    const dirty = { bitmap: new ByteBitmap(bits), gather };
    if (method === 'unmap-read-dirty') {
      // RFC IOMMU_IOAS_UNMAP_DIRTY: unmap the guest from the domain and collect dirty bits
      // in the same walk, then one flush. (iommufd areas stay; the run ends here.)
      this.domain.ops.unmapReadDirty(this.domain, 0, this.guestBytes, gather, dirty);
      this.domain.ops.iotlbSync(this.domain, gather);
    } else {
      this.domain.ops.writeProtectAndClear(this.domain, 0, this.guestBytes, dirty);
    }
    return this.account(bits);
  }

  counters(): Record<string, number> {
    const c = { ...this.system.stats() };
    if (this.missedUntracked) c.missed_untracked_leaf = this.missedUntracked;
    return c;
  }
}

/** Build a vendor target for the scenario. @throws Error when set-up fails. */
export function createVendorTarget(vendor: VendorName, s: Scenario, recorder: Recorder): VendorTarget {
  return new VendorTarget(vendor, s, recorder);
}
