/**
 * The vendor registry: every IOMMU model the engine has, one line each. Adding a vendor is
 * one folder (core/iommu/<vendor>/ with an index.ts exporting its {@link VendorEntry}, its
 * hardware model in core/hw/<vendor>/) and one line in {@link VENDOR_ENTRIES}. Code outside
 * the vendor folders gets vendors only from here: names, titles, factories and the caps
 * switches they expose by purpose; it never branches on a vendor name.
 */
import { amdVendor } from './amd';
import { intelVendor } from './intel';
import { mockVendor } from './mock/system';
import { smmuv3Vendor } from './smmuv3';
import type { HwSystemOptions, IommuSystem, VendorEntry } from './system';

export type { Caps, DeviceSpec, HwSystemOptions, IommuSystem, VendorEntry } from './system';

/** Every registered vendor, in display order. */
export const VENDOR_ENTRIES = [amdVendor, intelVendor, smmuv3Vendor, mockVendor] as const;

/** A registered driver name: amd | intel | smmuv3 | mock. */
export type VendorName = (typeof VENDOR_ENTRIES)[number]['name'];

/** Vendors that run scenarios and comparisons (hardware-backed), in display order. */
export const SCENARIO_VENDORS = VENDOR_ENTRIES.filter((e) => e.scenarios).map((e) => e.name) as [VendorName, ...VendorName[]];

/** Every registered driver name, in display order. */
export const VENDOR_NAMES = VENDOR_ENTRIES.map((e) => e.name) as [VendorName, ...VendorName[]];

const BY_NAME = new Map<string, VendorEntry>(VENDOR_ENTRIES.map((e) => [e.name, e]));

/** The entry of a driver name. @throws RangeError for an unregistered name. */
export function vendorEntry(name: string): VendorEntry {
  const e = BY_NAME.get(name);
  if (!e) throw new RangeError(`no IOMMU system registered for vendor '${name}'`);
  return e;
}

/** Whether `name` is a registered driver name. */
export function isVendorName(name: string): name is VendorName {
  return BY_NAME.has(name);
}

/** Human title of a driver name ("AMD-Vi"); the name itself when unregistered (e.g. read from an old database). */
export function vendorTitle(name: string): string {
  return BY_NAME.get(name)?.title ?? name;
}

/**
 * Build one IOMMU system for `vendor`. Throws RangeError for an unregistered vendor or an
 * invalid option (e.g. an unknown cost-override name).
 */
export function createIommuSystem(vendor: string, opts: HwSystemOptions): IommuSystem {
  return vendorEntry(vendor).create(opts);
}
