/**
 * Work and memory estimate of a scenario before it runs (`sweep plan`; meant to be shared with
 * any pre-run check). It predicts the pre-copy from first principles — round 0 sends the whole
 * guest over the link, each later round sends what the devices dirtied during the previous one,
 * until the remainder fits the downtime budget or maxRounds — and prices the simulator's work:
 * pages pinned and mapped, leaves scanned per dirty read, DMA accesses translated.
 *
 * The prices and the memory per page are *derived*: least-squares fits (non-negative) to the
 * CPU time and peak RSS of 26 measured points on the project's 2-core reference machine, the
 * preset sweep dirty-cost-vs-guest-size (14 points × 3 vendors, 4..256 GiB) and a calibration
 * sweep that varies the device rate at fixed size (12 points × 1 vendor, so DMA and guest size
 * separate): README, "Measured". Most points fall within ±25 % (a few small ones within 50 %).
 * CPU time, not wall time, so the estimate is what the work costs on an otherwise idle machine.
 * They price the simulator, not the simulated hardware.
 */
import type { Scenario, Workload } from './schema';

const PAGE = 4096;
const HUGE = 2 ** 21;

/** Simulator CPU cost per unit of work on the reference machine (derived; see file comment). */
export const ESTIMATE_PRICES = {
  /** Process start: Node, the TypeScript loader and the engine's modules, ns (once per process). */
  processStartNs: 1.9e9,
  /** Per vendor, per 4 KiB guest page mapped: pinning, io_pagetable, IOPTE writes, ns. */
  pinNsPerPage: 146,
  /** Per DMA access through 4 KiB leaves (random pages miss the IOTLB: walk + A/D update), ns. */
  dmaNsSmallLeaf: 1233,
  /** Per DMA access through huge leaves (mostly IOTLB hits), ns. */
  dmaNsHugeLeaf: 27,
  /** Per dirty 4 KiB page reported by a read (bitmap bits, transfer bookkeeping), ns. */
  dirtyNsPerPage: 38,
  /** Per leaf per dirty read (the read walks every leaf), ns. */
  scanNsPerLeaf: 75,
} as const;

/** Memory of the simulator on the reference machine (derived from peak RSS; see file comment). */
export const ESTIMATE_MEMORY = {
  /** Resident bytes of a process before any guest is mapped (Node, loader, engine code). */
  baseBytes: 154 * 2 ** 20,
  /** Bytes per 4 KiB guest page: io_pagetable pfn (8) + pin count (4) + mm pin chunk (2) + bitmaps and slack. */
  bytesPerPage: 20.5,
  /** Bytes per leaf IOPTE (8) plus the upper levels. */
  bytesPerLeaf: 8.26,
} as const;

/** The estimate of one scenario. Counts are per vendor run; times and memory as labelled. */
export interface ScenarioEstimate {
  guestPages: number;
  /** Leaf IOPTEs mapping the guest (4 KiB, or 2 MiB with the huge page policies). */
  leaves: number;
  /** Dirty 4 KiB pages predicted to be reported over the migration (huge leaves report all their pages). */
  dirtyPages: number;
  /** Pre-copy rounds predicted (including round 0). */
  rounds: number;
  /** Whether the dirty remainder is predicted to fit the downtime budget before maxRounds. */
  converges: boolean;
  /** Simulated migration time predicted, ns. */
  simulatedNs: number;
  /** DMA accesses predicted over the migration. */
  dmaAccesses: number;
  /** Peak resident memory of one process running the vendors one after another, bytes. */
  memoryBytes: number;
  /** CPU time of one vendor run on the reference machine (its wall time when the machine is otherwise idle), s. */
  secondsPerVendor: number;
  /** CPU time of the whole scenario in one process (process start + vendors one after another), s. */
  seconds: number;
}

/** DMA accesses per simulated second and the distinct 4 KiB pages a device writes. */
function deviceRate(w: Workload, guestBytes: number): { perSec: number; pages: number; pagesPerDma: number } {
  switch (w.kind) {
    case 'nic-rx':
      return { perSec: w.packetsPerSec, pages: Math.min(w.ringBuffers, guestBytes / PAGE), pagesPerDma: 1 };
    case 'nvme-read':
      return { perSec: w.iops, pages: guestBytes / PAGE, pagesPerDma: Math.max(1, w.blockBytes / PAGE) };
    case 'gpu-bulk':
      return { perSec: w.chunkBytes > 0 ? w.bytesPerSec / w.chunkBytes : 0, pages: Math.min(w.regionBytes, guestBytes) / PAGE, pagesPerDma: Math.max(1, w.chunkBytes / PAGE) };
    case 'hot-set':
      return { perSec: w.writePagesPerSec, pages: Math.min(w.hotSetBytes, guestBytes) / PAGE, pagesPerDma: 1 };
    default:
      return { perSec: 0, pages: 0, pagesPerDma: 1 };
  }
}

/** Estimate the work, time and memory of `s` (see the file comment for the model). */
export function estimateScenario(s: Scenario): ScenarioEstimate {
  const guestPages = Math.ceil(s.guest.memory / PAGE);
  const huge = s.guest.pagePolicy !== '4k';
  const unitPages = s.guest.pagePolicy === 'huge' ? HUGE / PAGE : 1;
  const leaves = huge ? Math.ceil(s.guest.memory / HUGE) : guestPages;
  const linkBytesPerNs = (s.migration.linkGbps * 1e9) / 8 / 1e9;
  const devices = s.devices.map((d) => deviceRate(d.workload, s.guest.memory));
  const dmaPerNs = devices.reduce((a, d) => a + d.perSec, 0) / 1e9;
  const budgetBytes = s.migration.downtimeMs * 1e6 * linkBytesPerNs;
  let sendBytes = s.guest.memory;
  let simulatedNs = 0;
  let rounds = 0;
  let converges = false;
  let dirtyPages = 0;
  for (let r = 0; r <= s.migration.maxRounds; r++) {
    const dur = sendBytes / linkBytesPerNs;
    simulatedNs += dur;
    rounds++;
    // Distinct units dirtied in `dur`: U (1 - e^{-m/U}) for m writes spread over U units.
    let dirtyUnits = 0;
    for (const d of devices) {
      const units = Math.max(1, d.pages / unitPages);
      const writes = d.perSec * (dur / 1e9) * Math.max(1, d.pagesPerDma / unitPages);
      dirtyUnits += units * (1 - Math.exp(-writes / units));
    }
    sendBytes = Math.min(s.guest.memory, dirtyUnits * unitPages * PAGE);
    dirtyPages += sendBytes / PAGE;
    if (sendBytes <= budgetBytes) {
      converges = true;
      break;
    }
  }
  // Devices are stopped for the stop-and-copy: they write only during pre-copy.
  const dmaAccesses = Math.round(dmaPerNs * simulatedNs);
  simulatedNs += sendBytes / linkBytesPerNs;
  const p = ESTIMATE_PRICES;
  const dmaNs = s.guest.pagePolicy === 'huge' ? p.dmaNsHugeLeaf : p.dmaNsSmallLeaf;
  const vendorNs = p.pinNsPerPage * guestPages + dmaNs * dmaAccesses + p.dirtyNsPerPage * dirtyPages + p.scanNsPerLeaf * leaves * (rounds + 1);
  const m = ESTIMATE_MEMORY;
  const memoryBytes = Math.round(m.baseBytes + m.bytesPerPage * guestPages + m.bytesPerLeaf * leaves);
  return {
    guestPages,
    leaves,
    dirtyPages: Math.round(dirtyPages),
    rounds,
    converges,
    simulatedNs: Math.round(simulatedNs),
    dmaAccesses,
    memoryBytes,
    secondsPerVendor: vendorNs / 1e9,
    seconds: (p.processStartNs + vendorNs * s.vendors.length) / 1e9,
  };
}
