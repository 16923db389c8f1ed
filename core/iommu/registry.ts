/**
 * Vendor name → system factory. A "system" is one IOMMU instance: its driver
 * (IommuDriver), a way to probe devices behind it, and (for the hardware-backed vendors)
 * the hardware model for inspection (tables, queues, IOTLB, counters).
 *
 * To register another vendor, add one line to SYSTEM_FACTORIES (or call
 * registerIommuSystem at start-up). Code outside core/iommu/<vendor>/ gets vendors only
 * through this map, never by branching on a name (DESIGN.md §2).
 */
import type { IommuHwModel } from '../hw/engine';
import type { DeviceSpec } from '../hw/driver/device';
import type { TablePool } from '../pt';
import { AmdIommuDriver } from './amd/driver';
import { createMockSystem } from './mock/system';
import { VtdIommuDriver } from './intel/driver';
import { SmmuV3Driver } from './smmuv3/driver';
import type { IommuDevice, IommuDriver, IommuSystemOptions, VendorName } from './types';

export type { DeviceSpec } from '../hw/driver/device';

/** Options of createIommuSystem: the contract's options plus an optional shared table pool. */
export interface HwSystemOptions extends IommuSystemOptions {
  /** Page-table memory (core/pt TablePool); a private pool when absent. */
  pool?: TablePool;
}

/** One IOMMU instance with its driver, devices and (optionally) hardware model. */
export interface IommuSystem {
  readonly vendor: VendorName;
  readonly driver: IommuDriver;
  /** Probe a device behind this IOMMU (it starts blocked). Throws RangeError on a bad or duplicate sid. */
  addDevice(spec: DeviceSpec): IommuDevice;
  /** The hardware model (null for models without one, e.g. the selftest mock). */
  readonly hw: IommuHwModel | null;
  /** Exact counters by name (vendor-neutral names plus 'cmd:<COMMAND>' per command). */
  stats(): Record<string, number>;
}

export type IommuSystemFactory = (opts: HwSystemOptions) => IommuSystem;

function hwSystem<D extends IommuDriver & { hw: IommuHwModel; addDevice(s: DeviceSpec): IommuDevice }>(vendor: VendorName, d: D): IommuSystem {
  return {
    vendor,
    driver: d,
    hw: d.hw,
    addDevice: (s) => d.addDevice(s),
    stats: () => d.hw.stats(),
  };
}

/** The registry. The mock engineer adds `mock: (o) => ...` here. */
export const SYSTEM_FACTORIES: Partial<Record<VendorName, IommuSystemFactory>> = {
  amd: (o) => hwSystem('amd', new AmdIommuDriver(o)),
  intel: (o) => hwSystem('intel', new VtdIommuDriver(o)),
  smmuv3: (o) => hwSystem('smmuv3', new SmmuV3Driver(o)),
  mock: (o) => createMockSystem(o),
};

/** Register (or replace) a vendor's factory. */
export function registerIommuSystem(vendor: VendorName, f: IommuSystemFactory): void {
  SYSTEM_FACTORIES[vendor] = f;
}

/** Vendors with a registered factory. */
export function registeredVendors(): VendorName[] {
  return Object.keys(SYSTEM_FACTORIES) as VendorName[];
}

/**
 * Build one IOMMU system for `vendor`. Throws RangeError for an unregistered vendor or an
 * invalid option (e.g. an unknown cost-override name).
 */
export function createIommuSystem(vendor: VendorName, opts: HwSystemOptions): IommuSystem {
  const f = SYSTEM_FACTORIES[vendor];
  if (!f) throw new RangeError(`no IOMMU system registered for vendor '${vendor}'`);
  return f(opts);
}
