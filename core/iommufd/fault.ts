/**
 * Fault queue objects (drivers/iommu/iommufd/fault.c, v6.11+): IOMMU_FAULT_QUEUE_ALLOC
 * returns an object id and a file descriptor; HWPTs allocated with
 * IOMMU_HWPT_FAULT_ID_VALID deliver I/O page faults (PRI / stall) to it; read(2) yields
 * struct iommu_hwpt_pgfault records (each read record gets a cookie and waits for a
 * response), write(2) of struct iommu_hwpt_page_response {cookie, code} completes it.
 */
import { ERRNO } from '../base/errno';
import type { IommufdCtx } from './ctx';
import type { AnyObject, Fault, Hwpt, Idev, PgFault } from './objects';

export const IOMMU_PGFAULT_FLAGS_PASID_VALID = 1 << 0;
export const IOMMU_PGFAULT_FLAGS_LAST_PAGE = 1 << 1;
export const IOMMUFD_PAGE_RESP_SUCCESS = 0;
export const IOMMUFD_PAGE_RESP_INVALID = 1;

/** iommufd_fault_alloc. */
export function faultAlloc(ctx: IommufdCtx): Fault | number {
  const f = ctx.allocObj<Fault>({ type: 'FAULT', fd: 0, deliver: [], response: new Map(), nextCookie: 1, completed: [] });
  if (typeof f === 'number') return f;
  f.fd = ctx.nextFd++;
  ctx.table.finalize(f);
  return f;
}

/**
 * Report an IOPF of `idev` (iommu_report_device_fault -> iommufd_fault_iopf_handler):
 * -ENODEV when the device's HWPT has no fault queue.
 */
export function faultReport(idev: Idev, rec: Omit<PgFault, 'dev_id' | 'cookie'>, hwpt: Hwpt | null = idev.hwpt): number {
  const fault = hwpt?.fault;
  if (!fault) return -ERRNO.ENODEV;
  fault.deliver.push({ ...rec, dev_id: idev.id, cookie: 0 });
  return 0;
}

/** read(2) on the fault fd: up to `count` records; each is now waiting for a response. */
export function faultRead(fault: Fault, count: number): PgFault[] {
  const out: PgFault[] = [];
  while (out.length < count && fault.deliver.length) {
    const r = fault.deliver.shift()!;
    r.cookie = fault.nextCookie++;
    fault.response.set(r.cookie, r);
    out.push(r);
  }
  return out;
}

/** write(2) of a page response: -EINVAL for an unknown cookie or code. */
export function faultRespond(fault: Fault, cookie: number, code: number): number {
  if (code !== IOMMUFD_PAGE_RESP_SUCCESS && code !== IOMMUFD_PAGE_RESP_INVALID) return -ERRNO.EINVAL;
  if (!fault.response.has(cookie)) return -ERRNO.EINVAL;
  fault.response.delete(cookie);
  fault.completed.push({ cookie, code });
  return 0;
}

/** Fault destroy: pending groups are answered INVALID (iommufd_fault_destroy). */
export function registerFault(ctx: IommufdCtx): void {
  ctx.destroyers.set('FAULT', (o: AnyObject) => {
    const f = o as Fault;
    for (const c of f.response.keys()) f.completed.push({ cookie: c, code: IOMMUFD_PAGE_RESP_INVALID });
    f.response.clear();
    f.deliver.length = 0;
  });
}
