/**
 * iommufd objects and the ctx object table (drivers/iommu/iommufd/main.c,
 * iommufd_private.h). Ids come from an allocating xarray starting at 1 (lowest free id
 * first; 0 is never valid). Every object holds one reference for the table (`users` = 1
 * when idle); IOMMU_DESTROY removes an object only while that is its only reference and
 * otherwise fails with EBUSY. Objects are allocated, then finalized (visible to lookups),
 * or aborted (id released, nothing visible) - the kernel's iommufd_object_alloc /
 * finalize / abort.
 */
import type { Device, IommuDomain, IommuDevice, ViommuOps } from '../iommu/types';
import type { IoPagetable } from './io-pagetable';

/** Object types (enum iommufd_object_type). */
export type ObjType = 'IOAS' | 'HWPT_PAGING' | 'HWPT_NESTED' | 'DEVICE' | 'ACCESS' | 'FAULT' | 'VIOMMU' | 'VDEVICE' | 'VEVENTQ' | 'HW_QUEUE' | 'SELFTEST';

/** struct iommufd_object. */
export interface IommufdObject {
  id: number;
  type: ObjType;
  /** References: 1 for the table, +1 per holder. */
  users: number;
  /** False between alloc and finalize: lookups do not see it. */
  finalized: boolean;
}

/** struct iommufd_ioas. */
export interface Ioas extends IommufdObject {
  type: 'IOAS';
  iopt: IoPagetable;
  /** Paging HWPTs linked to this IOAS (their domains are in iopt.domains). */
  hwptList: HwptPaging[];
}

/** struct iommufd_hwpt_paging. */
export interface HwptPaging extends IommufdObject {
  type: 'HWPT_PAGING';
  ioas: Ioas;
  domain: IommuDomain;
  autoDomain: boolean;
  nestParent: boolean;
  /** Allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING. */
  dirtyTracking: boolean;
  /**
   * Fixed at allocation (iommufd_hwpt_paging_alloc); attach never upgrades it (mainline
   * since v6.7, "iommufd: Only enforce cache coherency in iommufd_hw_pagetable_alloc").
   */
  enforceCacheCoherency: boolean;
  /** iommu_get_msi_cookie was called on the domain (iommufd_group_setup_msi; once per domain). */
  msiCookie: boolean;
  fault: Fault | null;
  /** hwpt->pasid_compat: allocated with IOMMU_HWPT_ALLOC_PASID (v6.15). */
  pasidCompat: boolean;
}

/**
 * struct iommufd_hwpt_nested (v6.7+): a NESTED domain over a nesting-parent paging HWPT,
 * allocated from the parent (pt_id = parent HWPT) or from a vIOMMU (v6.13, pt_id = vIOMMU).
 * Holds a reference on the vIOMMU when it has one, else on the parent.
 */
export interface HwptNested extends IommufdObject {
  type: 'HWPT_NESTED';
  parent: HwptPaging;
  viommu: Viommu | null;
  domain: IommuDomain;
  fault: Fault | null;
  pasidCompat: boolean;
}

/** struct iommufd_hw_pagetable: either kind. */
export type Hwpt = HwptPaging | HwptNested;

/** The paging HWPT whose IOAS a HWPT translates through (iommufd_get_hwpt_paging / find_hwpt_paging). */
export function hwptPagingOf(h: Hwpt): HwptPaging {
  return h.type === 'HWPT_PAGING' ? h : h.parent;
}

/** struct iommufd_viommu (v6.13): a slice of a physical IOMMU owned by a VM over a nesting parent. */
export interface Viommu extends IommufdObject {
  type: 'VIOMMU';
  viommuType: number;
  hwpt: HwptPaging;
  /** The physical IOMMU instance (viommu->iommu_dev). */
  iommuDev: IommuDevice;
  ops: ViommuOps;
  /** viommu->vdevs: vDEVICEs by virt_id. */
  vdevs: Map<bigint, Vdevice>;
  /** vEVENTQs by type (one per type). */
  veventqs: Map<number, Veventq>;
  /** HW queues by index. */
  hwQueues: Map<number, HwQueue>;
}

/** struct iommufd_vdevice (v6.13): a device's identity (virt_id = vSID / vRID / vDeviceID) on a vIOMMU. */
export interface Vdevice extends IommufdObject {
  type: 'VDEVICE';
  viommu: Viommu;
  idev: Idev;
  virtId: bigint;
}

/** One vEVENTQ record as read(2) returns it: struct iommufd_vevent_header + the event data. */
export interface Vevent {
  flags: number;
  sequence: number;
  /** Driver event bytes (absent on a LOST_EVENTS header). */
  data: Uint8Array | null;
}

/** struct iommufd_veventq (v6.15): guest-visible events of one type from a vIOMMU. */
export interface Veventq extends IommufdObject {
  type: 'VEVENTQ';
  viommu: Viommu;
  eventType: number;
  depth: number;
  fd: number;
  /** Queued records, oldest first (a LOST_EVENTS header only ever at the tail). */
  deliver: Vevent[];
  /** Normal events queued (num_events). */
  numEvents: number;
  /** Next sequence number (0..INT_MAX, wraps). */
  sequence: number;
}

/** struct iommufd_hw_queue (v6.17): a VM-owned hardware queue (e.g. a Tegra241 VCMDQ). */
export interface HwQueue extends IommufdObject {
  type: 'HW_QUEUE';
  viommu: Viommu;
  queueType: number;
  index: number;
  /** IOVA in the parent's IOAS and length, bytes; the pages stay pinned by an internal access. */
  iova: number;
  length: number;
  /** The queue this one depends on (destroy of it is -EBUSY while this exists). */
  dependsOn: HwQueue | null;
  /** The internal access pinning the queue memory. */
  access: Access;
  accessPinId: number;
}

/** struct iommufd_group: per (ctx, iommu_group) attach state. */
export interface IGroup {
  key: string;
  hwpt: Hwpt | null;
  /** iommufd devices of this group attached to hwpt. */
  devices: Set<Idev>;
  /** iommufd devices of this group bound to the ctx. */
  bound: Set<Idev>;
  /** Physical devices the group attach moved to hwpt.domain (blocked again on the last detach). */
  attachedDevs: Set<Device>;
  /** igroup->sw_msi_start: start of the group's IOMMU_RESV_SW_MSI region, PHYS_ADDR_MAX when none seen. */
  swMsiStart: number;
  /** igroup->pasid_attach for pasid != IOMMU_NO_PASID (v6.15): the HWPT and devices per PASID. */
  pasidAttach: Map<number, { hwpt: Hwpt; devices: Set<Idev> }>;
}

/** struct iommufd_device. */
export interface Idev extends IommufdObject {
  type: 'DEVICE';
  dev: Device;
  driver: IommuDevice;
  igroup: IGroup;
  hwpt: Hwpt | null;
  enforceCacheCoherency: boolean;
  /** idev->vdev (v6.16): the device's vDEVICE; unbinding force-destroys it (tombstone). */
  vdev: Vdevice | null;
}

/** A pin taken by an access (struct iommufd_access + the selftest's staccess pages). */
export interface AccessPin {
  id: number;
  iova: number;
  length: number;
}

/** struct iommufd_access (an emulated device reading/writing through an IOAS). */
export interface Access extends IommufdObject {
  type: 'ACCESS';
  ioas: Ioas | null;
  iovaAlignment: number;
  pins: AccessPin[];
  nextPinId: number;
  /** The selftest access unmap callback drops pins in the range (vs. refusing). */
  unmapDropsPins: boolean;
  /**
   * Internal access (iommufd_access_create_internal, v6.17: a HW queue's): not in the
   * object table; an unmap over its pins is -EBUSY. Returns whether a pin meets [iova, last].
   */
  internalPins?: (iova: number, last: number) => boolean;
}

/** struct iommu_hwpt_pgfault record as read from the fault fd. */
export interface PgFault {
  flags: number;
  dev_id: number;
  pasid: number;
  grpid: number;
  perm: number;
  addr: number;
  length: number;
  cookie: number;
}

/** struct iommufd_fault: queue of IOPFs and the groups waiting for a response. */
export interface Fault extends IommufdObject {
  type: 'FAULT';
  fd: number;
  /** Delivered, not yet read. */
  deliver: PgFault[];
  /** Read, waiting for a response, by cookie. */
  response: Map<number, PgFault>;
  nextCookie: number;
  /** Completed responses (cookie, code), oldest first. */
  completed: { cookie: number; code: number }[];
}

/** The selftest mock device object (IOMMUFD_OBJ_SELFTEST): owns one bound idev. */
export interface SelftestDev extends IommufdObject {
  type: 'SELFTEST';
  idev: Idev;
}

export type AnyObject = Ioas | HwptPaging | HwptNested | Idev | Access | Fault | Viommu | Vdevice | Veventq | HwQueue | SelftestDev;

/** The ctx object table. */
export class ObjectTable {
  private readonly map = new Map<number, AnyObject>();

  /** Lowest free id >= 1 (xa_alloc with XA_FLAGS_ALLOC1). */
  private freeId(): number {
    let id = 1;
    while (this.map.has(id)) id++;
    return id;
  }

  /** Reserve an id for `obj` (not yet visible). */
  insert<T extends AnyObject>(obj: Omit<T, 'id' | 'users' | 'finalized'>): T {
    const full = { ...obj, id: this.freeId(), users: 1, finalized: false } as T;
    this.map.set(full.id, full);
    return full;
  }

  finalize(obj: AnyObject): void {
    obj.finalized = true;
  }

  /** Release an unfinalized or destroyed object's id. */
  remove(obj: AnyObject): void {
    if (this.map.get(obj.id) === obj) this.map.delete(obj.id);
  }

  /**
   * Keep `obj`'s id allocated but invisible (xa_cmpxchg to XA_ZERO_ENTRY): the vDEVICE
   * tombstone of v6.16 - the id is neither found nor reused until the ctx closes.
   */
  tombstone(obj: AnyObject): void {
    if (this.map.get(obj.id) === obj) obj.finalized = false;
  }

  /** Visible object by id (and type), or undefined. */
  get(id: number, type?: ObjType): AnyObject | undefined {
    const o = this.map.get(id);
    if (!o || !o.finalized) return undefined;
    if (type && o.type !== type) return undefined;
    return o;
  }

  /** Every object, ascending id. */
  all(): AnyObject[] {
    return [...this.map.values()].sort((a, b) => a.id - b.id);
  }

  get size(): number {
    return this.map.size;
  }
}
