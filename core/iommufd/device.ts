/**
 * Devices and paging HWPTs (drivers/iommu/iommufd/device.c, hw_pagetable.c) in the model the
 * has_group review settled on and mainline implements (docs/threads.md): a paging HWPT is linked to its IOAS (domain added to the io_pagetable)
 * when it is allocated and unlinked when destroyed; group attach is tracked per
 * (ctx, group) in an iommufd_group: the first device attaches the group's domain, the last
 * detach returns the group to the blocking domain (no stale domain), a device whose group
 * sits on another HWPT gets -EINVAL. Auto HWPTs (attach by IOAS id) are attached first and
 * then linked (immediate_attach) and are destroyed with their last device. Replace moves
 * the whole group at once. Returns 0 or negative errno; failures leave no trace.
 */
import { ERRNO } from '../base/errno';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID } from '../uapi/iommufd';
import type { Device } from '../iommu/types';
import type { IommufdCtx } from './ctx';
import { domainEnforceCcOp, iommuGetMsiCookie, PHYS_ADDR_MAX } from '../iommu/iommu';
import { ioptTableAddDomain, ioptTableRemoveDomain } from './iopt-map';
import type { IoPagetable } from './io-pagetable';
import type { AnyObject, Fault, Hwpt, HwptNested, HwptPaging, IGroup, Idev, Ioas } from './objects';
import { hwptPagingOf } from './objects';
import { devicePasidDetach } from './device-pasid';
import { vdeviceForceDestroy } from './viommu';

const groups = new WeakMap<IommufdCtx, Map<string, IGroup>>();

function groupKey(dev: Device): string {
  return `${dev.iommu.vendor}:${dev.groupId}`;
}

/** iommufd_selftest_is_mock_dev: devices of the selftest mock IOMMU. */
function isMockDev(dev: Device): boolean {
  return dev.iommu.vendor === 'mock';
}

const UNSAFE_MSI_WARNING =
  'MSI interrupts are not secure, they cannot be isolated by the platform. Check that platform features like interrupt remapping are enabled. Use the "allow_unsafe_interrupts" module parameter to override';

/**
 * iommufd_device_bind (drivers/iommu/iommufd/device.c, v6.3+): get or create the
 * iommufd_group (-ENOMEM); a group without isolated MSI (platform.hasIsolatedMsi false,
 * never asked for mock devices) is -EPERM unless `allowUnsafeInterrupts`, which binds with
 * the kernel's dev_warn instead (the check moved from attach to bind in "iommufd: Move
 * the MSI enforcement into iommufd_device_bind()"); then the object (-ENOMEM). The bound
 * device holds a driver reference (users = 2).
 */
export function deviceBind(ctx: IommufdCtx, dev: Device): Idev | number {
  let map = groups.get(ctx);
  if (!map) {
    map = new Map();
    groups.set(ctx, map);
  }
  const key = groupKey(dev);
  let igroup = map.get(key);
  const newGroup = !igroup;
  if (!igroup) {
    if (ctx.fail.shouldFail('iommufd_group')) return -ERRNO.ENOMEM;
    igroup = { key, hwpt: null, devices: new Set(), bound: new Set(), attachedDevs: new Set(), swMsiStart: PHYS_ADDR_MAX, pasidAttach: new Map() };
  }
  if (!isMockDev(dev) && !(ctx.platform.hasIsolatedMsi?.(dev) ?? true)) {
    if (!ctx.options.allowUnsafeInterrupts) return -ERRNO.EPERM;
    ctx.warn('dev_warn', 'iommufd_device_bind', UNSAFE_MSI_WARNING, dev);
  }
  const idev = ctx.allocObj<Idev>({ type: 'DEVICE', dev, driver: dev.iommu, igroup, hwpt: null, vdev: null, enforceCacheCoherency: dev.iommu.capable(dev, 'IOMMU_CAP_ENFORCE_CACHE_COHERENCY') });
  if (typeof idev === 'number') return idev;
  if (newGroup) map.set(key, igroup);
  igroup.bound.add(idev);
  idev.users++;
  ctx.table.finalize(idev);
  return idev;
}

/**
 * iommufd_device_unbind: force-destroy its vDEVICE (v6.16: the id stays a tombstone until
 * the ctx closes), detach every PASID and the RID if attached, then destroy.
 */
export function deviceUnbind(ctx: IommufdCtx, idev: Idev): void {
  if (idev.vdev) vdeviceForceDestroy(ctx, idev.vdev);
  for (const [pasid, a] of [...idev.igroup.pasidAttach]) if (a.devices.has(idev)) devicePasidDetach(ctx, idev, pasid);
  if (idev.hwpt) deviceDetach(ctx, idev);
  idev.igroup.bound.delete(idev);
  if (idev.igroup.bound.size === 0) groups.get(ctx)?.delete(idev.igroup.key);
  ctx.table.remove(idev);
}

/**
 * iopt_table_enforce_dev_resv_regions(iopt, dev, sw_msi_start) (io_pagetable.c, v6.7-v6.14)
 * with owner = idev: reserve every region but DIRECT_RELAXABLE (-EADDRINUSE over an area or
 * allowed range, -ENOMEM). With `igroup` (attach; replace passes NULL) MSI / SW_MSI regions
 * are counted and a SW_MSI start is stored in igroup.swMsiStart; a SW_MSI with an MSI
 * region, or two SW_MSI regions, is a driver bug: WARN_ON and -EINVAL. Every failure drops
 * this device's reservations.
 */
function enforceResv(ctx: IommufdCtx, iopt: IoPagetable, idev: Idev, igroup: IGroup | null): number {
  const regions = ctx.platform.resvRegions?.(idev.dev) ?? [];
  let hw = 0;
  let sw = 0;
  for (const r of regions) {
    if (r.type === 'DIRECT_RELAXABLE') continue;
    if (igroup && r.type === 'MSI') hw++;
    if (igroup && r.type === 'SW_MSI') {
      igroup.swMsiStart = r.start;
      sw++;
    }
    const rc = iopt.reserveIova(r.start, r.start + r.length - 1, idev);
    if (rc) {
      iopt.removeReservedIova(idev);
      return rc;
    }
  }
  if ((sw && hw) || sw > 1) {
    ctx.warn('WARN_ON', 'iopt_table_enforce_dev_resv_regions', sw > 1 && !hw ? 'num_sw_msi > 1' : 'num_sw_msi && num_hw_msi');
    iopt.removeReservedIova(idev);
    return -ERRNO.EINVAL;
  }
  return 0;
}

/**
 * iommufd_group_setup_msi (device.c, v6.7-v6.14): when the group has a SW_MSI region and the
 * domain no cookie yet, iommu_get_msi_cookie(domain, sw_msi_start) (errors returned as
 * is) and set hwpt.msiCookie, so the cookie is installed once per domain.
 */
function groupSetupMsi(ctx: IommufdCtx, igroup: IGroup, hwpt: HwptPaging): number {
  // find_hwpt_paging: a nested HWPT's MSI cookie lives on its parent's domain.
  if (igroup.swMsiStart !== PHYS_ADDR_MAX && !hwpt.msiCookie) {
    const rc = iommuGetMsiCookie(hwpt.domain, igroup.swMsiStart, ctx.fail);
    if (rc) return rc;
    hwpt.msiCookie = true;
  }
  return 0;
}

/**
 * iommufd_hwpt_paging_attach (device.c, v6.7-v6.14; iommufd_device_attach_reserved_iova
 * later): reserve the device's regions in the HWPT's IOAS, and for the first device of the
 * group set up the MSI cookie; a cookie failure drops the reservations.
 */
function hwptPagingAttachResv(ctx: IommufdCtx, hwpt: HwptPaging, idev: Idev): number {
  // Called with the paging HWPT (the nested HWPT's parent: iommufd_hwpt_attach_device).
  const rc = enforceResv(ctx, hwpt.ioas.iopt, idev, idev.igroup);
  if (rc) return rc;
  if (idev.igroup.devices.size === 0) {
    const m = groupSetupMsi(ctx, idev.igroup, hwpt);
    if (m) {
      hwpt.ioas.iopt.removeReservedIova(idev);
      return m;
    }
  }
  return 0;
}

/**
 * iommufd_hw_pagetable_attach (device.c): group on another HWPT -> -EINVAL; device already
 * in the group's list -> -EBUSY (v6.15+ xa_insert into attach->device_array; v6.7-v6.14 had
 * no check and relied on the caller); a domain of another IOMMU instance -> -EINVAL (the
 * driver's attach_dev check); reserved regions and the MSI cookie (first device of the
 * group); then, for the first device, iommu_attach_group (driver errors returned as is,
 * reservations dropped). Cache coherency is not checked here: since v6.7 it is fixed at
 * HWPT allocation and attach_dev decides.
 */
export function hwptAttach(ctx: IommufdCtx, hwpt: Hwpt, idev: Idev): number {
  const g = idev.igroup;
  if (g.devices.has(idev)) return -ERRNO.EBUSY;
  if (g.hwpt && g.hwpt !== hwpt) return -ERRNO.EINVAL;
  if (hwpt.domain.driver !== idev.driver) return -ERRNO.EINVAL;
  let rc = hwptPasidCompat(hwpt, idev, 0);
  if (rc) return rc;
  // iommufd_fault_domain_attach_dev: a HWPT with a fault queue enables the device's IOPF first.
  if (hwpt.fault && idev.driver.enableIopf) {
    rc = idev.driver.enableIopf(idev.dev);
    if (rc) return rc;
  }
  const paging = hwptPagingOf(hwpt);
  rc = hwptPagingAttachResv(ctx, paging, idev);
  if (rc) return rc;
  if (g.devices.size === 0) {
    // iommu_attach_group: every device of the group moves to the domain.
    const members = [idev, ...[...g.bound].filter((d) => d !== idev)];
    const done: Idev[] = [];
    for (const m of members) {
      rc = hwpt.domain.ops.attachDev(hwpt.domain, m.dev);
      if (rc) break;
      done.push(m);
    }
    if (rc) {
      for (const m of done) m.driver.blockDevice(m.dev);
      paging.ioas.iopt.removeReservedIova(idev);
      return rc;
    }
    g.hwpt = hwpt;
    for (const m of done) g.attachedDevs.add(m.dev);
  } else if (!g.attachedDevs.has(idev.dev)) {
    // Bound after the group was attached: the core attaches it when it joins the group.
    rc = hwpt.domain.ops.attachDev(hwpt.domain, idev.dev);
    if (rc) {
      paging.ioas.iopt.removeReservedIova(idev);
      return rc;
    }
    g.attachedDevs.add(idev.dev);
  }
  g.devices.add(idev);
  idev.hwpt = hwpt;
  hwpt.users++;
  return 0;
}

/**
 * iommufd_hwpt_pasid_compat (device.c, v6.15): on the RID (pasid 0) a HWPT without
 * pasid_compat is -EINVAL while any PASID of the group is attached; on a PASID the HWPT must
 * be pasid_compat and the RID's HWPT (if any) too, else -EINVAL.
 */
export function hwptPasidCompat(hwpt: Hwpt, idev: Idev, pasid: number): number {
  const g = idev.igroup;
  if (pasid === 0) return !hwpt.pasidCompat && g.pasidAttach.size > 0 ? -ERRNO.EINVAL : 0;
  if (!hwpt.pasidCompat) return -ERRNO.EINVAL;
  if (g.hwpt && !g.hwpt.pasidCompat) return -ERRNO.EINVAL;
  return 0;
}

/** iommufd_hw_pagetable_detach: the last device of the group blocks the group. */
function hwptDetach(hwpt: Hwpt, idev: Idev): void {
  const g = idev.igroup;
  g.devices.delete(idev);
  if (g.devices.size === 0) {
    // iommu_detach_group: the whole group returns to the blocking domain.
    for (const d of g.attachedDevs) d.iommu.blockDevice(d);
    g.attachedDevs.clear();
    g.hwpt = null;
  }
  hwptPagingOf(hwpt).ioas.iopt.removeReservedIova(idev);
  idev.hwpt = null;
}

/** Drop a holder's reference; an auto HWPT dies with its last device. */
function hwptPut(ctx: IommufdCtx, hwpt: Hwpt): void {
  hwpt.users--;
  if (hwpt.type === 'HWPT_PAGING' && hwpt.autoDomain && hwpt.users === 1) ctx.destroyObj(hwpt);
}

/** iommufd_hwpt_paging_destroy: unlink from the IOAS and free the domain. */
export function hwptDestroy(ctx: IommufdCtx, hwpt: HwptPaging): void {
  const i = hwpt.ioas.hwptList.indexOf(hwpt);
  if (i >= 0) {
    hwpt.ioas.hwptList.splice(i, 1);
    ioptTableRemoveDomain(hwpt.ioas.iopt, hwpt.domain);
  }
  hwpt.domain.ops.free(hwpt.domain);
  hwpt.ioas.users--;
  if (hwpt.fault) hwpt.fault.users--;
}

/** iommufd_hwpt_nested_destroy: free the domain, drop the vIOMMU (or parent) and fault references. */
export function hwptNestedDestroy(hwpt: HwptNested): void {
  hwpt.domain.ops.free(hwpt.domain);
  if (hwpt.viommu) hwpt.viommu.users--;
  else hwpt.parent.users--;
  if (hwpt.fault) hwpt.fault.users--;
}

/**
 * iommufd_hwpt_paging_enforce_cc (hw_pagetable.c): 0 when the HWPT already enforces cache
 * coherency, else ask the domain's enforce_cache_coherency op; -EINVAL when it cannot or
 * the domain has no such op (as the kernel).
 */
function hwptPagingEnforceCc(hwpt: HwptPaging): number {
  if (hwpt.enforceCacheCoherency) return 0;
  const op = domainEnforceCcOp(hwpt.domain);
  hwpt.enforceCacheCoherency = op ? op(hwpt.domain) : false;
  return hwpt.enforceCacheCoherency ? 0 : -ERRNO.EINVAL;
}

/**
 * iommufd_hwpt_paging_alloc (hw_pagetable.c): flags outside NEST_PARENT|DIRTY_TRACKING|PASID
 * -> -EOPNOTSUPP; DIRTY_TRACKING on a device without IOMMU_CAP_DIRTY_TRACKING -> -EOPNOTSUPP;
 * driver errors; for a device that needs enforced coherency the domain must enforce it
 * before anything is mapped (a failure is a driver bug: WARN_ON, -EINVAL); with
 * immediateAttach the device is attached first (auto domains); linking errors of
 * iopt_table_add_domain (the device is detached again). Every failure aborts the object.
 * The result is not yet finalized.
 */
export function hwptPagingAlloc(ctx: IommufdCtx, ioas: Ioas, idev: Idev, flags: number, immediateAttach: boolean, fault: Fault | null): HwptPaging | number {
  const valid = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID;
  if (flags & ~valid) return -ERRNO.EOPNOTSUPP;
  if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING && !idev.driver.capable(idev.dev, 'IOMMU_CAP_DIRTY_TRACKING')) return -ERRNO.EOPNOTSUPP;
  const domain = idev.driver.domainAllocPagingFlags(idev.dev, flags);
  if (typeof domain === 'number') return domain;
  const hwpt = ctx.allocObj<HwptPaging>({
    type: 'HWPT_PAGING', ioas, domain, autoDomain: false, nestParent: (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) !== 0,
    dirtyTracking: (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0, enforceCacheCoherency: false, msiCookie: false, fault,
    pasidCompat: (flags & IOMMU_HWPT_ALLOC_PASID) !== 0,
  });
  if (typeof hwpt === 'number') {
    domain.ops.free(domain);
    return hwpt;
  }
  ioas.users++;
  if (fault) fault.users++;
  const abort = (rc: number): number => {
    ctx.table.remove(hwpt);
    domain.ops.free(domain);
    ioas.users--;
    if (fault) fault.users--;
    return rc;
  };
  if (idev.enforceCacheCoherency) {
    const rc = hwptPagingEnforceCc(hwpt);
    if (rc) {
      ctx.warn('WARN_ON', 'iommufd_hwpt_paging_alloc', 'iommufd_hwpt_paging_enforce_cc() failed on a new domain', idev.dev);
      return abort(rc);
    }
  }
  if (immediateAttach) {
    const rc = hwptAttach(ctx, hwpt, idev);
    if (rc) return abort(rc);
  }
  const rc = ioptTableAddDomain(ioas.iopt, domain);
  if (rc) {
    if (immediateAttach) {
      hwptDetach(hwpt, idev);
      hwpt.users--;
    }
    return abort(rc);
  }
  ioas.hwptList.push(hwpt);
  return hwpt;
}

/** Result of attach/replace: the HWPT actually used (written back to *pt_id). */
export interface AttachResult {
  rc: number;
  ptId: number;
}

/**
 * iommufd_device_attach(idev, pt_id): pt_id unknown -> -ENOENT; not an IOAS or paging HWPT
 * -> -EINVAL; device already attached -> -EBUSY (v6.15+: its id is already in the group's
 * attach->device_array; vfio turns a second attach into a replace instead).
 */
export function deviceAttach(ctx: IommufdCtx, idev: Idev, ptId: number): AttachResult {
  const obj = ctx.table.get(ptId);
  if (!obj) return { rc: -ERRNO.ENOENT, ptId };
  const isHwpt = obj.type === 'HWPT_PAGING' || obj.type === 'HWPT_NESTED';
  if (idev.hwpt && (isHwpt || obj.type === 'IOAS')) return { rc: -ERRNO.EBUSY, ptId };
  let rc: number;
  let used: Hwpt | null = null;
  if (isHwpt) {
    rc = hwptAttach(ctx, obj, idev);
    used = obj;
  } else if (obj.type === 'IOAS') {
    const r = autoGetDomain(ctx, idev, obj, false);
    rc = r.rc;
    used = r.hwpt;
  } else {
    return { rc: -ERRNO.EINVAL, ptId };
  }
  if (rc) return { rc, ptId };
  idev.users++;
  return { rc: 0, ptId: used!.id };
}

/** iommufd_device_auto_get_domain: reuse a compatible auto HWPT (-EINVAL = try next) or make one. */
function autoGetDomain(ctx: IommufdCtx, idev: Idev, ioas: Ioas, replace: boolean): { rc: number; hwpt: HwptPaging | null } {
  for (const hwpt of [...ioas.hwptList]) {
    if (!hwpt.autoDomain) continue;
    const rc = replace ? doReplace(ctx, idev, hwpt) : hwptAttach(ctx, hwpt, idev);
    if (rc === -ERRNO.EINVAL) continue;
    return { rc, hwpt: rc ? null : hwpt };
  }
  const hwpt = hwptPagingAlloc(ctx, ioas, idev, 0, !replace, null);
  if (typeof hwpt === 'number') return { rc: hwpt, hwpt: null };
  hwpt.autoDomain = true;
  if (replace) {
    const rc = doReplace(ctx, idev, hwpt);
    if (rc) {
      ctx.destroyObj(hwpt);
      return { rc, hwpt: null };
    }
    ctx.table.finalize(hwpt);
    return { rc: 0, hwpt };
  }
  ctx.table.finalize(hwpt);
  return { rc: 0, hwpt };
}

/** iommufd_device_detach. */
export function deviceDetach(ctx: IommufdCtx, idev: Idev): number {
  const hwpt = idev.hwpt;
  if (!hwpt) return -ERRNO.EINVAL;
  hwptDetach(hwpt, idev);
  hwptPut(ctx, hwpt);
  idev.users--;
  return 0;
}

/**
 * iommufd_device_do_replace (device.c, v6.7-v6.14): move idev's whole group from its HWPT to
 * `hwpt` (iommu_group_replace_domain): not attached -> -EINVAL; same HWPT -> 0; the group's
 * devices' regions reserved in the new IOAS when it changes (no MSI counting: NULL
 * sw_msi_start), the MSI cookie set up on the new domain, then the switch; failures drop
 * the new reservations and leave the group on its old HWPT.
 */
function doReplace(ctx: IommufdCtx, idev: Idev, hwpt: Hwpt): number {
  const g = idev.igroup;
  const old = g.hwpt;
  if (!old || !g.devices.has(idev)) return -ERRNO.EINVAL;
  if (old === hwpt) return 0;
  if (hwpt.domain.driver !== idev.driver) return -ERRNO.EINVAL;
  const compat = hwptPasidCompat(hwpt, idev, 0);
  if (compat) return compat;
  const moved = [...g.devices];
  const newPaging = hwptPagingOf(hwpt);
  const oldPaging = hwptPagingOf(old);
  const newIopt = newPaging.ioas.iopt;
  const ioasChanged = newPaging.ioas !== oldPaging.ioas;
  if (ioasChanged) {
    for (const d of moved) {
      const rc = enforceResv(ctx, newIopt, d, null);
      if (rc) {
        for (const e of moved) newIopt.removeReservedIova(e);
        return rc;
      }
    }
  }
  const msi = groupSetupMsi(ctx, g, newPaging);
  if (msi) {
    if (ioasChanged) for (const e of moved) newIopt.removeReservedIova(e);
    return msi;
  }
  const done: Device[] = [];
  let rc = 0;
  for (const d of g.attachedDevs) {
    rc = hwpt.domain.ops.attachDev(hwpt.domain, d);
    if (rc) break;
    done.push(d);
  }
  if (rc) {
    for (const d of done) old.domain.ops.attachDev(old.domain, d);
    if (ioasChanged) for (const e of moved) newIopt.removeReservedIova(e);
    return rc;
  }
  if (ioasChanged) for (const e of moved) oldPaging.ioas.iopt.removeReservedIova(e);
  g.hwpt = hwpt;
  for (const d of moved) d.hwpt = hwpt;
  hwpt.users += moved.length;
  old.users -= moved.length - 1;
  hwptPut(ctx, old);
  return 0;
}

/** iommufd_device_replace(idev, pt_id): -EINVAL when not attached. */
export function deviceReplace(ctx: IommufdCtx, idev: Idev, ptId: number): AttachResult {
  if (!idev.hwpt) return { rc: -ERRNO.EINVAL, ptId };
  const obj = ctx.table.get(ptId);
  if (!obj) return { rc: -ERRNO.ENOENT, ptId };
  if (obj.type === 'HWPT_PAGING' || obj.type === 'HWPT_NESTED') {
    const rc = doReplace(ctx, idev, obj);
    return { rc, ptId: rc ? ptId : obj.id };
  }
  if (obj.type === 'IOAS') {
    const r = autoGetDomain(ctx, idev, obj, true);
    return { rc: r.rc, ptId: r.hwpt ? r.hwpt.id : ptId };
  }
  return { rc: -ERRNO.EINVAL, ptId };
}

/** Register HWPT destroy with the ctx. */
export function registerDeviceDestroyers(ctx: IommufdCtx): void {
  ctx.destroyers.set('HWPT_PAGING', (o: AnyObject) => hwptDestroy(ctx, o as HwptPaging));
  ctx.destroyers.set('HWPT_NESTED', (o: AnyObject) => hwptNestedDestroy(o as HwptNested));
}
