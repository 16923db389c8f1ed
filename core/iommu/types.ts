/**
 * Contract between iommufd (core/iommufd) and the vendor drivers (core/iommu/<vendor>/),
 * mirroring include/linux/iommu.h: struct iommu_ops, struct iommu_domain_ops and
 * struct iommu_dirty_ops. Drivers implement it on top of their hardware model (core/hw).
 * Return codes are 0 / negative errno (core/errno.ts); sizes and IOVAs are bytes.
 *
 * Sources: spec/upstream-uapi.md §4 (merged drivers), spec/dirty-tracking.md §2 and §4,
 * spec/page-table-objects-pasid.md §2 (attach/detach).
 */
import type { IotlbGather, IommuDirtyBitmap, PtIommu } from '../pt/types';
import type { SimClock } from '../base/clock';
import type { Recorder } from '../trace/types';

/** include/linux/iommu.h enum iommu_cap values the engine uses. */
export type IommuCap = 'IOMMU_CAP_CACHE_COHERENCY' | 'IOMMU_CAP_DIRTY_TRACKING' | 'IOMMU_CAP_ENFORCE_CACHE_COHERENCY';

/**
 * struct device as the IOMMU core sees it: a device behind an IOMMU, identified by its PCI
 * requester ID (AMD DeviceID, VT-d source-id) or SMMU StreamID; `iommu` is the struct
 * iommu_device it sits behind (dev->iommu->iommu_dev).
 */
export interface Device {
  /** Requester ID / StreamID as the hardware indexes its device/context/stream table. */
  readonly sid: number;
  readonly name: string;
  /** The IOMMU instance this device sits behind. */
  readonly iommu: IommuDevice;
  /** Group id (devices in one group must share a domain). */
  readonly groupId: number;
  /** PCIe ATS enabled (device TLB present: device-TLB invalidations are issued). */
  readonly ats: boolean;
  /** PRI / stall capable (recoverable faults). */
  readonly pri: boolean;
  /** PASID width the device supports (IOMMU_GET_HW_INFO out_max_pasid_log2); 0 or absent = none. */
  readonly maxPasidLog2?: number;
}

/** struct iommu_domain_geometry. */
export interface IommuDomainGeometry {
  apertureStart: number;
  apertureEnd: number;
}

/**
 * struct iommu_dirty_ops. read_and_clear_dirty never flushes: the caller flushes once per
 * request with iotlb_sync on dirty.gather (kernel iopt_read_and_clear_dirty_data).
 */
export interface IommuDirtyOps {
  setDirtyTracking(domain: IommuDomain, enabled: boolean): number;
  readAndClearDirty(domain: IommuDomain, iova: number, size: number, flags: number, dirty: IommuDirtyBitmap): number;
}

/** struct iommu_domain_ops (the subset the engine uses), plus the RFC and review operations. */
export interface IommuDomainOps {
  attachDev(domain: IommuDomain, dev: Device): number;
  /** map_pages: pgcount pages of pgsize each; `mapped.bytes` reports progress. */
  mapPages(domain: IommuDomain, iova: number, paddr: number, pgsize: number, pgcount: number, prot: number, mapped: { bytes: number }): number;
  /** unmap_pages: returns bytes unmapped; adds to gather. */
  unmapPages(domain: IommuDomain, iova: number, pgsize: number, pgcount: number, gather: IotlbGather): number;
  /** iotlb_sync_map: caching-mode / NpCache flush after map (may be a no-op). */
  iotlbSyncMap(domain: IommuDomain, iova: number, size: number): number;
  iotlbSync(domain: IommuDomain, gather: IotlbGather): void;
  flushIotlbAll(domain: IommuDomain): void;
  iovaToPhys(domain: IommuDomain, iova: number): number;
  /** cut_mapping (iommupt): -EOPNOTSUPP where the format lacks it. */
  cutMapping(domain: IommuDomain, iova: number): number;
  /** RFC unmap_read_dirty: unmap and collect dirty bits in one pass; returns bytes. */
  unmapReadDirty(domain: IommuDomain, iova: number, size: number, gather: IotlbGather, dirty: IommuDirtyBitmap): number;
  /** Review thread's write-protect-and-clear: make leaves read-only, flush, collect dirty. */
  writeProtectAndClear(domain: IommuDomain, iova: number, size: number, dirty: IommuDirtyBitmap): number;
  free(domain: IommuDomain): void;
  /**
   * enforce_cache_coherency (include/linux/iommu.h, optional): make later mappings of the
   * domain ignore the device's no-snoop requests (VT-d SNP / PGSNP, AMD FC); true when the
   * domain now enforces coherency. iommufd calls it at HWPT allocation for devices whose
   * driver reports IOMMU_CAP_ENFORCE_CACHE_COHERENCY; a domain without it cannot enforce.
   */
  enforceCacheCoherency?(domain: IommuDomain): boolean;
}

/** struct iommu_domain. */
export interface IommuDomain {
  readonly type: 'PAGING' | 'BLOCKED' | 'IDENTITY' | 'NESTED';
  readonly driver: IommuDevice;
  readonly ops: IommuDomainOps;
  /** Null when the domain cannot track dirty pages. */
  readonly dirtyOps: IommuDirtyOps | null;
  readonly pgsizeBitmap: number;
  readonly geometry: IommuDomainGeometry;
  /** Hardware tag: AMD domain ID, VT-d DID, SMMUv3 ASID (stage 1) or VMID. */
  readonly tag: number;
  /** The IO page table behind a PAGING domain. */
  readonly pt: PtIommu | null;
  /** Devices currently attached. */
  readonly devices: ReadonlySet<Device>;
  /** Whether dirty tracking is currently enabled. */
  dirtyTracking: boolean;
}

/** IOMMU_GET_HW_INFO data as the driver reports it (struct iommu_hw_info_* per vendor). */
export interface IommuHwInfo {
  /** enum iommu_hw_info_type: 0 NONE, 1 INTEL_VTD, 2 ARM_SMMUV3, 3 TEGRA241_CMDQV, 4 AMD. */
  outDataType: number;
  /** Vendor struct fields (e.g. { flags, cap_reg, ecap_reg } for VT-d). */
  data: Record<string, number>;
  /** IOMMU_HW_CAP_* bits (IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0). */
  capabilities: number;
}

/**
 * struct iommu_device: one IOMMU instance (with its hardware model); its methods are the
 * driver's struct iommu_ops (capable, hw_info, domain_alloc_paging_flags, ...) plus the
 * device-side DMA entry of the hardware model.
 */
export interface IommuDevice {
  /** Driver name as registered in core/iommu/registry.ts (amd | intel | smmuv3 | mock). */
  readonly vendor: string;
  readonly clock: SimClock;
  capable(dev: Device, cap: IommuCap): boolean;
  hwInfo(dev: Device): IommuHwInfo;
  /** domain_alloc_paging_flags: a PAGING domain or a negative errno (-EOPNOTSUPP, -ENOMEM). */
  domainAllocPagingFlags(dev: Device, flags: number): IommuDomain | number;
  /** Attach the device to the blocked domain (detach from its paging domain). */
  blockDevice(dev: Device): number;
  /**
   * Device DMA through the hardware model: IOTLB lookup, page walk, permission check,
   * A/D update, fault on failure. Returns 0 or a negative errno (-EFAULT for a translation
   * fault, -EACCES for a permission fault) after queueing the vendor fault record.
   */
  dma(dev: Device, pasid: number, iova: number, length: number, write: boolean): number;
  /**
   * iommu_get_resv_regions: IOVA ranges the device cannot use (MSI windows, RMRRs), bytes,
   * `length` > 0. Optional: absent means none. Added by core/iommufd (reserved regions).
   */
  resvRegions?(dev: Device): { start: number; length: number; type: 'DIRECT' | 'DIRECT_RELAXABLE' | 'RESERVED' | 'MSI' | 'SW_MSI' }[];
}

/** Options for building one vendor system (hardware model + driver + devices). */
export interface IommuSystemOptions {
  clock: SimClock;
  recorder: Recorder;
  /** Cost-model overrides by action name, simulated ns. */
  costOverrides?: Record<string, number>;
  /** IOTLB capacity in entries (vendor default when absent). */
  iotlbEntries?: number;
  /** Capability switches for what-ifs (e.g. { httu: 1 } for SMMUv3 without dirty). */
  caps?: Record<string, number | boolean>;
}
