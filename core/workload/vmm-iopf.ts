/**
 * The VMM's I/O page-fault handler (scenario `guest.mappedOnFault`): part of guest RAM is
 * left out of the IOAS and mapped only when a device touches it, as a VMM does with an
 * iommufd fault queue (v6.11+, drivers/iommu/iommufd/fault.c; QEMU's iommufd backend reads
 * the same records for a vIOMMU's page requests):
 *  1. IOMMU_FAULT_QUEUE_ALLOC gives a fault object and fd; the dirty-tracking HWPT is
 *     allocated with IOMMU_HWPT_FAULT_ID_VALID and that fault_id, so attaching a device
 *     enables its I/O page faults (the driver decides whether PRI turns on:
 *     IommuDevice.enableIopf cites each vendor);
 *  2. a device DMA to an unmapped IOVA is a translation fault; with PRI on it becomes a page
 *     request the driver's page-request thread reports to the fault queue (core/iommufd/iopf.ts);
 *  3. the VMM reads struct iommu_hwpt_pgfault records from the fault fd, maps the
 *     {@link FAULT_MAP_BYTES} block holding each faulting page (IOMMU_IOAS_MAP) and writes a
 *     struct iommu_hwpt_page_response (SUCCESS) for it; the device then retries the access.
 * Where the vendor does not turn PRI on, step 2 is an unrecoverable fault record (AMD-Vi event
 * log IO_PAGE_FAULT, SMMUv3 F_TRANSLATION): nothing reaches the VMM, the region stays
 * unmapped and the device's writes to it are lost. All sizes are bytes.
 */
import type { IommufdCtx } from '../iommufd';
import { faultRead, IOMMUFD_PAGE_RESP_SUCCESS } from '../iommufd/fault';
import { iopfDispatch, iopfRespond } from '../iommufd/iopf';
import type { Fault } from '../iommufd/objects';

/**
 * Bytes the VMM maps per page request: the 2 MiB block holding the faulting page (a VMM
 * choice, as guest RAM is populated in 2 MiB units; one IOMMU_IOAS_MAP each).
 */
export const FAULT_MAP_BYTES = 2 * 1024 * 1024;
/** Records read from the fault fd per read(2) (a 4 KiB read buffer of 32-byte records). */
const READ_BATCH = 128;

/** What the handler counts (exposed as counters by the VMM). */
export interface IopfStats {
  /** Page requests the VMM read from the fault fd. */
  iopf_read: number;
  /** FAULT_MAP_BYTES blocks it mapped on demand. */
  iopf_mapped_blocks: number;
}

/** The VMM side of a fault queue over RAM offsets [from, to) left unmapped at set-up. */
export class VmmIopf {
  readonly stats: IopfStats = { iopf_read: 0, iopf_mapped_blocks: 0 };
  private readonly fault: Fault;
  private readonly mapped: Uint8Array;

  /**
   * @param faultId the IOMMU_FAULT_QUEUE_ALLOC object
   * @param from,to RAM offsets of the on-demand region, FAULT_MAP_BYTES aligned
   * @param ramOf IOVA (GPA) of a device access -> RAM offset, or -1 outside guest RAM
   * @param map IOMMU_IOAS_MAP of RAM offsets [a, b) at their GPAs
   * @throws Error when faultId is not a fault object
   */
  constructor(
    private readonly ctx: IommufdCtx,
    faultId: number,
    private readonly from: number,
    private readonly to: number,
    private readonly ramOf: (iova: number) => number,
    private readonly map: (a: number, b: number) => void,
  ) {
    const f = ctx.getObj<Fault>(faultId, 'FAULT');
    if (typeof f === 'number') throw new Error(`fault object ${faultId}: errno ${f}`);
    this.fault = f;
    this.mapped = new Uint8Array(Math.ceil((to - from) / FAULT_MAP_BYTES));
  }

  /**
   * After a failed DMA: run the driver's page-request thread, read every queued record,
   * map its block and respond. Returns how many requests were answered (0: nothing to
   * retry, e.g. a vendor without PRI, or an address outside the on-demand region).
   */
  service(): number {
    iopfDispatch(this.ctx);
    let answered = 0;
    for (;;) {
      const recs = faultRead(this.fault, READ_BATCH);
      if (recs.length === 0) break;
      for (const r of recs) {
        this.stats.iopf_read++;
        const ram = this.ramOf(r.addr);
        if (ram >= this.from && ram < this.to) {
          const b = Math.floor((ram - this.from) / FAULT_MAP_BYTES);
          if (!this.mapped[b]) {
            const a = this.from + b * FAULT_MAP_BYTES;
            this.map(a, Math.min(this.to, a + FAULT_MAP_BYTES));
            this.mapped[b] = 1;
            this.stats.iopf_mapped_blocks++;
          }
        }
        // A request outside the region (or already mapped: a stale request) is still
        // answered SUCCESS; the retry then faults for real if the IOVA is not mapped.
        if (iopfRespond(this.ctx, this.fault, r.cookie, IOMMUFD_PAGE_RESP_SUCCESS) === 0) answered++;
      }
    }
    return answered;
  }
}
