/**
 * The page-request thread shared by drivers that deliver PCIe page requests to the IOMMU
 * core: take every request the hardware queued (VT-d page request queue, AMD-Vi PPR log),
 * find the device by requester ID and report it (iommu_report_device_fault,
 * drivers/iommu/io-pgfault.c); when nobody takes it, answer INVALID (iopf_error_response).
 * Sources: drivers/iommu/intel/prq.c intel_prq_report / prq_event_thread,
 * drivers/iommu/amd/ppr.c amd_iommu_poll_ppr_log / iommu_call_iopf_notifier.
 */
import type { IommuHwModel } from '../hw/engine';
import type { Device, PageRequest } from './types';

/** IOMMUFD_PAGE_RESP_INVALID / IOMMU_PAGE_RESP_INVALID. */
const RESP_INVALID = 1;

/**
 * Drain `hw`'s page requests and report each (see the module comment). Requests of unknown
 * requester IDs are dropped (the kernel logs and drops them too). Returns the number taken.
 */
export function reportPageRequests(
  hw: IommuHwModel,
  devices: ReadonlyMap<number, Device>,
  report: (dev: Device, req: PageRequest) => number,
  respond: (dev: Device, pasid: number, grpid: number, code: number) => number,
): number {
  const reqs = hw.takePageRequests();
  for (const r of reqs) {
    const dev = devices.get(r.sid);
    if (!dev) continue;
    if (report(dev, r) !== 0) respond(dev, r.pasid, r.grpid, RESP_INVALID);
  }
  return reqs.length;
}
