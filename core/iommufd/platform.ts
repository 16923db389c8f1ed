/**
 * The one composition root of the engine: a platform is one IOMMU instance from the vendor
 * registry (core/iommu/registry.ts) plus the device factory iommufd's selftest uses; an
 * iommufd ctx is opened on it with {@link openIommufd}. Ioctl scripts, the VMM model
 * (core/workload/vmm.ts), kernel-trace replay and the tests all build their systems here,
 * so every caller gets the same wiring (clock, recorder, fail_nth, table pool, caps).
 */
import type { SimClock } from '../base/clock';
import { ERRNO } from '../base/errno';
import type { AllocFailInjector } from '../base/fail-nth';
import { MOCK_FLAGS_DEVICE_NO_DIRTY, MOCK_FLAGS_DEVICE_PASID, MockDriver } from '../iommu/mock';
import { vendorEntry, type Caps, type DeviceSpec, type IommuSystem, type VendorName } from '../iommu/registry';
import type { Device } from '../iommu/types';
import type { TablePool } from '../pt/pool';
import type { KernelVersion } from '../iommu/kernel';
import type { Recorder } from '../trace/types';
import { NULL_RECORDER } from '../trace/types';
import { createIommufd } from './create';
import type { IommufdCtx, IommufdOptions, IommufdPlatform } from './ctx';

/** Options of {@link createPlatform}. */
export interface PlatformOptions {
  clock: SimClock;
  recorder?: Recorder;
  /** fail_nth injector shared by iommufd, the driver and (through `pool`) the table pool. */
  fail?: AllocFailInjector;
  /** Page-table memory; a private pool when absent. */
  pool?: TablePool;
  /** Capability switches of the vendor model (what-ifs, e.g. { npCache: true }). */
  caps?: Caps;
  /** Cost-model overrides by action name, simulated ns. */
  costOverrides?: Record<string, number>;
  /** IOTLB capacity in entries (vendor default when absent). */
  iotlbEntries?: number;
  /** Kernel whose driver code is modelled (core/iommu/kernel.ts); the default kernel when absent. */
  kernel?: KernelVersion;
  /** Walk-cache entries per level and concurrent walks (vendor defaults when absent). */
  walkCacheEntries?: number;
  walkers?: number;
}

/** An IOMMU platform iommufd runs on: the registry's system plus device probing. */
export interface Platform extends IommufdPlatform {
  readonly vendor: VendorName;
  readonly clock: SimClock;
  /** The IOMMU instance (driver, hardware model, counters). */
  readonly system: IommuSystem;
  /** Probe a device with an explicit requester ID / StreamID (it starts blocked). @throws RangeError on a bad or duplicate sid. */
  addDevice(spec: DeviceSpec): Device;
  /**
   * Device-side DMA of `dev` through the IOMMU (the PCIe side, not an ioctl): IOTLB, walk,
   * A/D update, fault. Returns 0 or a negative errno (-EFAULT translation, -EACCES permission).
   */
  dma(dev: Device, pasid: number, iova: number, length: number, write: boolean): number;
  /** Exact hardware/driver counters (vendor-neutral names and 'cmd:<COMMAND>'). */
  stats(): Record<string, number>;
  /** Simulated ns charged so far per cost action (core/hw/cost/model.ts); {} without a hardware model. */
  costNs(): Record<string, number>;
  /** Latency of the last {@link dma} (round trip + translation), ns; 0 without a hardware model. */
  lastDmaNs(): number;
  /**
   * The IOMMU's page walkers: how many walks it sustains in flight, IOTLB misses so far and
   * their total handling + walk time (ns). Null without a hardware model.
   */
  walkStats(): { walkers: number; misses: number; missNs: number } | null;
}

/** The selftest mock platform: MockDriver devices, each in its own group unless groupId is given. */
function createMockPlatform(opts: PlatformOptions): Platform {
  const driver = new MockDriver({ clock: opts.clock, recorder: opts.recorder, failNth: opts.fail });
  const system: IommuSystem = { vendor: 'mock', driver, hw: null, addDevice: (spec) => driver.createDevice(0, spec.groupId ?? spec.sid), stats: () => ({ faults: driver.faults.length }) };
  return {
    vendor: 'mock',
    clock: opts.clock,
    driver,
    system,
    createDevice: (flags: number, groupId?: number) => driver.createDevice(flags, groupId),
    addDevice: system.addDevice,
    dma: (dev, pasid, iova, length, write) => driver.dma(dev, pasid, iova, length, write),
    stats: system.stats,
    costNs: () => ({}),
    lastDmaNs: () => 0,
    walkStats: () => null,
  };
}

/**
 * A platform for `vendor`. For the hardware-backed vendors, devices made by the selftest's
 * createDevice get consecutive requester IDs from 0x100 (own group unless groupId is given);
 * MOCK_FLAGS_DEVICE_NO_DIRTY devices sit behind a second instance built with the vendor's
 * `noDirtyCaps` (dirty capability is per IOMMU instance). Reserved regions come from the
 * driver's optional resvRegions.
 * @throws RangeError for an unregistered vendor or an invalid option.
 */
export function createPlatform(vendor: VendorName, opts: PlatformOptions): Platform {
  if (vendor === 'mock') return createMockPlatform(opts);
  const entry = vendorEntry(vendor);
  const make = (caps?: Caps): IommuSystem =>
    entry.create({
      clock: opts.clock,
      recorder: opts.recorder ?? NULL_RECORDER,
      pool: opts.pool,
      ...(caps ? { caps } : {}),
      ...(opts.costOverrides ? { costOverrides: opts.costOverrides } : {}),
      ...(opts.iotlbEntries !== undefined ? { iotlbEntries: opts.iotlbEntries } : {}),
      ...(opts.kernel !== undefined ? { kernel: opts.kernel } : {}),
      ...(opts.walkCacheEntries !== undefined ? { walkCacheEntries: opts.walkCacheEntries } : {}),
      ...(opts.walkers !== undefined ? { walkers: opts.walkers } : {}),
    });
  const system = make(opts.caps);
  let noDirty: IommuSystem | null = null;
  let nextSid = 0x100;
  return {
    vendor,
    clock: opts.clock,
    driver: system.driver,
    system,
    createDevice(flags: number, groupId?: number): Device | number {
      let sys = system;
      if (flags & MOCK_FLAGS_DEVICE_NO_DIRTY) {
        if (!entry.noDirtyCaps) return -ERRNO.EOPNOTSUPP;
        noDirty ??= make({ ...opts.caps, ...entry.noDirtyCaps });
        sys = noDirty;
      }
      const sid = nextSid++;
      // MOCK_FLAGS_DEVICE_PASID: a PCI PASID capability as wide as the IOMMU translates.
      const pasid = flags & MOCK_FLAGS_DEVICE_PASID ? (sys.driver.pasidWidth?.() ?? 0) : 0;
      return sys.addDevice({ sid, groupId: groupId ?? sid, ...(pasid ? { maxPasidLog2: pasid } : {}) });
    },
    addDevice: (spec) => system.addDevice(spec),
    dma: (dev, pasid, iova, length, write) => dev.iommu.dma(dev, pasid, iova, length, write),
    stats: () => system.stats(),
    costNs: () => system.hw?.cost.nsByAction() ?? {},
    lastDmaNs: () => system.hw?.lastDmaNs ?? 0,
    walkStats: () => (system.hw ? { walkers: system.hw.walkers, misses: system.hw.counters.iotlb_miss + system.hw.counters.iotlb_dirty_upgrade, missNs: system.hw.missNsTotal } : null),
    resvRegions: (dev: Device) => dev.iommu.resvRegions?.(dev) ?? [],
  };
}

/**
 * Open /dev/iommu on a new platform for `vendor`: the composition root the VMM, ioctl
 * scripts and tests use. `fail` is shared by the ctx and the platform.
 * @throws RangeError for an unregistered vendor or an invalid option.
 */
export function openIommufd(vendor: VendorName, opts: PlatformOptions & { options?: Partial<IommufdOptions> }): { ctx: IommufdCtx; platform: Platform } {
  const platform = createPlatform(vendor, opts);
  const ctx = createIommufd({ platform, clock: opts.clock, recorder: opts.recorder, fail: opts.fail, options: opts.options });
  return { ctx, platform };
}
