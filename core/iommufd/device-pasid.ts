/**
 * PASID attach / replace / detach of an iommufd device (drivers/iommu/iommufd/device.c,
 * the PASID series of v6.15: iommufd_device_attach/replace/detach(idev, pasid, pt_id) with
 * pasid != IOMMU_NO_PASID; drivers/iommu/iommu.c iommu_attach_device_pasid /
 * iommu_replace_device_pasid). Per group and PASID the state is igroup->pasid_attach[pasid]
 * = { hwpt, device_array }. Validation order as the kernel:
 *  - pt_id unknown -> ENOENT; an IOAS -> EINVAL (auto domains are never pasid_compat, so
 *    iommufd_device_auto_get_domain fails its compat check on every candidate); not a HWPT
 *    -> EINVAL;
 *  - attach: the device already attached at that PASID -> EBUSY ("attach does not
 *    overwrite"); the group's PASID on another HWPT -> EINVAL; iommufd_hwpt_pasid_compat ->
 *    EINVAL; the domain has no set_dev_pasid -> EOPNOTSUPP; pasid >= the device's
 *    max_pasids (1 << out_max_pasid_log2; 0 without PASID) -> EINVAL; the driver's errno;
 *  - replace: nothing attached at that PASID -> EINVAL; same HWPT -> 0; compat -> EINVAL;
 *    driver failure leaves the old HWPT attached;
 *  - detach of a PASID with nothing attached is silently a no-op.
 * Reserved regions and MSI cookies are RID-only (attach_resv = pasid == IOMMU_NO_PASID).
 */
import { ERRNO } from '../base/errno';
import type { IommufdCtx } from './ctx';
import type { AttachResult } from './device';
import { hwptPasidCompat } from './device';
import type { Hwpt, Idev } from './objects';

/** iommu_attach_device_pasid's per-device checks + set_dev_pasid. */
function setDevPasid(hwpt: Hwpt, idev: Idev, pasid: number, old: Hwpt | null): number {
  const domain = hwpt.domain;
  if (!domain.ops.setDevPasid) return -ERRNO.EOPNOTSUPP;
  const maxPasids = idev.dev.maxPasidLog2 ? 2 ** idev.dev.maxPasidLog2 : 0;
  if (pasid >= maxPasids) return -ERRNO.EINVAL;
  return domain.ops.setDevPasid(domain, idev.dev, pasid, old ? old.domain : null);
}

function lookupHwpt(ctx: IommufdCtx, ptId: number): Hwpt | number {
  const obj = ctx.table.get(ptId);
  if (!obj) return -ERRNO.ENOENT;
  if (obj.type === 'HWPT_PAGING' || obj.type === 'HWPT_NESTED') return obj;
  return -ERRNO.EINVAL;
}

/** The HWPT attached at `pasid` of idev's group, or null. */
export function pasidHwpt(idev: Idev, pasid: number): Hwpt | null {
  const a = idev.igroup.pasidAttach.get(pasid);
  return a && a.devices.has(idev) ? a.hwpt : null;
}

/** iommufd_device_attach(idev, pasid, &pt_id), pasid != 0. */
export function devicePasidAttach(ctx: IommufdCtx, idev: Idev, pasid: number, ptId: number): AttachResult {
  const hwpt = lookupHwpt(ctx, ptId);
  if (typeof hwpt === 'number') return { rc: hwpt, ptId };
  const g = idev.igroup;
  // xa_cmpxchg(&igroup->pasid_attach, ...) and xa_insert(&attach->device_array, ...).
  if (ctx.fail.shouldFail('pasid_attach')) return { rc: -ERRNO.ENOMEM, ptId };
  const cur = g.pasidAttach.get(pasid);
  if (cur?.devices.has(idev)) return { rc: -ERRNO.EBUSY, ptId };
  if (cur && cur.hwpt !== hwpt) return { rc: -ERRNO.EINVAL, ptId };
  if (hwpt.domain.driver !== idev.driver) return { rc: -ERRNO.EINVAL, ptId };
  if (!cur) {
    let rc = hwptPasidCompat(hwpt, idev, pasid);
    if (rc) return { rc, ptId };
    rc = setDevPasid(hwpt, idev, pasid, null);
    if (rc) return { rc, ptId };
    g.pasidAttach.set(pasid, { hwpt, devices: new Set([idev]) });
  } else {
    cur.devices.add(idev);
  }
  hwpt.users++;
  idev.users++;
  return { rc: 0, ptId: hwpt.id };
}

/** iommufd_device_replace(idev, pasid, &pt_id), pasid != 0. */
export function devicePasidReplace(ctx: IommufdCtx, idev: Idev, pasid: number, ptId: number): AttachResult {
  const g = idev.igroup;
  const cur = g.pasidAttach.get(pasid);
  if (!cur || !cur.devices.has(idev)) return { rc: -ERRNO.EINVAL, ptId };
  const hwpt = lookupHwpt(ctx, ptId);
  if (typeof hwpt === 'number') return { rc: hwpt, ptId };
  if (hwpt === cur.hwpt) return { rc: 0, ptId: hwpt.id };
  if (hwpt.domain.driver !== idev.driver) return { rc: -ERRNO.EINVAL, ptId };
  const compat = hwptPasidCompat(hwpt, idev, pasid);
  if (compat) return { rc: compat, ptId };
  const done: Idev[] = [];
  let rc = 0;
  for (const d of cur.devices) {
    rc = setDevPasid(hwpt, d, pasid, cur.hwpt);
    if (rc) break;
    done.push(d);
  }
  if (rc) {
    for (const d of done) setDevPasid(cur.hwpt, d, pasid, hwpt);
    return { rc, ptId };
  }
  const n = cur.devices.size;
  hwpt.users += n;
  cur.hwpt.users -= n;
  cur.hwpt = hwpt;
  return { rc: 0, ptId: hwpt.id };
}

/** iommufd_device_detach(idev, pasid): no-op when nothing is attached there. */
export function devicePasidDetach(ctx: IommufdCtx, idev: Idev, pasid: number): void {
  void ctx;
  const g = idev.igroup;
  const cur = g.pasidAttach.get(pasid);
  if (!cur || !cur.devices.has(idev)) return;
  cur.devices.delete(idev);
  if (cur.devices.size === 0) {
    idev.driver.removeDevPasid?.(idev.dev, pasid, cur.hwpt.domain);
    g.pasidAttach.delete(pasid);
  }
  cur.hwpt.users--;
  idev.users--;
}
