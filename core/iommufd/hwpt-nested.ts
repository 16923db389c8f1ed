/**
 * Nested HWPTs and user cache invalidation (drivers/iommu/iommufd/hw_pagetable.c,
 * v6.13-v6.18 order): iommufd_hwpt_nested_alloc (pt_id = a NEST_PARENT paging HWPT),
 * iommufd_viommu_alloc_hwpt_nested (pt_id = a vIOMMU) and iommufd_hwpt_invalidate.
 *  - from a parent: flags other than FAULT_ID_VALID | ALLOC_PASID, no data, or a driver
 *    without domain_alloc_nested -> EOPNOTSUPP; an auto-domain parent, a parent without
 *    NEST_PARENT or of another driver -> EINVAL; object -> ENOMEM; the driver's errno.
 *    The nested HWPT holds a reference on the parent.
 *  - from a vIOMMU: flags -> EOPNOTSUPP; no data -> EOPNOTSUPP; no alloc_domain_nested op
 *    -> EOPNOTSUPP; object -> ENOMEM; the driver's errno. Holds a reference on the vIOMMU;
 *    its parent (for the IOAS, reserved regions and MSI) is the vIOMMU's HWPT.
 *  - IOMMU_HWPT_INVALIDATE: __reserved -> EOPNOTSUPP; entry_num with a NULL array or
 *    entry_len 0 -> EINVAL; hwpt_id unknown -> ENOENT; a nested HWPT -> its domain's
 *    cache_invalidate_user, a vIOMMU -> its cache_invalidate (absent: EOPNOTSUPP); any other
 *    object -> EINVAL. entry_num is written back on every path: the entries the driver
 *    handled (0 on the early exits).
 */
import { ERRNO } from '../base/errno';
import type { UserData, UserDataArray } from '../iommu/user-data';
import { IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_FAULT_ID_VALID } from '../uapi/iommufd';
import type { Cmd } from './cmd';
import { num } from './cmd';
import type { IommufdCtx } from './ctx';
import type { HwptNested, HwptPaging, Idev, Viommu } from './objects';

/** The HWPT_ALLOC user data (struct iommu_user_data from data_type, data_uptr, data_len). */
export function hwptUserData(ctx: IommufdCtx, cmd: Cmd): UserData {
  return { type: Number(cmd.data_type), uptr: num(cmd.data_uptr), len: Number(cmd.data_len), mem: ctx.mm };
}

const NESTED_FLAGS = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;

/** iommufd_hwpt_nested_alloc: a nested HWPT over `parent` (not finalized). */
export function hwptNestedAlloc(ctx: IommufdCtx, parent: HwptPaging, idev: Idev, flags: number, data: UserData): HwptNested | number {
  const drv = idev.driver;
  if (flags & ~NESTED_FLAGS || !data.len || !drv.domainAllocNested) return -ERRNO.EOPNOTSUPP;
  if (parent.autoDomain || !parent.nestParent || parent.domain.driver !== drv) return -ERRNO.EINVAL;
  const hwpt = ctx.allocObj<HwptNested>({ type: 'HWPT_NESTED', parent, viommu: null, domain: null as never, fault: null, pasidCompat: (flags & IOMMU_HWPT_ALLOC_PASID) !== 0 });
  if (typeof hwpt === 'number') return hwpt;
  const domain = drv.domainAllocNested(idev.dev, parent.domain, flags & ~IOMMU_HWPT_FAULT_ID_VALID, data);
  if (typeof domain === 'number') {
    ctx.table.remove(hwpt);
    return domain;
  }
  if (domain.type !== 'NESTED') {
    ctx.warn('WARN_ON', 'iommufd_hwpt_nested_alloc', 'hwpt->domain->type != IOMMU_DOMAIN_NESTED', idev.dev);
    domain.ops.free(domain);
    ctx.table.remove(hwpt);
    return -ERRNO.EOPNOTSUPP;
  }
  hwpt.domain = domain;
  parent.users++;
  return hwpt;
}

/** iommufd_viommu_alloc_hwpt_nested: a nested HWPT from a vIOMMU (not finalized). */
export function viommuAllocHwptNested(ctx: IommufdCtx, viommu: Viommu, flags: number, data: UserData): HwptNested | number {
  if (flags & ~NESTED_FLAGS) return -ERRNO.EOPNOTSUPP;
  if (!data.len) return -ERRNO.EOPNOTSUPP;
  const op = viommu.ops.allocDomainNested;
  if (!op) return -ERRNO.EOPNOTSUPP;
  const hwpt = ctx.allocObj<HwptNested>({ type: 'HWPT_NESTED', parent: viommu.hwpt, viommu, domain: null as never, fault: null, pasidCompat: (flags & IOMMU_HWPT_ALLOC_PASID) !== 0 });
  if (typeof hwpt === 'number') return hwpt;
  const domain = op(flags & ~IOMMU_HWPT_FAULT_ID_VALID, data);
  if (typeof domain === 'number') {
    ctx.table.remove(hwpt);
    return domain;
  }
  hwpt.domain = domain;
  viommu.users++;
  return hwpt;
}

/** IOMMU_HWPT_INVALIDATE (iommufd_hwpt_invalidate). */
export function hwptInvalidate(ctx: IommufdCtx, cmd: Cmd): number {
  const entryNum = Number(cmd.entry_num);
  cmd.entry_num = 0n;
  if (cmd.__reserved) return -ERRNO.EOPNOTSUPP;
  if (entryNum && (!cmd.data_uptr || !cmd.entry_len)) return -ERRNO.EINVAL;
  const obj = ctx.table.get(Number(cmd.hwpt_id));
  if (!obj) return -ERRNO.ENOENT;
  const arr: UserDataArray = { type: Number(cmd.data_type), uptr: num(cmd.data_uptr), entryLen: Number(cmd.entry_len), entryNum, mem: ctx.mm };
  let rc: number;
  if (obj.type === 'HWPT_NESTED') {
    const op = obj.domain.ops.cacheInvalidateUser;
    rc = op ? op(obj.domain, arr) : -ERRNO.EOPNOTSUPP;
    if (!op) arr.entryNum = 0;
  } else if (obj.type === 'VIOMMU') {
    const op = obj.ops.cacheInvalidate;
    rc = op ? op(arr) : -ERRNO.EOPNOTSUPP;
    if (!op) arr.entryNum = 0;
  } else {
    return -ERRNO.EINVAL;
  }
  cmd.entry_num = BigInt(arr.entryNum);
  return rc;
}
