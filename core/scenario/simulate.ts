/**
 * simulateVendor: the one place a scenario becomes a run on one vendor. It builds the VMM
 * (core/workload/vmm.ts) on the vendor's platform, seeds each device's workload, runs
 * pre-copy (core/workload/migration.ts) and records rounds, counter samples and the
 * switch-over into `recorder`. The comparison runner, its worker threads and the page-table
 * rebuild all call it, so a rebuilt run is the recorded run, event for event.
 */
import { vendorEntry, type VendorName } from '../iommu/registry';
import type { CounterName } from '../trace/events';
import type { Recorder } from '../trace/types';
import { createGenerator } from '../workload/generators';
import { runPrecopy, type MigrationReport, type RoundReport } from '../workload/migration';
import { Vmm, type EnableCost, type VmmConfig } from '../workload/vmm';
import type { Scenario } from './schema';

/**
 * A vendor's migration report plus what came before round 0: the set-up (mapping guest RAM,
 * binding and attaching devices, simulated ns) and enabling dirty tracking.
 */
export type VendorRunReport = MigrationReport & { enable?: EnableCost; setupNs?: number };

/** Progress of one vendor's run: set-up, each round, switch-over, done. */
export interface VendorProgress {
  round: number;
  phase: 'setup' | 'round' | 'switchover' | 'done';
}

/** Options of {@link simulateVendor}. */
export interface SimulateOptions {
  onProgress?: (p: VendorProgress) => void;
  /** Cancellation: checked between rounds. */
  signal?: AbortSignal;
  /** Called right before each round's dirty read with the VMM (core/run/round-snapshots.ts reads its page table). */
  beforeRead?: (round: number, vmm: Vmm) => void;
}

/** Counters the hardware model records itself at the exact event time (core/hw/engine.ts). */
const HW_TIMED_COUNTERS = new Set(['faults']);

/** Seed of device `i`'s workload: the same on every vendor (the comparison is paired). */
export function deviceSeed(seed: number, i: number): number {
  return (seed * 1_000_003 + i * 7919) >>> 0;
}

/**
 * What the VMM sets up for `scenario` on `vendor`: guest, devices, and the vendor's caps for
 * the scenario's `hardware` what-ifs (asked of the vendor's registry entry).
 * @throws RangeError when the vendor refuses a hardware switch value.
 */
export function vmmConfig(scenario: Scenario, vendor: VendorName): VmmConfig {
  const entry = vendorEntry(vendor);
  const caps = entry.hardwareCaps?.(scenario.hardware);
  const huge = scenario.guest.pagePolicy !== '4k';
  const sections = scenario.guest.layout === 'qemu' ? entry.qemuRamSections?.(scenario.guest.memory) : undefined;
  return {
    guestBytes: scenario.guest.memory,
    hugePages: huge,
    backing: huge ? scenario.guest.hugeBacking : '4k',
    thpFragmentation: scenario.guest.thpFragmentation,
    ...(sections ? { ramSections: sections } : {}),
    demoteDirtyHuge: scenario.guest.pagePolicy === 'huge-demote',
    mappedAfterEnable: scenario.guest.mappedAfterEnable,
    mappedOnFault: scenario.guest.mappedOnFault,
    viommu: scenario.viommu,
    flushAfterClear: scenario.migration.flushAfterClear,
    devtlbFlushAfterClear: scenario.migration.devtlbFlushAfterClear,
    devices: scenario.devices.map((d) => ({ name: d.name, ats: d.ats, pri: d.pri, outstanding: d.outstanding, ...(d.atcEntries !== undefined ? { atcEntries: d.atcEntries } : {}) })),
    costOverrides: scenario.costOverrides,
    ...(caps ? { caps } : {}),
    ...(scenario.iotlbEntries !== undefined ? { iotlbEntries: scenario.iotlbEntries } : {}),
    ...(scenario.walkCacheEntries !== undefined ? { walkCacheEntries: scenario.walkCacheEntries } : {}),
    ...(scenario.walkers !== undefined ? { walkers: scenario.walkers } : {}),
    kernel: scenario.kernel,
  };
}

/**
 * One pre-copy round as a slice plus its counters, each spread over the time it happened:
 * bytes over the transfer window (at most link speed), dirty pages reported and bitmap-read
 * time over the dirty read at the end of the round.
 */
function recordRound(rec: Recorder, r: RoundReport): void {
  if (!rec.enabled) return;
  rec.slice('migration', 'migration_round', r.ts, r.dur, {
    round: r.round,
    bytes_sent: r.bytesSent,
    dirty_pages: r.dirtyPages,
    missed_pages: r.missedPages,
    bitmap_read_ns: r.bitmapReadNs,
    dma_accesses: r.dmaAccesses,
    iotlb_miss_rate: r.iotlbMissRate,
  });
  const end = r.ts + r.dur;
  const readStart = end - r.bitmapReadNs;
  rec.countSpan('dirty_pages', readStart, end, r.dirtyPages);
  rec.countSpan('bitmap_read_ns', readStart, end, r.bitmapReadNs);
  rec.countSpan('migration_bytes', r.ts, readStart, r.bytesSent);
  if (r.missedPages) rec.countSpan('missed_pages', readStart, end, r.missedPages);
}

/**
 * Run `scenario` on one vendor: set-up through the iommufd uAPI, pre-copy rounds, switch-over.
 * Every round is recorded as a slice on track 'migration', counters per sample window.
 * Returns the report and the VMM (its page table and counters stay inspectable).
 * @throws Error when the engine cannot be set up (a bad scenario for that vendor, e.g. dirty
 * tracking unsupported); the caller records the run as failed.
 */
export function simulateVendor(scenario: Scenario, vendor: VendorName, recorder: Recorder, opts: SimulateOptions = {}): { report: VendorRunReport; vmm: Vmm } {
  opts.onProgress?.({ round: 0, phase: 'setup' });
  const vmm = new Vmm(vendor, vmmConfig(scenario, vendor), recorder);
  const gens = scenario.devices.map((d, i) => createGenerator(d.workload, scenario.guest.memory, deviceSeed(scenario.seed, i)));
  const m = scenario.migration;
  const report = runPrecopy(
    vmm,
    gens,
    { guestBytes: scenario.guest.memory, maxRounds: m.maxRounds, linkGbps: m.linkGbps, downtimeMs: m.downtimeMs, switchover: m.switchover },
    {
      onRound: (r) => {
        recordRound(recorder, r);
        opts.onProgress?.({ round: r.round, phase: 'round' });
      },
      onSample: (t0, t1, d) => {
        if (!recorder.enabled) return;
        // The platform's stats() keys (HwCounters, `cmd:<NAME>`, IOTLB and clock extras) are
        // catalogue counters; test/unit/trace/catalogue.test.ts fails on any that is not.
        for (const k in d) if (!HW_TIMED_COUNTERS.has(k)) recorder.countSpan(k as CounterName, t0, t1, d[k]);
      },
      shouldStop: () => opts.signal?.aborted ?? false,
      ...(opts.beforeRead ? { beforeRead: (round: number) => opts.beforeRead!(round, vmm) } : {}),
    },
  );
  if (recorder.enabled) {
    // Stop-and-copy: the final collection, then the rest goes over the link with the VM stopped.
    const copyStart = report.totalNs - report.downtimeNs + report.switchoverNs;
    const remaining = report.totalBytesSent - report.rounds.reduce((a, r) => a + r.bytesSent, 0);
    recorder.countSpan('migration_bytes', copyStart, report.totalNs, remaining);
    recorder.slice('migration', 'switchover', report.totalNs - report.downtimeNs, report.downtimeNs, {
      method: m.switchover,
      final_dirty_pages: report.finalDirtyPages,
      switchover_ns: report.switchoverNs,
      converged: report.converged,
    });
  }
  opts.onProgress?.({ round: report.rounds.length, phase: 'done' });
  return { report: { ...report, enable: vmm.enableCost, setupNs: vmm.setupNs }, vmm };
}
