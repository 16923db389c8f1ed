/**
 * Run a scenario on each of its vendors with the same seed and workload, recording each as
 * one `run` in one trace database, and build the comparison summary.
 *
 * Per vendor: build the engine (iommufd ctx → vendor driver → hardware model), map the
 * guest, attach the devices through dirty-tracking HWPTs, then run pre-copy. Every round
 * is recorded as a slice on track 'migration'; counters are recorded per sub-window so the
 * UI can plot rates over simulated time.
 */
import { ENGINE_VERSION } from '../base/version';
import type { VendorName } from '../iommu/registry';
import type { RunSink as TraceRunSink } from '../trace/run-sink';
import { NULL_RECORDER, type Recorder } from '../trace/types';
import type { MigrationReport } from '../workload/migration';
import { compareVendors, vendorResult, type ComparisonSummary, type VendorResult } from './compare';
import type { Scenario } from './schema';
import { simulateVendor, type VendorProgress, type VendorRunReport } from './simulate';

export { deviceSeed, type VendorRunReport } from './simulate';

/** Where a comparison records its runs (core/store implements it over the SQLite writer). */
export type RunSink = TraceRunSink<Scenario>;

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

/**
 * Run one vendor with progress in comparison terms (simulateVendor does the work).
 * @throws Error when the engine cannot be set up (a bad scenario for that vendor, e.g. dirty
 * tracking unsupported); the caller records the run as failed.
 */
export function runVendor(scenario: Scenario, vendor: VendorName, recorder: Recorder, opts: Omit<CompareOptions, 'sink'> & { vendorIndex?: number } = {}): VendorRunReport {
  const onProgress = opts.onProgress;
  return simulateVendor(scenario, vendor, recorder, {
    signal: opts.signal,
    ...(onProgress
      ? { onProgress: (p: VendorProgress) => onProgress({ vendor, vendorIndex: opts.vendorIndex ?? 0, vendors: scenario.vendors.length, round: p.round, maxRounds: scenario.migration.maxRounds, phase: p.phase }) }
      : {}),
  }).report;
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

/** How one vendor task ended. */
export type VendorOutcome = { ok: true; report: MigrationReport } | { ok: false; message: string };

/**
 * Runs vendor tasks. The default runs them one after another in this thread; the CLI
 * supplies one that runs them in parallel worker threads (core/run/parallel.ts). An executor
 * calls `onSettled(i, outcome)` as soon as task i ends - after every batch of its events was
 * handed to the sink - so that vendor's run is marked complete at once, not when the slowest
 * vendor ends (a kill then leaves finished vendors complete).
 */
export type VendorExecutor = (tasks: VendorTask[], onSettled?: (index: number, outcome: VendorOutcome) => void) => Promise<VendorOutcome[]>;

/** The default executor: sequential, in this thread. */
export const sequentialExecutor: VendorExecutor = async (tasks, onSettled) =>
  tasks.map((t, i) => {
    let o: VendorOutcome;
    if (t.signal?.aborted) o = { ok: false, message: 'cancelled' };
    else {
      try {
        o = { ok: true, report: runVendor(t.scenario, t.vendor, t.recorder, { onProgress: t.onProgress, signal: t.signal, vendorIndex: t.vendorIndex }) };
      } catch (e) {
        o = { ok: false, message: (e as Error).message };
      }
    }
    onSettled?.(i, o);
    return o;
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
  // Each vendor's run is finished as soon as that vendor ends (see VendorExecutor).
  const finishing: Promise<void>[] = [];
  const onSettled = (i: number, o: VendorOutcome): void => {
    const t = tasks[i];
    if (!opts.sink || t.runId === null) return;
    const status = o.ok && !opts.signal?.aborted ? 'complete' : 'failed';
    finishing.push(opts.sink.finishRun(t.runId, o.ok ? o.report.totalNs : 0, status));
  };
  const outcomes = await (opts.executor ?? sequentialExecutor)(tasks, onSettled);
  await Promise.all(finishing);
  const results: VendorResult[] = [];
  const failed: { vendor: VendorName; message: string }[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i];
    const o = outcomes[i];
    if (o.ok) results.push(vendorResult(t.vendor, t.runId, o.report));
    else failed.push({ vendor: t.vendor, message: o.message });
  }
  return { summary: compareVendors(scenario.name, scenario.seed, results), failed };
}
