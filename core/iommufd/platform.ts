/**
 * Platforms an iommufd ctx can drive: the selftest mock IOMMU, or a vendor model built by
 * core/iommu's registry. A platform is one IOMMU driver plus a device factory; the
 * selftest's MOCK_DOMAIN creates its devices through it, so the same scripts and
 * conformance tests run on every vendor.
 */
import { ERRNO } from '../errno';
import type { SimClock } from '../hw/clock';
import { MOCK_FLAGS_DEVICE_NO_DIRTY, MockDriver } from '../iommu/mock';
import type { IommuSystem } from '../iommu/registry';
import { createIommuSystem } from '../iommu/registry';
import type { IommuDevice, VendorName } from '../iommu/types';
import type { TablePool } from '../pt/pool';
import type { Recorder } from '../trace/types';
import { NULL_RECORDER } from '../trace/types';
import type { IommufdPlatform } from './ctx';
import type { AllocFailInjector } from './failnth';

/** Options shared by platform factories. */
export interface PlatformOptions {
  clock: SimClock;
  recorder?: Recorder;
  fail?: AllocFailInjector;
}

/** The mock platform: MockDriver devices, each in its own group unless groupId is given. */
export function createMockPlatform(opts: PlatformOptions): IommufdPlatform & { driver: MockDriver } {
  const driver = new MockDriver({ clock: opts.clock, recorder: opts.recorder, failNth: opts.fail });
  return {
    driver,
    createDevice: (flags: number, groupId?: number) => driver.createDevice(flags, groupId),
  };
}

/**
 * A vendor platform from core/iommu's registry. Devices get consecutive requester IDs from
 * 0x100 (own group unless groupId is given); the other mock flags do not apply. Dirty
 * capability is per IOMMU instance, so MOCK_FLAGS_DEVICE_NO_DIRTY devices are created on a
 * second instance built with `noDirtyCaps` (the caller's vendor capability switches that
 * turn dirty tracking off); without them such devices return -EOPNOTSUPP. Reserved regions
 * come from the driver's optional resvRegions.
 */
export function createVendorPlatform(
  vendor: VendorName,
  opts: PlatformOptions & { pool?: TablePool; caps?: Record<string, number | boolean>; noDirtyCaps?: Record<string, number | boolean> },
): IommufdPlatform & { system: IommuSystem } {
  const make = (caps?: Record<string, number | boolean>) => createIommuSystem(vendor, { clock: opts.clock, recorder: opts.recorder ?? NULL_RECORDER, pool: opts.pool, caps });
  const system = make(opts.caps);
  let noDirty: IommuSystem | null = null;
  let nextSid = 0x100;
  return {
    driver: system.driver,
    system,
    createDevice(flags: number, groupId?: number): IommuDevice | number {
      let sys = system;
      if (flags & MOCK_FLAGS_DEVICE_NO_DIRTY) {
        if (!opts.noDirtyCaps) return -ERRNO.EOPNOTSUPP;
        noDirty ??= make({ ...opts.caps, ...opts.noDirtyCaps });
        sys = noDirty;
      }
      const sid = nextSid++;
      return sys.addDevice({ sid, groupId: groupId ?? sid });
    },
    resvRegions: (dev: IommuDevice) => dev.iommu.resvRegions?.(dev) ?? [],
  };
}
