/** Intel VT-d as a registered vendor (core/iommu/registry.ts). */
import { VTD_COST_SPECS, VTD_HW_PARAMS } from '../../hw/intel/cost';
import { q35RamSections } from '../ram-layout';
import { hwSystem, type VendorEntry } from '../system';
import { VtdIommuDriver, vtdDirtyWalk } from './driver';
import { vtdNesting } from './nesting-entry';

export const intelVendor = {
  name: 'intel',
  title: 'Intel VT-d',
  color: '#0072b2',
  scenarios: true,
  // QEMU's q35 guest RAM layout (scenario guest.layout: 'qemu').
  qemuRamSections: q35RamSections,
  costSpecs: VTD_COST_SPECS,
  hwParamSpecs: VTD_HW_PARAMS,
  dirtyWalk: vtdDirtyWalk,
  create: (o) => hwSystem('intel', new VtdIommuDriver(o)),
  // ECAP.SLADS clear: no second-stage A/D, so DIRTY_TRACKING is refused.
  noDirtyCaps: { slads: false },
  hardwareCaps: (h) => {
    const caps: Record<string, number | boolean> = { rfcFaithful: h.intelRfcFaithful === true };
    if (h.intelMgaw !== undefined) caps.mgaw = Number(h.intelMgaw);
    if (Array.isArray(h.intelSagaw)) caps.sagaw = (h.intelSagaw as number[]).reduce((m, l) => m | (1 << (l - 2)), 0);
    return caps;
  },
  // QEMU 7.2's intel-iommu,caching-mode=on as the fixtures' guests saw it: CAP.CM, legacy
  // (non-scalable) mode (x-scalable-mode defaults to off), aw-bits 39 (MGAW 39, SAGAW 3-level).
  cachingModeCaps: { cachingMode: true, smts: false, mgaw: 39 },
  // ECAP.C / ECAP.SMPWC clear.
  nonCoherentCaps: { coherent: false },
  nesting: vtdNesting,
} as const satisfies VendorEntry<'intel'>;
