/**
 * The comparison table: one row per metric, one cell per vendor, each cell with the exact
 * value of `compare --json`, the text the CLI prints, and a badge. The CLI's text table
 * (core/cli/format.ts) and the Compare view's summary strip (through the engine host) are
 * both drawn from {@link summaryTable}, so they cannot disagree.
 *
 * Badges: a vendor that lost dirty pages is never "cheapest" (its lower costs come from
 * reading less, not from doing it better); a ratio badge appears only when the difference is
 * material: at least {@link MATERIAL_RATIO} relative and at least the row unit's absolute
 * floor ({@link MATERIAL_FLOOR}), so noise such as 468 of 29.9 M or 0.01 % vs 0.02 % shows no
 * badge.
 */
import { vendorTitle } from '../iommu/registry';
import type { ComparisonSummary, VendorResult, VendorTotals } from './compare';
import type { SummaryCell, SummaryRow, SummaryTable, SummaryUnit, TimeBreakdown } from './summary-types';

/** A difference is material from 5 % up (ratio to the cheapest). */
export const MATERIAL_RATIO = 1.05;

/** …and when it is at least this large in absolute terms (per unit). */
export const MATERIAL_FLOOR: Record<SummaryUnit, number> = {
  count: 10,
  ns: 1000,
  bytes: 2 ** 20,
  /** 0.1 percentage points. */
  fraction: 0.001,
  flag: 1,
};

const int = (v: number): string => v.toLocaleString('en-US');

interface RowDef {
  key: string;
  label: string;
  unit: SummaryUnit;
  cost: boolean;
  value: (v: VendorResult) => number | null;
  fmt: (v: number) => string;
}

const total = (key: keyof VendorTotals) => (v: VendorResult): number => Number(v.totals[key]);

/** The rows, in the CLI's order (labels and formats are the CLI's). */
const ROWS: RowDef[] = [
  { key: 'rounds', label: 'rounds', unit: 'count', cost: true, value: total('rounds'), fmt: String },
  { key: 'dirtyPages', label: 'dirty pages reported', unit: 'count', cost: false, value: total('dirtyPages'), fmt: int },
  { key: 'missedPages', label: 'dirty pages lost', unit: 'count', cost: true, value: total('missedPages'), fmt: int },
  { key: 'bitmapReadNs', label: 'bitmap read time (sim)', unit: 'ns', cost: true, value: total('bitmapReadNs'), fmt: (v) => `${(v / 1e6).toFixed(3)} ms` },
  { key: 'pteReads', label: 'PTE reads (hw walks)', unit: 'count', cost: true, value: total('pteReads'), fmt: int },
  { key: 'pteWritesAtomic', label: 'atomic A/D updates', unit: 'count', cost: true, value: total('pteWritesAtomic'), fmt: int },
  { key: 'invalidations', label: 'invalidation commands', unit: 'count', cost: true, value: total('invalidations'), fmt: int },
  { key: 'iotlbMissRate', label: 'IOTLB miss rate', unit: 'fraction', cost: true, value: total('iotlbMissRate'), fmt: (v) => `${(v * 100).toFixed(2)}%` },
  { key: 'faults', label: 'faults', unit: 'count', cost: true, value: total('faults'), fmt: int },
  { key: 'pageRequests', label: 'page requests (PRI)', unit: 'count', cost: false, value: (v) => v.totals.pageRequests ?? null, fmt: int },
  { key: 'bytesSent', label: 'bytes sent', unit: 'bytes', cost: true, value: total('bytesSent'), fmt: (v) => `${(v / 2 ** 30).toFixed(2)} GiB` },
  { key: 'setupNs', label: 'set-up: map guest, attach (sim)', unit: 'ns', cost: true, value: (v) => v.totals.setupNs ?? null, fmt: (v) => `${(v / 1e6).toFixed(2)} ms` },
  { key: 'enableNs', label: 'enable dirty tracking (sim)', unit: 'ns', cost: true, value: (v) => v.enable?.ns ?? null, fmt: (v) => `${(v / 1e6).toFixed(3)} ms` },
  { key: 'migrationNs', label: 'migration: enable to switch-over', unit: 'ns', cost: true, value: (v) => v.totals.migrationNs ?? null, fmt: (v) => `${(v / 1e9).toFixed(4)} s` },
  { key: 'downtimeNs', label: 'downtime (sim)', unit: 'ns', cost: true, value: total('downtimeNs'), fmt: (v) => `${(v / 1e6).toFixed(2)} ms` },
  { key: 'downtimeFinalReadNs', label: '  final bitmap read', unit: 'ns', cost: true, value: (v) => v.totals.downtimeFinalReadNs ?? null, fmt: (v) => `${(v / 1e6).toFixed(3)} ms` },
  { key: 'downtimeFlushNs', label: '  final flushes', unit: 'ns', cost: true, value: (v) => v.totals.downtimeFlushNs ?? null, fmt: (v) => `${(v / 1e3).toFixed(1)} µs` },
  { key: 'downtimeTransferNs', label: '  stop-and-copy transfer', unit: 'ns', cost: true, value: (v) => v.totals.downtimeTransferNs ?? null, fmt: (v) => `${(v / 1e6).toFixed(2)} ms` },
  { key: 'totalNs', label: 'total incl. set-up (sim)', unit: 'ns', cost: true, value: total('totalNs'), fmt: (v) => `${(v / 1e9).toFixed(3)} s` },
  { key: 'converged', label: 'converged', unit: 'flag', cost: false, value: (v) => (v.totals.converged ? 1 : 0), fmt: (v) => (v ? 'converged' : 'forced') },
];

/** Whether `hi` is materially above `lo` for a row of `unit`. */
export function material(hi: number, lo: number, unit: SummaryUnit): boolean {
  if (hi - lo < MATERIAL_FLOOR[unit]) return false;
  return lo <= 0 ? hi > 0 : hi / lo >= MATERIAL_RATIO;
}

/** Badges of one cost row (see the module comment). */
function badges(values: (number | null)[], lost: boolean[], unit: SummaryUnit, key: string): Pick<SummaryCell, 'badge' | 'ratio'>[] {
  const out: Pick<SummaryCell, 'badge' | 'ratio'>[] = values.map(() => ({ badge: null }));
  if (key === 'missedPages') {
    values.forEach((v, i) => v !== null && v > 0 && (out[i] = { badge: 'lost' }));
    return out;
  }
  // The cheapest is chosen among the vendors that lost nothing (all of them when every one did).
  const honest = values.map((v, i) => (v !== null && (!lost[i] || lost.every(Boolean)) ? i : -1)).filter((i) => i >= 0);
  if (honest.length === 0) return out;
  const best = honest.reduce((a, i) => ((values[i] as number) < (values[a] as number) ? i : a));
  const lo = values[best] as number;
  let anyHigher = false;
  values.forEach((v, i) => {
    if (v === null || i === best) return;
    if (material(v, lo, unit)) {
      anyHigher = true;
      out[i] = { badge: 'ratio', ratio: lo > 0 ? v / lo : Infinity };
    } else if (lost[i] && material(lo, v, unit)) out[i] = { badge: 'lost' };
  });
  if (anyHigher) out[best] = { badge: 'cheapest' };
  return out;
}

/** A row from its values (one per vendor; `lost`: which vendors lost dirty pages). */
export function tableRow(r: { key: string; label: string; unit: SummaryUnit; cost: boolean; fmt: (v: number) => string }, values: (number | null)[], lost: boolean[]): SummaryRow {
  const b = r.cost && values.length > 1 ? badges(values, lost, r.unit, r.key) : values.map(() => ({ badge: null }));
  return { key: r.key, label: r.label, unit: r.unit, cost: r.cost, cells: values.map((v, i) => ({ value: v, text: v === null ? '—' : r.fmt(v), ...b[i] })) as SummaryCell[] };
}

/** The CLI's text of a value of row `key` (one of the table's rows), e.g. '4.57 GiB'. */
export function formatCell(key: string, v: number): string {
  const r = ROWS.find((x) => x.key === key);
  return r ? r.fmt(v) : int(v);
}

/** Row definition (label, unit, cost, CLI format) of a table row key. */
export function rowDef(key: string): Omit<RowDef, 'value'> | undefined {
  return ROWS.find((x) => x.key === key);
}

/** The comparison table of `s` (rows a vendor does not have show "—"). */
export function summaryTable(s: ComparisonSummary): SummaryTable {
  const lost = s.vendors.map((v) => v.totals.missedPages > 0);
  const rows: SummaryRow[] = ROWS.filter((r) => (r.key !== 'enableNs' || s.vendors.some((v) => v.enable)) && (r.key !== 'pageRequests' || s.vendors.some((v) => (v.totals.pageRequests ?? 0) > 0))).map((r) =>
    tableRow(
      r,
      s.vendors.map((v) => {
        const x = r.value(v);
        return x === null || Number.isNaN(x) ? null : x;
      }),
      lost,
    ),
  );
  return {
    scenario: s.scenario,
    seed: s.seed,
    vendors: s.vendors.map((v) => ({ vendor: v.vendor, title: vendorTitle(v.vendor), runId: v.runId })),
    rows,
    explanations: s.explanations,
  };
}

/** Each vendor run's migration time and downtime in parts (see {@link TimeBreakdown}). */
export function timeBreakdown(s: ComparisonSummary): TimeBreakdown[] {
  return s.vendors.map((v) => {
    const t = v.totals;
    const first = v.rounds[0]?.ts ?? Math.max(0, t.totalNs - t.downtimeNs);
    const enable = Math.min(first, v.enable?.ns ?? 0);
    const reads = v.rounds.reduce((a, r) => a + r.bitmapReadNs, 0);
    const transfer = v.rounds.reduce((a, r) => a + Math.max(0, r.dur - r.bitmapReadNs), 0);
    const stopCopy = Math.max(0, t.downtimeNs - t.switchoverNs);
    const parts = [
      { key: 'setup', label: 'set-up', ns: first - enable, downtime: false },
      { key: 'enable', label: 'enable dirty tracking', ns: enable, downtime: false },
      { key: 'transfer', label: 'pre-copy transfer', ns: transfer, downtime: false },
      { key: 'reads', label: 'dirty-bitmap reads', ns: reads, downtime: false },
      ...(t.downtimeFlushNs !== undefined
        ? [
            { key: 'final', label: 'final bitmap read', ns: t.switchoverNs - t.downtimeFlushNs, downtime: true },
            { key: 'flushes', label: 'final flushes', ns: t.downtimeFlushNs, downtime: true },
          ]
        : [{ key: 'final', label: 'final collection', ns: t.switchoverNs, downtime: true }]),
      { key: 'stopcopy', label: 'stop-and-copy transfer', ns: stopCopy, downtime: true },
    ];
    const other = t.totalNs - parts.reduce((a, p) => a + p.ns, 0);
    if (Math.abs(other) >= 1) parts.splice(4, 0, { key: 'other', label: 'other', ns: other, downtime: false });
    return { runId: v.runId, vendor: v.vendor, totalNs: t.totalNs, downtimeNs: t.downtimeNs, parts: parts.filter((p) => p.ns !== 0) };
  });
}
