/**
 * vIOMMU, vDEVICE and HW queue objects (drivers/iommu/iommufd/viommu.c, v6.13 objects with
 * the v6.16 get_viommu_size/viommu_init split, the v6.16 vDEVICE tombstone and the v6.17
 * HW queue). Handlers follow the kernel's validation order and errnos:
 *  - IOMMU_VIOMMU_ALLOC: flags or type DEFAULT -> EOPNOTSUPP; dev_id -> ENOENT; the driver
 *    has no vIOMMU support or not this type (get_viommu_size 0) -> EOPNOTSUPP; hwpt_id not a
 *    paging HWPT -> ENOENT; not a nesting parent -> EINVAL; object -> ENOMEM; viommu_init's
 *    errno. The vIOMMU holds a reference on its parent HWPT.
 *  - IOMMU_VDEVICE_ALLOC: viommu_id -> ENOENT; dev_id -> ENOENT; another IOMMU instance ->
 *    EINVAL; the device already has a vDEVICE -> EEXIST; object -> ENOMEM; the virt_id taken
 *    on this vIOMMU -> EEXIST. Unbinding the device force-destroys its vDEVICE and leaves
 *    the id as a tombstone (IOMMU_DESTROY -> ENOENT, never reused) until the ctx closes.
 *  - IOMMU_HW_QUEUE_ALLOC: flags or type DEFAULT -> EOPNOTSUPP; length 0 -> EINVAL;
 *    nesting_parent_iova + length - 1 overflows u64 -> EOVERFLOW; viommu_id -> ENOENT; no
 *    HW-queue ops or type -> EOPNOTSUPP; object -> ENOMEM; an internal access pins the queue
 *    memory in the parent's IOAS (hole -> ENOENT, not physically contiguous -> EFAULT); the
 *    driver's hw_queue_init_phys errno. IOAS_UNMAP over the pinned pages is -EBUSY.
 */
import { ERRNO } from '../base/errno';
import type { ViommuCore } from '../iommu/types';
import type { UserData } from '../iommu/user-data';
import { IOMMU_HW_QUEUE_TYPE_DEFAULT, IOMMU_VIOMMU_TYPE_DEFAULT, U64_MAX } from '../uapi/iommufd';
import { accessPin, accessUnpin } from './access';
import type { Cmd } from './cmd';
import { num } from './cmd';
import type { IommufdCtx } from './ctx';
import { veventReport } from './eventq';
import { PAGE_SIZE } from './mm';
import type { Access, AnyObject, HwptPaging, HwQueue, Idev, Vdevice, Viommu } from './objects';

/** The iommufd helpers a driver's vIOMMU uses (iommufd_viommu_find_dev, _get_vdev_id, _report_event). */
function viommuCore(ctx: IommufdCtx, viommu: Viommu): ViommuCore {
  return {
    type: viommu.viommuType,
    parent: viommu.hwpt.domain,
    findDev: (virtId) => viommu.vdevs.get(virtId)?.idev.dev ?? null,
    vdevIdOf: (dev) => {
      for (const v of viommu.vdevs.values()) if (v.idev.dev === dev) return v.virtId;
      return -ERRNO.ENOENT;
    },
    reportEvent: (type, data) => veventReport(ctx, viommu, type, data),
  };
}

/** IOMMU_VIOMMU_ALLOC (iommufd_viommu_alloc_ioctl). */
export function viommuAlloc(ctx: IommufdCtx, cmd: Cmd): number {
  const type = Number(cmd.type);
  if (cmd.flags || type === IOMMU_VIOMMU_TYPE_DEFAULT) return -ERRNO.EOPNOTSUPP;
  const idev = ctx.getObj<Idev>(Number(cmd.dev_id), 'DEVICE');
  if (typeof idev === 'number') return idev;
  const drv = idev.driver;
  if (!drv.getViommuSize || !drv.viommuInit) return -ERRNO.EOPNOTSUPP;
  if (!drv.getViommuSize(idev.dev, type)) return -ERRNO.EOPNOTSUPP;
  const hwpt = ctx.getObj<HwptPaging>(Number(cmd.hwpt_id), 'HWPT_PAGING');
  if (typeof hwpt === 'number') return hwpt;
  if (!hwpt.nestParent) return -ERRNO.EINVAL;
  const viommu = ctx.allocObj<Viommu>({ type: 'VIOMMU', viommuType: type, hwpt, iommuDev: drv, ops: {}, vdevs: new Map(), veventqs: new Map(), hwQueues: new Map() });
  if (typeof viommu === 'number') return viommu;
  const data: UserData | null = cmd.data_len ? { type, uptr: num(cmd.data_uptr), len: Number(cmd.data_len), mem: ctx.mm } : null;
  const ops = drv.viommuInit(idev.dev, hwpt.domain, data, viommuCore(ctx, viommu));
  if (typeof ops === 'number') {
    ctx.table.remove(viommu);
    return ops;
  }
  viommu.ops = ops;
  hwpt.users++;
  ctx.table.finalize(viommu);
  cmd.out_viommu_id = BigInt(viommu.id);
  return 0;
}

/** IOMMU_VDEVICE_ALLOC (iommufd_vdevice_alloc_ioctl, v6.16). */
export function vdeviceAlloc(ctx: IommufdCtx, cmd: Cmd): number {
  const viommu = ctx.getObj<Viommu>(Number(cmd.viommu_id), 'VIOMMU');
  if (typeof viommu === 'number') return viommu;
  const idev = ctx.getObj<Idev>(Number(cmd.dev_id), 'DEVICE');
  if (typeof idev === 'number') return idev;
  if (viommu.iommuDev !== idev.driver) return -ERRNO.EINVAL;
  if (idev.vdev) return -ERRNO.EEXIST;
  const vdev = ctx.allocObj<Vdevice>({ type: 'VDEVICE', viommu, idev, virtId: cmd.virt_id });
  if (typeof vdev === 'number') return vdev;
  // xa_cmpxchg(&viommu->vdevs, virt_id, NULL, vdev, GFP_KERNEL).
  if (viommu.vdevs.has(cmd.virt_id)) {
    ctx.table.remove(vdev);
    return -ERRNO.EEXIST;
  }
  if (ctx.fail.shouldFail('viommu_vdevs')) {
    ctx.table.remove(vdev);
    return -ERRNO.ENOMEM;
  }
  viommu.vdevs.set(cmd.virt_id, vdev);
  viommu.users++;
  idev.vdev = vdev;
  ctx.table.finalize(vdev);
  cmd.out_vdevice_id = BigInt(vdev.id);
  return 0;
}

function vdeviceRelease(vdev: Vdevice): void {
  if (vdev.viommu.vdevs.get(vdev.virtId) === vdev) vdev.viommu.vdevs.delete(vdev.virtId);
  vdev.viommu.users--;
  if (vdev.idev.vdev === vdev) vdev.idev.vdev = null;
}

/** iommufd_device_unbind -> iommufd_vdevice_abort: the vDEVICE dies, its id stays a tombstone. */
export function vdeviceForceDestroy(ctx: IommufdCtx, vdev: Vdevice): void {
  vdeviceRelease(vdev);
  ctx.table.tombstone(vdev);
}

/** The physical address of [iova, iova+length) when its pinned pages are contiguous, else -EFAULT. */
function contiguousPhys(viommu: Viommu, iova: number, length: number): number {
  const first = Math.floor(iova / PAGE_SIZE) * PAGE_SIZE;
  let prev = -1;
  for (let p = first; p < iova + length; p += PAGE_SIZE) {
    const pa = physOfIova(viommu, p);
    if (pa < 0 || (prev >= 0 && pa !== prev + PAGE_SIZE)) return -ERRNO.EFAULT;
    prev = pa;
  }
  return physOfIova(viommu, first) + (iova - first);
}

/** CPU physical address of a pinned IOVA through the IOAS's pages (not a domain walk). */
function physOfIova(viommu: Viommu, iova: number): number {
  const area = viommu.hwpt.ioas.iopt.areaIterFirst(iova, iova);
  if (!area || !area.pages) return -1;
  const off = area.startByte + (iova - area.iova);
  const idx = Math.floor(off / PAGE_SIZE);
  if (!area.pages.pinRefs[idx]) return -1;
  return area.pages.physAt(off);
}

/** IOMMU_HW_QUEUE_ALLOC (iommufd_hw_queue_alloc_ioctl, v6.17). */
export function hwQueueAlloc(ctx: IommufdCtx, cmd: Cmd): number {
  const type = Number(cmd.type);
  if (cmd.flags || type === IOMMU_HW_QUEUE_TYPE_DEFAULT) return -ERRNO.EOPNOTSUPP;
  if (!cmd.length) return -ERRNO.EINVAL;
  if (cmd.nesting_parent_iova + cmd.length - 1n > U64_MAX) return -ERRNO.EOVERFLOW;
  const viommu = ctx.getObj<Viommu>(Number(cmd.viommu_id), 'VIOMMU');
  if (typeof viommu === 'number') return viommu;
  const ops = viommu.ops;
  if (!ops.getHwQueueSize || !ops.hwQueueInitPhys) return -ERRNO.EOPNOTSUPP;
  if (!ops.getHwQueueSize(type)) return -ERRNO.EOPNOTSUPP;
  const iova = num(cmd.nesting_parent_iova);
  const length = num(cmd.length);
  if (iova < 0 || length < 0) return -ERRNO.EOVERFLOW;
  const ioas = viommu.hwpt.ioas;
  const access: Access = { id: 0, type: 'ACCESS', users: 1, finalized: false, ioas, iovaAlignment: 1, pins: [], nextPinId: 1, unmapDropsPins: false };
  access.internalPins = (s, l) => access.pins.some((p) => p.iova <= l && p.iova + p.length - 1 >= s);
  const q = ctx.allocObj<HwQueue>({ type: 'HW_QUEUE', viommu, queueType: type, index: Number(cmd.index), iova, length, dependsOn: null, access, accessPinId: 0 });
  if (typeof q === 'number') return q;
  const abort = (rc: number): number => {
    if (q.accessPinId) accessUnpin(access, q.accessPinId);
    ioas.iopt.removeAccess(access);
    ctx.table.remove(q);
    return rc;
  };
  let rc = ioas.iopt.addAccess(access);
  if (rc) {
    ctx.table.remove(q);
    return rc;
  }
  // Pin [PAGE_ALIGN_DOWN(iova), iova + length) through the internal access.
  const start = Math.floor(iova / PAGE_SIZE) * PAGE_SIZE;
  const pin = accessPin(ctx, access, start, iova + length - start, false);
  if (pin < 0) return abort(pin);
  q.accessPinId = pin;
  const base = contiguousPhys(viommu, iova, length);
  if (base < 0) return abort(base);
  const r = ops.hwQueueInitPhys(q.index, base, length);
  if (r.rc) return abort(r.rc);
  if (r.dependsOn !== undefined) {
    const dep = viommu.hwQueues.get(r.dependsOn) ?? null;
    q.dependsOn = dep;
    if (dep) dep.users++;
  }
  rc = 0;
  viommu.hwQueues.set(q.index, q);
  viommu.users++;
  ioas.users++;
  ctx.table.finalize(q);
  cmd.out_hw_queue_id = BigInt(q.id);
  return rc;
}

/** Destroy hooks of VIOMMU, VDEVICE and HW_QUEUE. */
export function registerViommu(ctx: IommufdCtx): void {
  ctx.destroyers.set('VIOMMU', (o: AnyObject) => {
    const v = o as Viommu;
    v.ops.destroy?.();
    v.hwpt.users--;
  });
  ctx.destroyers.set('VDEVICE', (o: AnyObject) => vdeviceRelease(o as Vdevice));
  ctx.destroyers.set('HW_QUEUE', (o: AnyObject) => {
    const q = o as HwQueue;
    q.viommu.ops.hwQueueDestroy?.(q.index);
    if (q.viommu.hwQueues.get(q.index) === q) q.viommu.hwQueues.delete(q.index);
    if (q.dependsOn) q.dependsOn.users--;
    accessUnpin(q.access, q.accessPinId);
    q.access.ioas?.iopt.removeAccess(q.access);
    q.access.ioas!.users--;
    q.viommu.users--;
  });
}
