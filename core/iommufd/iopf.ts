/**
 * I/O page faults from the hardware to user space and back (drivers/iommu/io-pgfault.c,
 * drivers/iommu/iommufd/fault.c, v6.11+):
 * - {@link iopfDispatch}: the IOMMU driver's page-request thread reports each queued request
 *   (iommu_report_device_fault); the core finds the domain the device is attached to and,
 *   when its HWPT has a fault queue (IOMMU_HWPT_FAULT_ID_VALID), queues a struct
 *   iommu_hwpt_pgfault for read(2) on the fault fd (iommufd_fault_iopf_handler). Without a
 *   fault queue the report fails and the driver answers INVALID (iopf_error_response).
 * - {@link iopfRespond}: write(2) of struct iommu_hwpt_page_response on the fault fd
 *   completes the group (iommufd_fault_fops_write -> iommu_page_response -> the driver's
 *   page_response: VT-d page group response, AMD COMPLETE_PPR_REQUEST, SMMUv3 CMD_PRI_RESP).
 */
import { ERRNO } from '../base/errno';
import type { PageRequest } from '../iommu/types';
import type { IommufdCtx } from './ctx';
import { faultReport, faultRespond, IOMMU_PGFAULT_FLAGS_LAST_PAGE, IOMMU_PGFAULT_FLAGS_PASID_VALID } from './fault';
import type { Fault, Idev } from './objects';

/** IOMMU_PGFAULT_PERM_READ / WRITE (include/uapi/linux/iommufd.h enum iommu_hwpt_pgfault_perm). */
export const IOMMU_PGFAULT_PERM_READ = 1 << 0;
export const IOMMU_PGFAULT_PERM_WRITE = 1 << 1;
/** Bytes one page request covers (a PRI request names one 4 KiB page). */
const PAGE_BYTES = 4096;

function idevOf(ctx: IommufdCtx, match: (i: Idev) => boolean): Idev | undefined {
  for (const o of ctx.table.all()) if (o.type === 'DEVICE' && match(o as Idev)) return o as Idev;
  return undefined;
}

/**
 * Run the platform driver's page-request thread once: every request the hardware queued is
 * reported to the fault queue of the HWPT its device is attached to (each request is its
 * own group: LAST_PAGE set). Returns the number of requests the driver took (0 for a
 * driver without page requests).
 */
export function iopfDispatch(ctx: IommufdCtx): number {
  const drv = ctx.platform.driver;
  if (!drv.handlePageRequests) return 0;
  return drv.handlePageRequests((dev, req: PageRequest) => {
    const idev = idevOf(ctx, (i) => i.dev === dev);
    if (!idev) return -ERRNO.ENODEV;
    const flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE | (req.pasid ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0);
    const perm = IOMMU_PGFAULT_PERM_READ | (req.write ? IOMMU_PGFAULT_PERM_WRITE : 0);
    return faultReport(idev, { flags, pasid: req.pasid, grpid: req.grpid, perm, addr: req.iova - (req.iova % PAGE_BYTES), length: PAGE_BYTES });
  });
}

/**
 * write(2) of a page response for `cookie`: completes the fault queue's record and sends
 * the response to the device's driver. 0 or -EINVAL (unknown cookie or code, as
 * {@link faultRespond}); the driver's result is not returned to user space
 * (iommu_page_response returns void).
 */
export function iopfRespond(ctx: IommufdCtx, fault: Fault, cookie: number, code: number): number {
  const rec = fault.response.get(cookie);
  const rc = faultRespond(fault, cookie, code);
  if (rc || !rec) return rc;
  const idev = idevOf(ctx, (i) => i.id === rec.dev_id);
  if (idev) idev.driver.pageResponse?.(idev.dev, rec.pasid, rec.grpid, code);
  return 0;
}
