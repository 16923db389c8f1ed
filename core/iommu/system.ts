/**
 * One IOMMU instance as the engine builds it: the struct iommu_device (driver ops + hardware
 * model), a way to probe devices behind it, and counters. Each vendor folder
 * (core/iommu/<vendor>/index.ts) describes itself with a {@link VendorEntry}; the registry
 * (core/iommu/registry.ts) lists the entries.
 */
import type { IommuHwModel } from '../hw/engine';
import type { TablePool } from '../pt';
import type { DeviceSpec } from './device';
import type { Device, IommuDevice, IommuSystemOptions } from './types';

export type { DeviceSpec } from './device';

/** Capability switches of a vendor model (numbers and booleans; unknown names are ignored). */
export type Caps = Record<string, number | boolean>;

/** Options of a system factory: the contract's options plus an optional shared table pool. */
export interface HwSystemOptions extends IommuSystemOptions {
  /** Page-table memory (core/pt TablePool); a private pool when absent. */
  pool?: TablePool;
}

/** One IOMMU instance with its driver, devices and (optionally) hardware model. */
export interface IommuSystem {
  readonly vendor: string;
  readonly driver: IommuDevice;
  /** Probe a device behind this IOMMU (it starts blocked). Throws RangeError on a bad or duplicate sid. */
  addDevice(spec: DeviceSpec): Device;
  /** The hardware model (null for models without one, e.g. the selftest mock). */
  readonly hw: IommuHwModel | null;
  /** Exact counters by name (vendor-neutral names plus 'cmd:<COMMAND>' per command). */
  stats(): Record<string, number>;
}

/**
 * What a vendor folder registers: its driver name and title, its system factory and the
 * capability switches other layers ask for by purpose (never by vendor name).
 */
export interface VendorEntry<N extends string = string> {
  /** Driver name, as on the command line: amd | intel | smmuv3 | mock. */
  readonly name: N;
  /** Human title, e.g. "AMD-Vi". */
  readonly title: string;
  /**
   * The vendor's fixed colour in the UI (CSS colour: headers, chart series, legends), chosen
   * from the colour-blind-safe Okabe–Ito palette so vendors stay distinguishable.
   */
  readonly color: string;
  /** Runs scenarios and comparisons (the selftest mock does not: it has no hardware model). */
  readonly scenarios: boolean;
  /** Build one instance. @throws RangeError on an invalid option (e.g. an unknown cost-override name). */
  create(opts: HwSystemOptions): IommuSystem;
  /** Caps of an instance whose devices cannot track dirty pages (no IOMMU_HW_CAP_DIRTY_TRACKING); absent = the model has no such variant. */
  readonly noDirtyCaps?: Caps;
  /**
   * Caps for a scenario's `hardware` what-if switches (e.g. hardware.smmuv3DirtyDesign); the
   * vendor reads the fields it knows. @throws RangeError on a value it does not know.
   */
  hardwareCaps?(hardware: Readonly<Record<string, unknown>>): Caps;
  /** Caps of hardware that caches non-present entries (VT-d CAP.CM, AMD NpCache), as a caching-mode vIOMMU; absent = no such mode (SMMUv3). */
  readonly cachingModeCaps?: Caps;
  /** Caps of a table walker that does not snoop CPU caches; absent = walks are always coherent (AMD-Vi here). */
  readonly nonCoherentCaps?: Caps;
}

/** An IommuSystem over a hardware-backed driver (the driver owns the model and its devices). */
export function hwSystem(vendor: string, d: IommuDevice & { hw: IommuHwModel; addDevice(s: DeviceSpec): Device }): IommuSystem {
  return {
    vendor,
    driver: d,
    hw: d.hw,
    addDevice: (s) => d.addDevice(s),
    stats: () => d.hw.stats(),
  };
}
