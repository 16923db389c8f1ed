/**
 * Sensitivity of a comparison's conclusions to its cost estimates: "would the ranking flip if
 * this estimate were 2× off?". For every vendor's cost entry of class 'estimate' (the cost
 * table, core/scenario/cost-table.ts), scale that one entry by `factor` and 1/`factor` and see
 * whether the ranking of the vendors on a metric changes.
 *
 * First order for every entry: a metric's simulated time is a sum of the time charged per
 * cost action (VendorResult.costNs, pre-copy), so scaling one vendor's entry by k moves that
 * vendor's metric by (k − 1) × its time on that action. The entries that decide the ranking
 * (the largest moves relative to the gap to the neighbouring vendor) are then re-run with the
 * entry overridden, which catches the feedback first order misses (a slower read lets the
 * devices dirty more, so more is sent). Deterministic: the same seed for every run.
 */
import { vendorEntry, vendorTitle, type VendorName } from '../iommu/registry';
import { COST_ACTIONS, type CostAction } from '../iommu/costs';
import type { ComparisonSummary, VendorResult, VendorTotals } from './compare';
import type { SensitivityMetric, SensitivityProbe as SensitivityProbeOf, SensitivityReport as SensitivityReportOf } from './sensitivity-types';

/** Metrics whose ranking is checked: the headline (pre-copy time) and the bitmap read time. */
export const SENSITIVITY_METRICS = ['migrationNs', 'bitmapReadNs'] as const satisfies readonly SensitivityMetric[];
export type { SensitivityMetric } from './sensitivity-types';

/** Cost actions of the DMA path: they delay devices, not the CPU, so they are not in a metric's CPU time. */
const DEVICE_ACTIONS = new Set<string>(['dma_rtt', 'iotlb_hit', 'iotlb_miss', 'table_read', 'hw_ad_update', 'fault_record']);

/** One (vendor, cost entry, scale) probe. */
export type SensitivityProbe = SensitivityProbeOf<VendorName, CostAction>;

/** The answer for one scenario. */
export type SensitivityReport = SensitivityReportOf<VendorName, CostAction>;

function rank(values: Map<VendorName, number>): VendorName[] {
  return [...values.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).map(([v]) => v);
}

/** The time a vendor's `metric` spends on `action` (first-order coefficient), ns. */
function timeOn(r: VendorResult, metric: SensitivityMetric, action: CostAction): number {
  if (DEVICE_ACTIONS.has(action)) return 0;
  const pre = r.costNs?.[action] ?? 0;
  return metric === 'migrationNs' || metric === 'bitmapReadNs' ? pre : 0;
}

/**
 * First-order probes of every estimate entry of every vendor at `factor` and 1/`factor`.
 * Returns the report with no re-runs yet; see {@link rerunDeciding}.
 */
export function firstOrderSensitivity(summary: ComparisonSummary, factor = 2): SensitivityReport {
  const ranking = {} as Record<SensitivityMetric, VendorName[]>;
  for (const m of SENSITIVITY_METRICS) ranking[m] = rank(new Map(summary.vendors.map((r) => [r.vendor, r.totals[m as keyof VendorTotals] as number])));
  const probes: SensitivityProbe[] = [];
  for (const r of summary.vendors) {
    const specs = vendorEntry(r.vendor).costSpecs;
    if (!specs) continue;
    for (const action of COST_ACTIONS) {
      if (specs[action].class !== 'estimate') continue;
      for (const metric of SENSITIVITY_METRICS) {
        const t = timeOn(r, metric, action);
        if (t === 0) continue;
        for (const scale of [factor, 1 / factor]) {
          const base = r.totals[metric];
          const firstOrder = base + (scale - 1) * t;
          const values = new Map(summary.vendors.map((x) => [x.vendor, x.vendor === r.vendor ? firstOrder : (x.totals[metric] as number)]));
          const rk = rank(values);
          const p: SensitivityProbe = { vendor: r.vendor, action, ns: specs[action].ns, scale, metric, base, firstOrder, rankingFirstOrder: rk, flipsFirstOrder: rk.join() !== ranking[metric].join(), closeness: 0 };
          p.closeness = closeness(p, summary);
          probes.push(p);
        }
      }
    }
  }
  probes.sort((a, b) => Math.abs(b.firstOrder - b.base) - Math.abs(a.firstOrder - a.base));
  return { scenario: summary.scenario, factor, ranking, probes };
}

/**
 * How close a probe comes to changing the ranking: its first-order move over the gap to the
 * nearest other vendor in the direction it moves (≥ 1 = it flips at first order).
 */
export function closeness(p: SensitivityProbe, summary: ComparisonSummary): number {
  const move = p.firstOrder - p.base;
  let gap = Infinity;
  for (const x of summary.vendors) {
    if (x.vendor === p.vendor) continue;
    const d = (x.totals[p.metric] as number) - p.base;
    if (Math.sign(d) === Math.sign(move) && Math.abs(d) < gap) gap = Math.abs(d);
  }
  return gap === Infinity ? 0 : Math.abs(move) / gap;
}

/**
 * Re-run the `k` probes closest to flipping the headline or read-time ranking with the entry
 * overridden for that vendor only (`runVendor(vendor, action, ns)` returns its totals),
 * recording the real ranking; `onRerun(done, total)` after each distinct re-run (total = the
 * distinct (vendor, entry, scale) re-runs, a probe of both metrics runs once). Mutates and
 * returns the report.
 */
export async function rerunDeciding(
  report: SensitivityReport,
  summary: ComparisonSummary,
  k: number,
  runVendor: (vendor: VendorName, action: CostAction, ns: number) => Promise<VendorTotals>,
  onRerun?: (done: number, total: number) => void,
): Promise<SensitivityReport> {
  const chosen = [...report.probes].sort((a, b) => closeness(b, summary) - closeness(a, summary)).slice(0, k);
  const cache = new Map<string, VendorTotals>();
  const total = new Set(chosen.map((p) => `${p.vendor}/${p.action}/${p.scale}`)).size;
  onRerun?.(0, total);
  for (const p of chosen) {
    const key = `${p.vendor}/${p.action}/${p.scale}`;
    let totals = cache.get(key);
    if (!totals) {
      totals = await runVendor(p.vendor, p.action, p.ns * p.scale);
      cache.set(key, totals);
      onRerun?.(cache.size, total);
    }
    const values = new Map(summary.vendors.map((x) => [x.vendor, x.vendor === p.vendor ? (totals![p.metric] as number) : (x.totals[p.metric] as number)]));
    const rk = rank(values);
    p.rerun = { value: totals[p.metric] as number, ranking: rk, flips: rk.join() !== report.ranking[p.metric].join() };
  }
  return report;
}

/** Plain-language lines: which estimates decide each ranking and whether a factor-k error flips it. */
export function sensitivityLines(report: SensitivityReport, summary: ComparisonSummary, top = 5): string[] {
  const lines: string[] = [];
  const names = (vs: VendorName[]): string => vs.map((v) => vendorTitle(v)).join(' < ');
  for (const metric of SENSITIVITY_METRICS) {
    const label = metric === 'migrationNs' ? 'migration time (enable to switch-over)' : 'bitmap read time';
    lines.push(`${label}: ${names(report.ranking[metric])} at the defaults.`);
    const ps = report.probes.filter((p) => p.metric === metric).sort((a, b) => closeness(b, summary) - closeness(a, summary)).slice(0, top);
    for (const p of ps) {
      const flips = p.rerun ? p.rerun.flips : p.flipsFirstOrder;
      const how = p.rerun ? `re-run: ${(p.rerun.value / 1e6).toFixed(3)} ms` : `first order: ${(p.firstOrder / 1e6).toFixed(3)} ms`;
      lines.push(`  ${vendorTitle(p.vendor)} ${p.action} ${p.ns} ns × ${p.scale === report.factor ? report.factor : `1/${report.factor}`} (estimate): ${(p.base / 1e6).toFixed(3)} → ${how}; ${flips ? `FLIPS the ranking to ${names(p.rerun?.ranking ?? p.rankingFirstOrder)}` : 'ranking unchanged'} (${(100 * closeness(p, summary)).toFixed(0)}% of the gap).`);
    }
  }
  return lines;
}
