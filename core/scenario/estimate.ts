/**
 * Work and memory estimate of a scenario before it runs (`sweep plan`; meant to be shared with
 * any pre-run check). It predicts the pre-copy from first principles — round 0 sends the whole
 * guest over the link, each later round sends what the devices dirtied during the previous one,
 * until the remainder fits the downtime budget or maxRounds — and prices the simulator's work:
 * pages pinned and mapped, leaves scanned per dirty read, DMA accesses translated.
 *
 * The per-unit prices and the memory per page are *derived*: fitted to measured runs of this
 * engine on the project's 2-core reference machine (README, "Measured": the
 * dirty-cost-vs-guest-size sweep, 16 points × 3 vendors, per-point wall time and peak RSS).
 * They are estimates of the simulator's cost, not of the simulated hardware.
 */
import type { Scenario, Workload } from './schema';

const PAGE = 4096;
const HUGE = 2 ** 21;

/** Simulator cost per unit of work on the reference machine (derived; see file comment). */
export const ESTIMATE_PRICES = {
  /** Wall ns per 4 KiB guest page pinned and mapped (io_pagetable pages + IOPTE writes). */
  mapNsPerPage: 210,
  /** Wall ns per DMA access translated by the hardware model (IOTLB lookup, walk on miss, A/D update). */
  dmaNs: 780,
  /** Wall ns per leaf visited by one dirty read (read_and_clear_dirty walk). */
  scanNsPerLeaf: 6.6,
  /** Wall ns per vendor run independent of size (engine set-up). */
  fixedNsPerVendor: 2e8,
  /** Process start (Node + TypeScript loader), ns, once per process. */
  processStartNs: 1e9,
} as const;

/** Memory of the simulator on the reference machine (derived from peak RSS; see file comment). */
export const ESTIMATE_MEMORY = {
  /** Resident bytes of a process before any guest is mapped (Node, loader, engine code). */
  baseBytes: 130 * 2 ** 20,
  /** Bytes per 4 KiB guest page: io_pagetable pfn (8) + pin count (4) + mm pin chunk (2). */
  bytesPerPage: 14.2,
  /** Bytes per leaf IOPTE (8) plus the upper levels (1/511 more). */
  bytesPerLeaf: 8 * (1 + 1 / 511),
} as const;

/** The estimate of one scenario. Counts are per vendor run; times and memory as labelled. */
export interface ScenarioEstimate {
  guestPages: number;
  /** Leaf IOPTEs mapping the guest (4 KiB, or 2 MiB with the huge page policies). */
  leaves: number;
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
  /** Wall time of one vendor run, s. */
  secondsPerVendor: number;
  /** Wall time of the whole scenario in one process, vendors one after another, s. */
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
    if (sendBytes <= budgetBytes) {
      converges = true;
      break;
    }
  }
  simulatedNs += sendBytes / linkBytesPerNs;
  const dmaAccesses = Math.round(dmaPerNs * simulatedNs);
  const p = ESTIMATE_PRICES;
  const vendorNs = p.fixedNsPerVendor + p.mapNsPerPage * guestPages + p.dmaNs * dmaAccesses + p.scanNsPerLeaf * leaves * (rounds + 1);
  const m = ESTIMATE_MEMORY;
  const memoryBytes = Math.round(m.baseBytes + m.bytesPerPage * guestPages + m.bytesPerLeaf * leaves);
  return {
    guestPages,
    leaves,
    rounds,
    converges,
    simulatedNs: Math.round(simulatedNs),
    dmaAccesses,
    memoryBytes,
    secondsPerVendor: vendorNs / 1e9,
    seconds: (p.processStartNs + vendorNs * s.vendors.length) / 1e9,
  };
}
