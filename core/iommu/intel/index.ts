/** Intel VT-d as a registered vendor (core/iommu/registry.ts). */
import { hwSystem, type VendorEntry } from '../system';
import { VtdIommuDriver } from './driver';
import { vtdNesting } from './nesting-entry';

export const intelVendor = {
  name: 'intel',
  title: 'Intel VT-d',
  color: '#0072b2',
  scenarios: true,
  create: (o) => hwSystem('intel', new VtdIommuDriver(o)),
  // ECAP.SLADS clear: no second-stage A/D, so DIRTY_TRACKING is refused.
  noDirtyCaps: { slads: false },
  hardwareCaps: (h) => ({ rfcFaithful: h.intelRfcFaithful === true }),
  // CAP.CM; QEMU 7.2's caching-mode vIOMMU also has no first stage (ECAP.FLTS = 0).
  cachingModeCaps: { cachingMode: true, flts: false },
  // ECAP.C / ECAP.SMPWC clear.
  nonCoherentCaps: { coherent: false },
  nesting: vtdNesting,
} as const satisfies VendorEntry<'intel'>;
