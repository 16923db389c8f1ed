/**
 * A second database open read-only beside the main one, so two runs recorded in different
 * files (the same scenario on two kernels, before and after a cost change) can be diffed in
 * Compare. Its runs are exposed with ids {@link OTHER_RUN_BASE} + their own id, so every
 * per-run API method takes them unchanged: {@link routeRun} sends a call to the database a
 * run id belongs to, and {@link comparisonViewAcross} joins the two files' summary tables
 * row by row for the strip and its run-vs-run diff.
 */
import type Database from 'better-sqlite3';
import { basename } from 'node:path';
import type { ApiResult, RunSummary } from '../api';
import { vendorTitle } from '../../core/iommu/registry';
import { comparisonView } from '../../core/run/comparison-view';
import { rowDef, tableRow } from '../../core/scenario/summary-table';
import type { ComparisonView, SummaryRow } from '../../core/scenario/summary-types';
import type { OpenDatabase } from '../../core/store/open-database';
import { hasRunTables, listRuns } from '../../core/store/queries/run-data';

/** Run ids at or above this belong to the other database (its own id + OTHER_RUN_BASE). */
export const OTHER_RUN_BASE = 1_000_000_000;

/** The two databases a host serves runs from. */
export interface RunDatabases {
  readonly db: OpenDatabase;
  readonly other: OpenDatabase;
}

/** A workbench run database of `o`, or ENODEV / EMEDIUMTYPE naming `what`. */
function runTables(o: OpenDatabase, what: string): ApiResult<Database.Database> {
  const db = o.handle;
  if (!db) return { ok: false, error: { code: 'ENODEV', message: `no ${what} is open` } };
  if (!hasRunTables(db)) return { ok: false, error: { code: 'EMEDIUMTYPE', message: `the ${what} is not a workbench trace database (schema 2 or later)` } };
  return { ok: true, value: db };
}

/** The database run `runId` lives in and its id there. */
export function routeRun(h: RunDatabases, runId: number): ApiResult<{ db: Database.Database; id: number }> {
  const other = runId >= OTHER_RUN_BASE;
  const r = other ? runTables(h.other, 'other database') : runTables(h.db, 'database');
  return r.ok ? { ok: true, value: { db: r.value, id: other ? runId - OTHER_RUN_BASE : runId } } : r;
}

/** The other database's runs with their exposed ids, each naming its file. */
export function otherRuns(h: RunDatabases): ApiResult<RunSummary[]> {
  const r = runTables(h.other, 'other database');
  if (!r.ok) return r;
  const file = h.other.filePath;
  return { ok: true, value: listRuns(r.value, vendorTitle).map((x) => ({ ...x, id: x.id + OTHER_RUN_BASE, localId: x.id, database: file, databaseName: basename(file) })) };
}

/** `v` with the other database's run ids made global. */
function offset(v: ComparisonView): ComparisonView {
  const g = (id: number | null): number | null => (id === null ? null : id + OTHER_RUN_BASE);
  return {
    ...v,
    runIds: v.runIds.map((id) => id + OTHER_RUN_BASE),
    table: { ...v.table, vendors: v.table.vendors.map((x) => ({ ...x, runId: g(x.runId) })) },
    ...(v.breakdown ? { breakdown: v.breakdown.map((b) => ({ ...b, runId: g(b.runId) })) } : {}),
  };
}

/**
 * The strip's table for `runIds` from one or both databases. Within one database it is
 * comparisonView's. Across both, each database's table gives the columns of its runs (a
 * stored comparison where one covers them, else counter totals), the rows both have are
 * joined in the first table's order, and badges are recomputed over the joined values; the
 * explanation lines of the two comparisons do not apply to the pair: one line says so.
 */
export function comparisonViewAcross(h: RunDatabases, runIds: number[]): ApiResult<ComparisonView | null> {
  const mine = runIds.filter((id) => id < OTHER_RUN_BASE);
  const theirs = runIds.filter((id) => id >= OTHER_RUN_BASE);
  const views: ComparisonView[] = [];
  for (const [ids, other] of [[mine, false], [theirs, true]] as const) {
    if (ids.length === 0) continue;
    const r = routeRun(h, ids[0]!);
    if (!r.ok) return r;
    const v = comparisonView(r.value.db, other ? ids.map((id) => id - OTHER_RUN_BASE) : [...ids]);
    if (v) views.push(other ? offset(v) : v);
  }
  if (views.length < 2) return { ok: true, value: views[0] ?? null };
  // Columns of the asked runs, in runIds order, from the view that has each.
  const cols = runIds
    .map((id) => {
      const v = views.find((x) => x.table.vendors.some((c) => c.runId === id));
      return v ? { id, v, i: v.table.vendors.findIndex((c) => c.runId === id) } : null;
    })
    .filter((c): c is NonNullable<typeof c> => c !== null);
  const rowOf = (v: ComparisonView, key: string): SummaryRow | undefined => v.table.rows.find((r) => r.key === key);
  const keys = views[0]!.table.rows.map((r) => r.key).filter((k) => views.every((v) => rowOf(v, k)));
  const lostVals = cols.map((c) => rowOf(c.v, 'missedPages')?.cells[c.i]?.value ?? 0);
  const lost = lostVals.map((x) => (x ?? 0) > 0);
  const rows = keys.map((key) => {
    const cells = cols.map((c) => rowOf(c.v, key)!.cells[c.i]!);
    const def = rowDef(key);
    const first = rowOf(views[0]!, key)!;
    return def ? tableRow(def, cells.map((x) => x.value), lost) : { ...first, cells: cells.map((x) => ({ ...x, badge: null })) };
  });
  const breakdown = cols.map((c) => c.v.breakdown?.find((b) => b.runId === c.id)).filter((b): b is NonNullable<typeof b> => !!b);
  const base = views[0]!;
  const note = `These runs come from two databases (${basename(h.db.filePath)} and ${basename(h.other.filePath)}): each column is its own file's ${views.map((v) => (v.source === 'comparison' ? 'stored comparison' : 'counter totals')).join(' / ')}, the badges compare the columns shown, and no explanation lines are computed across files.`;
  return {
    ok: true,
    value: {
      runIds: cols.map((c) => c.id),
      explanations: [note],
      source: views.every((v) => v.source === 'comparison') ? 'comparison' : 'counters',
      table: { scenario: base.table.scenario, seed: base.table.seed, vendors: cols.map((c) => c.v.table.vendors[c.i]!), rows, explanations: [] },
      ...(breakdown.length === cols.length ? { breakdown } : {}),
    },
  };
}
