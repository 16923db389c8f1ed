/**
 * What the Compare view's summary strip shows for a set of runs: the stored comparison's table
 * (core/scenario/summary-table.ts, the same table `compare` prints) when one comparison covers
 * the runs, else a table of the runs' own counter totals with the same rows, formats and
 * badges (replays, databases written by other tools).
 */
import type Database from 'better-sqlite3';
import { readNotes } from '../store/queries/notes';
import { eventNames, listCounters, listRuns } from '../store/queries/run-data';
import type { ComparisonSummary } from '../scenario/compare';
import { rowDef, summaryTable, tableRow, timeBreakdown } from '../scenario/summary-table';
import type { ComparisonView, SummaryUnit } from '../scenario/summary-types';
import { vendorTitle } from '../iommu/registry';

/** A stored summary that has what summaryTable reads (a foreign edit may not). */
function isSummary(s: Record<string, unknown>): s is Record<string, unknown> & ComparisonSummary {
  const v = s.vendors;
  return Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && typeof (x as { totals?: unknown }).totals === 'object' && typeof (x as { vendor?: unknown }).vendor === 'string') && Array.isArray(s.explanations ?? []);
}

const INV_TYPES = ['inv_iotlb', 'inv_context', 'inv_pasid', 'inv_devtlb', 'inv_wait'];

/** The view of `runIds` (in that order for the counters table). Unknown run ids are skipped. */
export function comparisonView(db: Database.Database, runIds: number[]): ComparisonView | null {
  const notes = readNotes(db, runIds);
  if (notes && isSummary(notes.summary)) {
    try {
      return { runIds: notes.runIds, explanations: notes.explanations, source: 'comparison', table: summaryTable(notes.summary), breakdown: timeBreakdown(notes.summary) };
    } catch {
      // A stored summary this build cannot read: fall back to the counters.
    }
  }
  const runs = listRuns(db, vendorTitle).filter((r) => runIds.includes(r.id));
  if (runs.length === 0) return null;
  const totals = runs.map((r) => new Map(listCounters(db, r.id).map((c) => [c.name, c.total])));
  const rounds = runs.map((r) => eventNames(db, r.id).find((e) => e.name === 'migration_round')?.count ?? null);
  const get = (m: Map<string, number>, ...names: string[]): number | null => {
    for (const n of names) if (m.has(n)) return m.get(n) as number;
    return null;
  };
  const values: Record<string, (i: number) => number | null> = {
    rounds: (i) => rounds[i],
    dirtyPages: (i) => get(totals[i], 'dirty_pages'),
    missedPages: (i) => get(totals[i], 'missed_pages') ?? (get(totals[i], 'dirty_pages') !== null ? 0 : null),
    bitmapReadNs: (i) => get(totals[i], 'bitmap_read_ns'),
    pteReads: (i) => get(totals[i], 'pte_read'),
    pteWritesAtomic: (i) => get(totals[i], 'pte_write_atomic'),
    invalidations: (i) => (INV_TYPES.some((t) => totals[i].has(t)) ? INV_TYPES.reduce((a, t) => a + (totals[i].get(t) ?? 0), 0) : get(totals[i], 'invalidations')),
    iotlbMissRate: (i) => {
      const m = get(totals[i], 'iotlb_miss');
      const h = get(totals[i], 'iotlb_hit') ?? 0;
      return m === null || m + h === 0 ? null : m / (m + h);
    },
    faults: (i) => get(totals[i], 'faults') ?? 0,
    bytesSent: (i) => get(totals[i], 'migration_bytes'),
  };
  const lost = runs.map((_r, i) => (values.missedPages(i) ?? 0) > 0);
  const rows = Object.entries(values)
    .map(([key, f]) => tableRow(rowDef(key)!, runs.map((_r, i) => f(i)), lost))
    .filter((r) => r.cells.some((c) => c.value !== null));
  const extra: { key: string; label: string; unit: SummaryUnit; cost: boolean; fmt: (v: number) => string; v: (i: number) => number | null }[] = [
    { key: 'events', label: 'events recorded', unit: 'count', cost: false, fmt: (v) => v.toLocaleString('en-US'), v: (i) => runs[i].events },
    { key: 'simEndNs', label: 'simulated time', unit: 'ns', cost: true, fmt: (v) => `${(v / 1e9).toFixed(3)} s`, v: (i) => runs[i].simEndNs },
  ];
  for (const e of extra) rows.push(tableRow(e, runs.map((_r, i) => e.v(i)), lost));
  return {
    runIds: runs.map((r) => r.id),
    explanations: [],
    source: 'counters',
    table: { scenario: runs[0].scenario, seed: runs[0].seed, vendors: runs.map((r) => ({ vendor: r.vendor, title: r.vendorTitle, runId: r.id })), rows, explanations: [] },
  };
}
