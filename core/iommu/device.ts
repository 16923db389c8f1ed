/**
 * Devices of the hardware-backed systems (struct device + the driver's per-device data:
 * AMD iommu_dev_data, VT-d device_domain_info, SMMUv3 arm_smmu_master).
 */
import type { Device, IommuDevice } from './types';

/** What a scenario says about a device when adding it (IommuSystem.addDevice). */
export interface DeviceSpec {
  /** Requester ID ((bus << 8) | devfn) or StreamID. */
  sid: number;
  name?: string;
  /** PCIe ATS enabled: the device caches translations (ATC) and the driver invalidates them. Default false. */
  ats?: boolean;
  /** Entries of the device's ATC (with ats). Default {@link DEFAULT_ATC_ENTRIES}. */
  atcEntries?: number;
  /** PRI / stall capable (translation faults become page requests). Default false. */
  pri?: boolean;
  /** iommu_group id; default = sid. */
  groupId?: number;
  /** PCI PASID capability width (dev->iommu->max_pasids = 1 << it); 0 / absent = no PASID. */
  maxPasidLog2?: number;
}

/** ATC entries of an ATS device unless said otherwise: device-specific, no public figure (estimate). */
export const DEFAULT_ATC_ENTRIES = 64;

/** A device behind one of the hardware-backed IOMMUs. */
export class SimDevice implements Device {
  readonly sid: number;
  readonly name: string;
  readonly groupId: number;
  readonly ats: boolean;
  readonly pri: boolean;
  readonly maxPasidLog2: number;
  /** ATC entries (ATS devices). */
  readonly atcEntries: number;
  /** The paging domain the device is attached to, or null (blocked). */
  domain: unknown = null;

  constructor(readonly iommu: IommuDevice, spec: DeviceSpec) {
    if (!Number.isInteger(spec.sid) || spec.sid < 0 || spec.sid > 0xffff_ffff) throw new RangeError(`invalid sid ${spec.sid}`);
    this.sid = spec.sid;
    this.name = spec.name ?? `dev${spec.sid.toString(16)}`;
    this.groupId = spec.groupId ?? spec.sid;
    this.ats = spec.ats ?? false;
    this.pri = spec.pri ?? false;
    this.maxPasidLog2 = spec.maxPasidLog2 ?? 0;
    this.atcEntries = spec.atcEntries ?? DEFAULT_ATC_ENTRIES;
  }
}
