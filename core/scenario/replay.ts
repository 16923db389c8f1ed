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
  /**
   * Counter deltas of the trace window: from the end of set-up (device probe, domain
   * allocation and attach) to the end of the replay — what QEMU's own trace shows after its
   * boot-time commands (QemuTraceSummary.windowCommands).
   */
  windowCounters: Record<string, number>;
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
  o: { flush: FlushPolicy; dma: ReplayDma; xlate?: ReturnType<typeof parseQemuXlate>['translations']; recorder: Recorder; nonCoherent?: boolean } & Pick<ReplayOptions, 'onProgress' | 'signal' | 'hz'>,
): Omit<ReplayResult, 'runId'> {
  const clock = new SimClock();
  const entry = vendorEntry(vendor);
  const caps: Caps = { ...(o.flush === 'caching' ? entry.cachingModeCaps : {}), ...(o.nonCoherent ? entry.nonCoherentCaps : {}) };
  const platform = createPlatform(vendor, { clock, recorder: o.recorder, caps });
  const system = platform.system;
  const dev = platform.addDevice({ sid: REPLAY_SID, name: 'nvme0' });
  let setup: Record<string, number> = {};
  const stats = replayTrace(system.driver, dev, events, {
    flushPolicy: o.flush, dma: o.dma, xlate: o.xlate, recorder: o.recorder, onProgress: o.onProgress, signal: o.signal,
    ...(o.hz !== undefined ? { hz: o.hz } : {}),
    onAttached: () => (setup = system.stats()),
  });
  const counters = system.stats();
  const windowCounters: Record<string, number> = {};
  for (const [k, v] of Object.entries(counters)) if (v !== (setup[k] ?? 0)) windowCounters[k] = v - (setup[k] ?? 0);
  return { vendor, stats, counters, windowCounters, costNs: system.hw?.cost.nsByAction() ?? {} };
}

/** A malformed input line (1-based). */
interface InputLineError {
  line: number;
  message: string;
}

/** Malformed lines an ENODATA message lists (all are counted). */
export const REPLAY_FIRST_ERRORS = 5;

/** "line 3: …; line 9: …" for an error message (the first {@link REPLAY_FIRST_ERRORS}, 200 characters each). */
function errorList(errors: readonly InputLineError[]): string {
  return errors
    .slice(0, REPLAY_FIRST_ERRORS)
    .map((e) => `line ${e.line}: ${e.message.slice(0, 200)}`)
    .join('; ');
}

/**
 * Why imported replay input cannot be replayed, as the ENODATA error both the CLI (`replay`,
 * exit 2) and the UI's replay job give, or null when it can: a trace without any iommu:map or
 * iommu:unmap event (an empty, comments-only, garbage or binary file), or DMA mode 'xlate'
 * without a single QEMU translation. `traceName`/`xlateName` name the files in the message.
 */
export function replayInputProblem(
  traceName: string,
  trace: { lines: number; events: readonly { event: string }[]; errors: readonly InputLineError[] },
  dma: ReplayDma,
  xlate?: { name: string; translations: number; errors: readonly InputLineError[] },
): { code: 'ENODATA'; message: string } | null {
  if (!trace.events.some((e) => e.event === 'map' || e.event === 'unmap')) {
    const why = trace.errors.length ? `; ${trace.errors.length} malformed line(s): ${errorList(trace.errors)}` : '';
    return { code: 'ENODATA', message: `${traceName}: no iommu:map or iommu:unmap events in ${trace.lines} lines${why}` };
  }
  if (dma === 'xlate' && (xlate?.translations ?? 0) === 0) {
    const why = xlate?.errors.length ? `; ${xlate.errors.length} malformed line(s): ${errorList(xlate.errors)}` : '';
    return { code: 'ENODATA', message: `${xlate?.name ?? 'xlate file'}: no QEMU translations for DMA mode 'xlate'${why}` };
  }
  return null;
}
