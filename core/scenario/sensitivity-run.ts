/**
 * The whole sensitivity analysis of one scenario, as the `sensitivity` command and the UI's
 * Sensitivity view (a job in the engine host, core/run/sensitivity-worker.ts) run it: the
 * comparison at the defaults, first-order probes of every estimate entry, then re-runs of the
 * `rerun` probes closest to flipping a ranking (core/scenario/sensitivity.ts). One function
 * for both, so the view shows exactly what `sensitivity --json` prints. Deterministic: the
 * scenario's seed for every run.
 */
import type { CostAction } from '../iommu/costs';
import type { VendorName } from '../iommu/registry';
import { runComparison, type CompareProgress, type VendorExecutor } from './runner';
import type { Scenario } from './schema';
import { firstOrderSensitivity, rerunDeciding, sensitivityLines, type SensitivityReport } from './sensitivity';

/** Defaults of the CLI and the UI: each estimate × 2 and × 1/2, the 3 closest probes re-run. */
export const SENSITIVITY_DEFAULTS = { factor: 2, rerun: 3 } as const;

/** Largest `rerun` accepted: each re-run is one vendor's whole migration. */
export const MAX_SENSITIVITY_RERUNS = 12;

/** Progress: the baseline comparison's rounds per vendor, then re-runs done of total. */
export type SensitivityProgress =
  | { phase: 'baseline'; p: CompareProgress }
  | { phase: 'rerun'; done: number; total: number };

export interface SensitivityRunOptions {
  /** Scale each estimate by factor and 1/factor (> 1). */
  factor: number;
  /** Re-run this many probes closest to flipping a ranking (integer ≥ 0). */
  rerun: number;
  /** Runs the baseline's vendors and each re-run (default: sequential in this thread). */
  executor?: VendorExecutor;
  signal?: AbortSignal;
  onProgress?: (p: SensitivityProgress) => void;
}

/** The analysis, the baseline's vendors that failed, or a cancel. */
export type SensitivityOutcome =
  | { ok: true; report: SensitivityReport; lines: string[] }
  | { ok: false; cancelled: boolean; failed: { vendor: VendorName; message: string }[] };

/** A re-run that failed or was cancelled. */
class RerunFailed extends Error {
  constructor(readonly vendor: VendorName, message: string) {
    super(message);
  }
}

/**
 * Run the sensitivity analysis of `scenario` (see the module comment).
 * @returns the report with its plain-language lines; `ok: false` with the failed vendors when
 * the baseline or a re-run failed, or `cancelled` when `signal` aborted.
 * @throws RangeError when factor ≤ 1 or rerun is not an integer in [0, MAX_SENSITIVITY_RERUNS].
 */
export async function runSensitivity(scenario: Scenario, o: SensitivityRunOptions): Promise<SensitivityOutcome> {
  if (!(o.factor > 1) || !Number.isInteger(o.rerun) || o.rerun < 0 || o.rerun > MAX_SENSITIVITY_RERUNS) {
    throw new RangeError(`factor must be > 1 and rerun an integer in 0..${MAX_SENSITIVITY_RERUNS}`);
  }
  const onProgress = o.onProgress;
  const base = await runComparison(scenario, { sink: null, executor: o.executor, signal: o.signal, onProgress: onProgress && ((p) => onProgress({ phase: 'baseline', p })) });
  if (o.signal?.aborted) return { ok: false, cancelled: true, failed: [] };
  if (base.failed.length) return { ok: false, cancelled: false, failed: base.failed };
  const report = firstOrderSensitivity(base.summary, o.factor);
  const rerunOne = async (vendor: VendorName, action: CostAction, ns: number) => {
    const s = { ...scenario, vendors: [vendor], costOverrides: { ...scenario.costOverrides, [action]: ns } };
    const one = await runComparison(s, { sink: null, executor: o.executor, signal: o.signal });
    if (o.signal?.aborted) throw new RerunFailed(vendor, 'cancelled');
    if (one.failed.length) throw new RerunFailed(vendor, one.failed[0]!.message);
    return one.summary.vendors[0]!.totals;
  };
  try {
    await rerunDeciding(report, base.summary, o.rerun, rerunOne, onProgress && ((done, total) => onProgress({ phase: 'rerun', done, total })));
  } catch (e) {
    if (!(e instanceof RerunFailed)) throw e;
    return o.signal?.aborted ? { ok: false, cancelled: true, failed: [] } : { ok: false, cancelled: false, failed: [{ vendor: e.vendor, message: `re-run: ${e.message}` }] };
  }
  return { ok: true, report, lines: sensitivityLines(report, base.summary) };
}
