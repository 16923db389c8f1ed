/**
 * Contract between iommufd (core/iommufd) and the vendor drivers (core/iommu/<vendor>/),
 * mirroring include/linux/iommu.h: struct iommu_ops, struct iommu_domain_ops and
 * struct iommu_dirty_ops. Drivers implement it on top of their hardware model (core/hw).
 * Return codes are 0 / negative errno (core/errno.ts); sizes and IOVAs are bytes.
 *
 * Sources: include/linux/iommu.h (struct iommu_domain_ops, iommu_dirty_ops, iommu_ops),
 * drivers/iommu/iommu.c (attach/detach), the vendor drivers under drivers/iommu/.
 */
import type { IotlbGather, IommuDirtyBitmap, PtIommu } from '../pt/types';
import type { SimClock } from '../base/clock';
import type { Recorder } from '../trace/types';
import type { UserData, UserDataArray } from './user-data';
import type { KernelVersion } from './kernel';

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
  /**
   * cache_invalidate_user (v6.8): invalidate a NESTED domain's caches from a user array
   * (IOMMU_HWPT_INVALIDATE on a nested HWPT). Writes the number of entries handled to
   * `arr.entryNum` on every path; returns 0 or the first entry's errno. Absent = -EOPNOTSUPP.
   */
  cacheInvalidateUser?(domain: IommuDomain, arr: UserDataArray): number;
  /**
   * set_dev_pasid (v6.15 form with `old`): attach `dev`'s `pasid` to the domain, replacing
   * `old` (null = first attach). Absent = the domain cannot be attached to a PASID
   * (iommu_attach_device_pasid: -EOPNOTSUPP).
   */
  setDevPasid?(domain: IommuDomain, dev: Device, pasid: number, old: IommuDomain | null): number;
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
  /** NESTED domains: the nesting parent (stage-2 / second-stage / host v1 table) domain. */
  readonly parent?: IommuDomain | null;
}

/**
 * What the iommufd core offers a driver's vIOMMU (include/linux/iommufd.h helpers):
 * iommufd_viommu_find_dev, iommufd_viommu_get_vdev_id, iommufd_viommu_report_event.
 */
export interface ViommuCore {
  /** enum iommu_viommu_type value the vIOMMU was allocated with. */
  readonly type: number;
  /** The nesting parent's domain (viommu->hwpt->common.domain). */
  readonly parent: IommuDomain;
  /** iommufd_viommu_find_dev: the device of the vDEVICE with this virt_id, or null. */
  findDev(virtId: bigint): Device | null;
  /** iommufd_viommu_get_vdev_id: the virt_id of dev's vDEVICE here, or -ENOENT. */
  vdevIdOf(dev: Device): bigint | number;
  /** iommufd_viommu_report_event: 0, -EOPNOTSUPP (no vEVENTQ of that type) or -ENOMEM. */
  reportEvent(type: number, data: Uint8Array): number;
}

/** struct iommufd_viommu_ops as a driver fills them (all optional, as in the kernel). */
export interface ViommuOps {
  destroy?(): void;
  /** alloc_domain_nested: a NESTED domain from vendor data (flags without FAULT_ID_VALID). */
  allocDomainNested?(flags: number, data: UserData): IommuDomain | number;
  /** cache_invalidate: IOMMU_HWPT_INVALIDATE on the vIOMMU; writes arr.entryNum. */
  cacheInvalidate?(arr: UserDataArray): number;
  /** get_hw_queue_size: 0 = type not supported. */
  getHwQueueSize?(type: number): number;
  /**
   * hw_queue_init_phys: queue `index` at physical `basePa` (bytes). Returns 0 or an errno;
   * `dependsOn` (>= 0) names the queue index this one depends on (iommufd_hw_queue_depend).
   */
  hwQueueInitPhys?(index: number, basePa: number, length: number): { rc: number; dependsOn?: number };
  hwQueueDestroy?(index: number): void;
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
   * domain_alloc_nested (v6.13; domain_alloc_user before): a NESTED domain over the nesting
   * parent `parent` from vendor data (IOMMU_HWPT_DATA_VTD_S1, ...). Absent = -EOPNOTSUPP.
   */
  domainAllocNested?(dev: Device, parent: IommuDomain, flags: number, data: UserData): IommuDomain | number;
  /**
   * get_viommu_size + viommu_init (v6.16; viommu_alloc in v6.13-v6.15): the driver half of a
   * vIOMMU of `type` over the nesting parent. -EOPNOTSUPP for an unsupported type (size 0).
   * `data` is the optional user data (copied back to user space by the driver).
   */
  viommuInit?(dev: Device, parent: IommuDomain, data: UserData | null, core: ViommuCore): ViommuOps | number;
  /**
   * PASID width the IOMMU supports for a PASID-capable device (VT-d ECAP.PSS + 1, SMMUv3
   * IDR1.SSIDSIZE); absent or 0 = the model does not translate PASID requests.
   */
  pasidWidth?(): number;
  /** get_viommu_size (v6.16): 0 when this IOMMU cannot host a vIOMMU of `type` (-EOPNOTSUPP). */
  getViommuSize?(dev: Device, type: number): number;
  /** remove_dev_pasid / the blocked domain's set_dev_pasid: `pasid` of dev stops translating. */
  removeDevPasid?(dev: Device, pasid: number, domain: IommuDomain): void;
  /**
   * Enable I/O page faults of `dev` for a domain with an iopf handler (iommufd attaching a
   * HWPT allocated with IOMMU_HWPT_FAULT_ID_VALID: iommufd_fault_iopf_enable ->
   * iommu_dev_enable_feature(IOMMU_DEV_FEAT_IOPF) up to v6.15, the driver's attach from
   * v6.16). 0 or a negative errno that fails the attach. Whether the device's translation
   * faults then become page requests is the driver's choice (core/iommu/<vendor>/driver.ts
   * cites each). Absent = 0 (a model without PRI: faults stay unrecoverable).
   */
  enableIopf?(dev: Device): number;
  /**
   * The driver's page-request thread (intel prq_event_thread, amd_iommu_handle_ppr_log,
   * arm_smmu_priq_thread): take every page request the hardware queued and pass each to
   * `report` (iommu_report_device_fault: 0 when an iopf handler took it, else -errno and
   * the driver answers INVALID as iopf_error_response does), or answer it itself where the
   * driver does not deliver page requests. Returns the number of requests taken.
   */
  handlePageRequests?(report: (dev: Device, req: PageRequest) => number): number;
  /**
   * iommu_ops.page_response: complete page request group `grpid` of (dev, pasid) with `code`
   * (IOMMUFD_PAGE_RESP_SUCCESS 0 / INVALID 1). 0, -ENODEV, or -EINVAL when the hardware has
   * no such outstanding request.
   */
  pageResponse?(dev: Device, pasid: number, grpid: number, code: number): number;
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
  /** Walk (paging-structure) cache entries per level (vendor default when absent; 0 = none). */
  walkCacheEntries?: number;
  /** Concurrent page walks (vendor default when absent). */
  walkers?: number;
  /** Capability switches for what-ifs (e.g. { httu: 1 } for SMMUv3 without dirty). */
  caps?: Record<string, number | boolean>;
  /** Kernel whose driver code is modelled (core/iommu/kernel.ts); DEFAULT_KERNEL when absent. */
  kernel?: KernelVersion;
}

/** One page request as the driver's page-request thread reads it (PRQ / PPR log / PRIQ entry). */
export interface PageRequest {
  /** Requester ID / StreamID. */
  sid: number;
  pasid: number;
  /** Faulting address, bytes. */
  iova: number;
  write: boolean;
  /** Page request group index (PRGI / PPR tag / PRG index), 9 bits. */
  grpid: number;
}
