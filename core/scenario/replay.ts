/**
 * Replay of a real kernel trace on one vendor: the map/unmap sequence of an imported ftrace
 * (core/trace/ftrace.ts) through the Linux DMA layer's flush policy (core/workload/replay.ts)
 * on the vendor's platform (core/iommufd/platform.ts createPlatform, the composition root).
 * The CLI's `replay` and the UI's replay job both call {@link replayOnVendor}.
 */
import { SimClock } from '../base/clock';
import { vendorEntry, type Caps, type VendorName } from '../iommu/registry';
import { createPlatform } from '../iommufd/platform';
import type { parseFtrace } from '../trace/ftrace';
import type { parseQemuXlate } from '../trace/qemu';
import type { Recorder } from '../trace/types';
import { replayTrace, type FlushPolicy, type ReplayDma, type ReplayOptions, type ReplayStats } from '../workload/replay';

/** Requester ID of the replayed device (the fixtures' NVMe at 00:02.0 / SMMU sid 0x8). */
const REPLAY_SID = 0x10;

export interface ReplayResult {
  vendor: VendorName;
  runId: number | null;
  stats: ReplayStats;
  /** Exact hardware/driver counters after the replay ('cmd:<NAME>' per command). */
  counters: Record<string, number>;
  /** Simulated ns charged per cost action (core/hw/cost/model.ts), e.g. cache_flush_line. */
  costNs: Record<string, number>;
}

/**
 * Replay parsed events on one vendor. 'caching' turns on the vendor's cachingModeCaps:
 * hardware that caches non-present entries (VT-d CAP.CM, AMD NpCache; SMMUv3 has no such
 * mode), emulating QEMU's caching-mode intel-iommu, which (7.2, the recorded fixtures) has no
 * first-stage translation (ECAP.FLTS = 0), so the VT-d driver falls back to second-stage
 * domains as intel_iommu_domain_alloc_paging_flags does. Without it, VT-d replays use
 * first-stage domains (PASID-based QI_EIOTLB flushes). `nonCoherent` turns on the vendor's
 * nonCoherentCaps: the table walker does not snoop CPU caches (VT-d ECAP.SMPWC/C = 0,
 * SMMUv3 IDR0.COHACC = 0), so every IOPTE write is written back (PT_FEAT_DMA_INCOHERENT);
 * AMD-Vi walks stay coherent.
 * @throws Error when the model cannot allocate or attach the domain.
 */
export function replayOnVendor(
  vendor: VendorName,
  events: ReturnType<typeof parseFtrace>['events'],
  o: { flush: FlushPolicy; dma: ReplayDma; xlate?: ReturnType<typeof parseQemuXlate>['translations']; recorder: Recorder; nonCoherent?: boolean } & Pick<ReplayOptions, 'onProgress' | 'signal'>,
): Omit<ReplayResult, 'runId'> {
  const clock = new SimClock();
  const entry = vendorEntry(vendor);
  const caps: Caps = { ...(o.flush === 'caching' ? entry.cachingModeCaps : {}), ...(o.nonCoherent ? entry.nonCoherentCaps : {}) };
  const platform = createPlatform(vendor, { clock, recorder: o.recorder, caps });
  const system = platform.system;
  const dev = platform.addDevice({ sid: REPLAY_SID, name: 'nvme0' });
  const stats = replayTrace(system.driver, dev, events, { flushPolicy: o.flush, dma: o.dma, xlate: o.xlate, recorder: o.recorder, onProgress: o.onProgress, signal: o.signal });
  return { vendor, stats, counters: system.stats(), costNs: system.hw?.cost.nsByAction() ?? {} };
}
