/**
 * One IOMMU instance as the engine builds it: the struct iommu_device (driver ops + hardware
 * model), a way to probe devices behind it, and counters. Each vendor folder
 * (core/iommu/<vendor>/index.ts) describes itself with a {@link VendorEntry}; the registry
 * (core/iommu/registry.ts) lists the entries.
 */
import type { CostSpecTable, HwParamSpecTable } from '../hw/cost/model';
import type { IommuHwModel } from '../hw/engine';
import type { TablePool } from '../pt';
import type { PtFormatName } from '../pt/types';
import type { DeviceSpec } from './device';
import type { Device, IommuDevice, IommuSystemOptions } from './types';
import type { DirtyWalkProfile } from './dirty-walk';
import type { KernelVersion } from './kernel';

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
  /** Default cost table with each value's class and source (absent for models without hardware costs). */
  readonly costSpecs?: CostSpecTable;
  /** Default hardware capacities (IOTLB, walk caches, concurrent walks) with class and source. */
  readonly hwParamSpecs?: HwParamSpecTable;
  /**
   * The read_and_clear_dirty walker the vendor's driver uses under `kernel` (core/iommu/dirty-walk.ts;
   * the driver picks the same one); absent for models without dirty tracking costs.
   */
  dirtyWalk?(kernel: KernelVersion): DirtyWalkProfile;
  /** Build one instance. @throws RangeError on an invalid option (e.g. an unknown cost-override name). */
  create(opts: HwSystemOptions): IommuSystem;
  /** Caps of an instance whose devices cannot track dirty pages (no IOMMU_HW_CAP_DIRTY_TRACKING); absent = the model has no such variant. */
  readonly noDirtyCaps?: Caps;
  /**
   * Caps for a scenario's `hardware` what-if switches (e.g. hardware.smmuv3DirtyDesign); the
   * vendor reads the fields it knows. @throws RangeError on a value it does not know.
   */
  hardwareCaps?(hardware: Readonly<Record<string, unknown>>): Caps;
  /**
   * Where QEMU's machine for this architecture puts `ramBytes` of guest RAM in guest-physical
   * space (x86 q35: the first 2 GiB below 4 GiB and the rest from 4 GiB when RAM ≥ 2.75 GiB;
   * arm64 virt: one block at 1 GiB): sections of RAM offsets at GPAs, in GPA order.
   */
  qemuRamSections?(ramBytes: number): { gpa: number; ram: number; len: number }[];
  /** Caps of hardware that caches non-present entries (VT-d CAP.CM, AMD NpCache), as a caching-mode vIOMMU; absent = no such mode (SMMUv3). */
  readonly cachingModeCaps?: Caps;
  /** Caps of a table walker that does not snoop CPU caches; absent = walks are always coherent (AMD-Vi here). */
  readonly nonCoherentCaps?: Caps;
  /** Nesting as a VMM drives it; absent = the model has no nested translation. */
  readonly nesting?: VendorNesting;
}

/**
 * How a VMM nests on a vendor (what QEMU's vIOMMU model does for that vendor): the guest's
 * stage-1 table format, the IOMMU_HWPT_ALLOC data that points the host at it, whether the
 * nested HWPT comes from a vIOMMU, and the guest invalidation that follows a guest unmap.
 */
export interface VendorNesting {
  /** Mainline version the vendor's nesting follows (docs/iommufd.md). */
  readonly kernel: string;
  /** core/pt format and levels of the guest's stage-1 table. */
  readonly s1Format: PtFormatName;
  readonly s1Levels: number;
  /** enum iommu_hwpt_data_type of the nested HWPT_ALLOC data. */
  readonly dataType: number;
  /** The nested HWPT_ALLOC data bytes for a guest table rooted at `root` (its address as the hardware resolves it). */
  nestedData(root: number): Uint8Array;
  /** enum iommu_viommu_type to allocate a vIOMMU with, or null when nested HWPTs come from the parent HWPT. */
  readonly viommuType: number | null;
  /** Attaching a vIOMMU-based nested HWPT needs the device's vDEVICE first (-ENOENT otherwise). */
  readonly attachNeedsVdevice: boolean;
  /**
   * The guest's invalidation of everything as an IOMMU_HWPT_INVALIDATE array (on the nested
   * HWPT, or on the vIOMMU when `onViommu`), or null when the vendor has no user path.
   * `virtId` is the device's vDEVICE id.
   */
  invalidateAll(virtId: bigint): { type: number; entry: Uint8Array; onViommu: boolean } | null;
  /** Explanation of what the vendor can dirty-track under nesting (comparison text). */
  readonly dirtyNote: string;
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
