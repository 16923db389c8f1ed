/**
 * The pre-run check: refuse a scenario this machine cannot finish (a 64 TiB guest, years of
 * DMA) before anything is recorded, with an error naming the field to change and the
 * estimate. The CLI (`compare`, `run`) and the UI's runComparison call
 * {@link checkScenarioLimits}; `--ignore-limits` (CLI) skips it. The numbers come from the
 * shared estimate of ./estimate.ts (memory per page and per leaf, prices per page, DMA and
 * scanned leaf, derived from measured runs).
 */
import { formatBytes, formatCount, formatDuration } from '../base/units';
import { ESTIMATE_MEMORY, ESTIMATE_PRICES, estimateScenario } from './estimate';
import type { Scenario, Workload } from './schema';

/** What this machine allows a run (the caller measures it: os.totalmem(), its thread count). */
export interface MachineLimits {
  /** Memory the run may use, bytes (the CLI and the hosts allow 80 % of physical memory). */
  memoryBytes: number;
  /** Physical memory, bytes (for the message). */
  totalMemoryBytes: number;
  /** Vendors that run at the same time (threads, at most the vendor count). */
  concurrentVendors: number;
  /** Longest run allowed, seconds of this machine's time (the whole comparison). */
  maxSeconds: number;
}

/** Default longest run: 30 minutes (the 1 TiB benchmark, the largest measured run, takes about 7). */
export const DEFAULT_MAX_RUN_SECONDS = 30 * 60;

/** A refused run: the field to change, and a one-line message with the estimate. */
export interface LimitError {
  field: string;
  message: string;
}

/** A device's rate field: its name, value (per simulated second) and DMA accesses per second. */
function rateField(w: Workload): { field: string; value: number; perSec: number } {
  switch (w.kind) {
    case 'nic-rx':
      return { field: 'packetsPerSec', value: w.packetsPerSec, perSec: w.packetsPerSec };
    case 'nvme-read':
      return { field: 'iops', value: w.iops, perSec: w.iops };
    case 'gpu-bulk':
      return { field: 'bytesPerSec', value: w.bytesPerSec, perSec: w.bytesPerSec / w.chunkBytes };
    case 'hot-set':
      return { field: 'writePagesPerSec', value: w.writePagesPerSec, perSec: w.writePagesPerSec };
  }
}

/**
 * Refuse `s` when its estimate exceeds `m`: memory first (naming guest.memory), then time
 * (naming the busiest device's rate field when DMA dominates, else guest.memory). Null when
 * it fits. `override` ends the message: how to run it anyway where the caller is.
 */
export function checkScenarioLimits(s: Scenario, m: MachineLimits, override = 'pass --ignore-limits to run it anyway'): LimitError | null {
  const e = estimateScenario(s);
  const vendors = Math.max(1, Math.min(m.concurrentVendors, s.vendors.length));
  // The estimate's memory is one process running vendors one after another: the base once,
  // the per-page and per-leaf part once per vendor running at the same time.
  const perVendor = e.memoryBytes - ESTIMATE_MEMORY.baseBytes;
  const mem = ESTIMATE_MEMORY.baseBytes + perVendor * vendors;
  if (mem > m.memoryBytes) {
    const perPage = perVendor / e.guestPages;
    return {
      field: 'guest.memory',
      message:
        `guest.memory ${formatBytes(s.guest.memory)} needs ~${formatBytes(mem)} of memory (page tables, pinned pages and dirty tracking: ~${perPage.toFixed(0)} bytes per 4 KiB page per vendor` +
        `${vendors > 1 ? `, ${vendors} vendors at once` : ''}); this machine has ${formatBytes(m.totalMemoryBytes)} (limit ${formatBytes(m.memoryBytes)}). ` +
        `Use a smaller guest${vendors > 1 ? ', --threads 1,' : ''} or ${override}`,
    };
  }
  const seconds = ESTIMATE_PRICES.processStartNs / 1e9 + (e.secondsPerVendor * s.vendors.length) / vendors;
  if (seconds <= m.maxSeconds) return null;
  const dmaNs = s.guest.pagePolicy === 'huge' ? ESTIMATE_PRICES.dmaNsHugeLeaf : ESTIMATE_PRICES.dmaNsSmallLeaf;
  const dmaSeconds = (e.dmaAccesses * dmaNs) / 1e9;
  let busiest: { index: number; field: string; value: number; perSec: number } | null = null;
  s.devices.forEach((d, index) => {
    const r = rateField(d.workload);
    if (busiest === null || r.perSec > busiest.perSec) busiest = { index, ...r };
  });
  const b = busiest as { index: number; field: string; value: number; perSec: number } | null;
  const byDma = b !== null && dmaSeconds >= e.secondsPerVendor / 2;
  const field = byDma && b ? `devices.${b.index}.workload.${b.field}` : 'guest.memory';
  const what =
    byDma && b
      ? `${field} ${formatCount(b.value)}/s over ${formatDuration(e.simulatedNs / 1e9)} of simulated pre-copy (${e.rounds} rounds at migration.linkGbps ${s.migration.linkGbps}) makes ~${formatCount(e.dmaAccesses)} DMA accesses per vendor`
      : `guest.memory ${formatBytes(s.guest.memory)} is ${formatCount(e.guestPages)} pages to map and ${formatCount(e.leaves)} leaves to scan ${e.rounds + 1} times per vendor`;
  return { field, message: `${what}: about ${formatDuration(seconds)} on this machine (estimate), more than the ${formatDuration(m.maxSeconds)} limit. Shrink it, or ${override}` };
}

/** Page sizes a replayed map may use on every vendor (4 KiB granule: 4 KiB, 2 MiB, 1 GiB). */
const REPLAY_PAGE_SIZES = [2 ** 30, 2 ** 21, 4096];

/**
 * Leaf IOPTEs mapping [iova, iova + size) to paddr, an upper bound: the largest page size that
 * iova and paddr share an offset for is used for the aligned middle (as iommu_pgsize picks),
 * 4 KiB leaves for the unaligned head and tail.
 */
export function replayMapLeaves(iova: number, paddr: number, size: number): number {
  const pg = REPLAY_PAGE_SIZES.find((p) => Math.abs(iova - paddr) % p === 0) ?? 4096;
  const head = Math.min(size, (pg - (iova % pg)) % pg);
  const body = Math.floor((size - head) / pg) * pg;
  const tail = size - head - body;
  return Math.ceil(head / 4096) + body / pg + Math.ceil(tail / 4096);
}

/** A replay's trace events as the check needs them (core/trace/ftrace.ts FtraceEvent). */
type ReplayEvent = { event: string; line: number; iova?: number; paddr?: number; size?: number };

/**
 * Refuse replaying `events` when it exceeds `m`, naming the trace line of the largest map:
 * page-table leaves written (and live at once: memory) and, with DMA mode 'mapped', one DMA
 * access per mapped 4 KiB page ('xlate': one per QEMU translation). Vendors replay one after
 * another. Null when it fits.
 */
export function checkReplayLimits(
  trace: string,
  events: readonly ReplayEvent[],
  dma: 'none' | 'mapped' | 'xlate',
  xlateTranslations: number,
  vendors: number,
  m: MachineLimits,
  override = 'pass --ignore-limits to replay it anyway',
): LimitError | null {
  let leaves = 0;
  let live = 0;
  let peak = 0;
  let pages = 0;
  let largest: ReplayEvent | null = null;
  for (const e of events) {
    if (e.event !== 'map' && e.event !== 'unmap') continue;
    const size = e.size ?? 0;
    if (e.event === 'map') {
      const n = replayMapLeaves(e.iova ?? 0, e.paddr ?? 0, size);
      leaves += n;
      live += n;
      peak = Math.max(peak, live);
      pages += Math.ceil(size / 4096);
      if (largest === null || size > (largest.size ?? 0)) largest = e;
    } else live = Math.max(0, live - replayMapLeaves(e.iova ?? 0, e.iova ?? 0, size));
  }
  const dmaAccesses = dma === 'mapped' ? pages : dma === 'xlate' ? xlateTranslations : 0;
  const mem = ESTIMATE_MEMORY.baseBytes + peak * (ESTIMATE_MEMORY.bytesPerLeaf + ESTIMATE_MEMORY.bytesPerPage);
  // Leaves written like pages pinned and mapped; 'mapped' DMA walks 4 KiB pages (IOTLB misses).
  const seconds = ESTIMATE_PRICES.processStartNs / 1e9 + (vendors * (leaves * ESTIMATE_PRICES.pinNsPerPage + dmaAccesses * ESTIMATE_PRICES.dmaNsSmallLeaf)) / 1e9;
  const at = largest ? `${trace}:${largest.line}: map of ${formatBytes(largest.size ?? 0)} at iova 0x${(largest.iova ?? 0).toString(16)}` : trace;
  if (mem > m.memoryBytes) {
    return { field: 'trace', message: `${at}: replaying needs ~${formatCount(peak)} page-table leaves mapped at once, ~${formatBytes(mem)} of memory; this machine has ${formatBytes(m.totalMemoryBytes)} (limit ${formatBytes(m.memoryBytes)}). Use a smaller trace, or ${override}` };
  }
  if (seconds > m.maxSeconds) {
    const what = dma === 'mapped' && dmaAccesses * ESTIMATE_PRICES.dmaNsSmallLeaf > leaves * ESTIMATE_PRICES.pinNsPerPage ? `~${formatCount(dmaAccesses)} DMA accesses with --dma mapped (one per mapped 4 KiB page)` : `~${formatCount(leaves)} page-table leaves to write`;
    return { field: 'trace', message: `${at}: replaying on ${vendors} vendor(s) means ${what}, about ${formatDuration(seconds)} on this machine (estimate), more than the ${formatDuration(m.maxSeconds)} limit. Use --dma none, a smaller trace, or ${override}` };
  }
  return null;
}
