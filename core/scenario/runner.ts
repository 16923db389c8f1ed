/**
 * Run a scenario on each of its vendors with the same seed and workload, recording each as
 * one `run` in one trace database, and build the comparison summary.
 *
 * Per vendor: build the engine (iommufd ctx → vendor driver → hardware model), map the
 * guest, attach the devices through dirty-tracking HWPTs, then run pre-copy. Every round
 * is recorded as a slice on track 'migration'; counters are recorded per sub-window so the
 * UI can plot rates over simulated time.
 */
import { ENGINE_VERSION } from '../version';
import type { VendorName } from '../iommu/types';
import type { EventBatch } from '../trace/batch';
import { NULL_RECORDER, type Recorder } from '../trace/types';
import { createGenerator } from '../workload/generators';
import { runPrecopy, type MigrationReport, type RoundReport } from '../workload/migration';
import { compareVendors, vendorResult, type ComparisonSummary, type VendorResult } from './compare';
import type { Scenario } from './schema';
import { createVendorTarget, type EnableCost } from './target';

/** A vendor's migration report plus what enabling dirty tracking cost (before round 0). */
export type VendorRunReport = MigrationReport & { enable?: EnableCost };

/** Where runs are recorded: implemented over the SQLite writer by core/store. */
export interface RunSink {
  /** Begin a run row; returns its id and the recorder to write into. */
  startRun(info: { scenario: Scenario; vendor: VendorName; seed: number; versions: Record<string, string> }): Promise<{ runId: number; recorder: Recorder }>;
  finishRun(runId: number, simEndNs: number, status: 'complete' | 'failed'): Promise<void>;
  /** Queue a batch recorded in another thread for run `runId` (parallel executors). */
  postBatch?(runId: number, batch: EventBatch): void;
}

/** Progress of a comparison: per vendor, per round. */
export interface CompareProgress {
  vendor: VendorName;
  vendorIndex: number;
  vendors: number;
  round: number;
  maxRounds: number;
  phase: 'setup' | 'round' | 'switchover' | 'done';
}

export interface CompareOptions {
  sink: RunSink | null;
  onProgress?: (p: CompareProgress) => void;
  /** Cancellation: checked between rounds. */
  signal?: AbortSignal;
}

/** Counters the hardware model records itself at the exact event time (core/hw/engine.ts). */
const HW_TIMED_COUNTERS = new Set(['faults']);

/** Seed of device `i`'s workload: the same on every vendor (the comparison is paired). */
export function deviceSeed(seed: number, i: number): number {
  return (seed * 1_000_003 + i * 7919) >>> 0;
}

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
  rec.count('dirty_pages', r.ts + r.dur, r.dirtyPages);
  rec.count('bitmap_read_ns', r.ts + r.dur, r.bitmapReadNs);
  rec.count('migration_bytes', r.ts, r.bytesSent);
  if (r.missedPages) rec.count('missed_pages', r.ts + r.dur, r.missedPages);
}

/**
 * Run one vendor. @throws Error when the engine cannot be set up (a bad scenario for that
 * vendor, e.g. dirty tracking unsupported); the caller records the run as failed.
 */
export function runVendor(scenario: Scenario, vendor: VendorName, recorder: Recorder, opts: Omit<CompareOptions, 'sink'> & { vendorIndex?: number } = {}): VendorRunReport {
  const progress = (round: number, phase: CompareProgress['phase']): void =>
    opts.onProgress?.({ vendor, vendorIndex: opts.vendorIndex ?? 0, vendors: scenario.vendors.length, round, maxRounds: scenario.migration.maxRounds, phase });
  progress(0, 'setup');
  const target = createVendorTarget(vendor, scenario, recorder);
  const gens = scenario.devices.map((d, i) => createGenerator(d.workload, scenario.guest.memory, deviceSeed(scenario.seed, i)));
  const report = runPrecopy(
    target,
    gens,
    { guestBytes: scenario.guest.memory, maxRounds: scenario.migration.maxRounds, linkGbps: scenario.migration.linkGbps, downtimeMs: scenario.migration.downtimeMs, switchover: scenario.migration.switchover },
    {
      onRound: (r) => {
        recordRound(recorder, r);
        progress(r.round, 'round');
      },
      onSample: (_t0, t1, d) => {
        if (!recorder.enabled) return;
        for (const k in d) if (!HW_TIMED_COUNTERS.has(k)) recorder.count(k, t1, d[k]);
      },
      shouldStop: () => opts.signal?.aborted ?? false,
    },
  );
  if (recorder.enabled) {
    recorder.slice('migration', 'switchover', report.totalNs - report.downtimeNs, report.downtimeNs, {
      method: scenario.migration.switchover,
      final_dirty_pages: report.finalDirtyPages,
      switchover_ns: report.switchoverNs,
      converged: report.converged,
    });
  }
  progress(report.rounds.length, 'done');
  return { ...report, enable: target.enableCost };
}

/** One vendor run handed to an executor; `recorder` is bound to the run's database row. */
export interface VendorTask {
  scenario: Scenario;
  vendor: VendorName;
  vendorIndex: number;
  runId: number | null;
  recorder: Recorder;
  onProgress?: (p: CompareProgress) => void;
  signal?: AbortSignal;
}

/**
 * Runs vendor tasks. The default runs them one after another in this thread; the CLI
 * supplies one that runs them in parallel worker threads (core/cli/parallel.ts).
 */
export type VendorExecutor = (tasks: VendorTask[]) => Promise<({ ok: true; report: MigrationReport } | { ok: false; message: string })[]>;

/** The default executor: sequential, in this thread. */
export const sequentialExecutor: VendorExecutor = async (tasks) =>
  tasks.map((t) => {
    if (t.signal?.aborted) return { ok: false as const, message: 'cancelled' };
    try {
      return { ok: true as const, report: runVendor(t.scenario, t.vendor, t.recorder, { onProgress: t.onProgress, signal: t.signal, vendorIndex: t.vendorIndex }) };
    } catch (e) {
      return { ok: false as const, message: (e as Error).message };
    }
  });

/**
 * Run the scenario on every vendor it lists and summarise.
 * @returns the summary; vendors whose run failed are listed in `failed`.
 */
export async function runComparison(
  scenario: Scenario,
  opts: CompareOptions & { executor?: VendorExecutor },
): Promise<{ summary: ComparisonSummary; failed: { vendor: VendorName; message: string }[] }> {
  const tasks: VendorTask[] = [];
  for (let i = 0; i < scenario.vendors.length; i++) {
    const vendor = scenario.vendors[i];
    const run = opts.sink ? await opts.sink.startRun({ scenario, vendor, seed: scenario.seed, versions: { engine: ENGINE_VERSION } }) : null;
    tasks.push({ scenario, vendor, vendorIndex: i, runId: run?.runId ?? null, recorder: run?.recorder ?? NULL_RECORDER, onProgress: opts.onProgress, signal: opts.signal });
  }
  const outcomes = await (opts.executor ?? sequentialExecutor)(tasks);
  const results: VendorResult[] = [];
  const failed: { vendor: VendorName; message: string }[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i];
    const o = outcomes[i];
    if (o.ok) results.push(vendorResult(t.vendor, t.runId, o.report));
    else failed.push({ vendor: t.vendor, message: o.message });
    if (opts.sink && t.runId !== null) {
      const status = o.ok && !opts.signal?.aborted ? 'complete' : 'failed';
      await opts.sink.finishRun(t.runId, o.ok ? o.report.totalNs : 0, status);
    }
  }
  return { summary: compareVendors(scenario.name, scenario.seed, results), failed };
}
