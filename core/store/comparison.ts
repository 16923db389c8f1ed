/**
 * The `comparison` table (schema 3): one row per vendor comparison with the run ids it
 * covers and its summary JSON ({@link StoredComparison}).
 */
import type Database from 'better-sqlite3';

/**
 * What the store needs of a comparison summary (core/scenario/compare.ts ComparisonSummary is
 * one): its scenario name, seed and the runs it covers; the rest is stored as JSON as given.
 */
export interface StoredComparison {
  scenario: string;
  seed: number;
  vendors: readonly { runId: number | null }[];
  explanations?: unknown;
}

export interface ComparisonRow {
  id: number;
  scenario: string;
  seed: number;
  createdAt: string;
  runIds: number[];
  summary: StoredComparison & Record<string, unknown>;
}

/** Insert a comparison; returns its id. */
export function insertComparison(db: Database.Database, s: StoredComparison): number {
  const runIds = s.vendors.map((v) => v.runId).filter((id): id is number => id !== null);
  const r = db
    .prepare('INSERT INTO comparison(scenario, seed, created_at, run_ids, summary) VALUES (?, ?, ?, ?, ?)')
    .run(s.scenario, s.seed, new Date().toISOString(), JSON.stringify(runIds), JSON.stringify(s));
  return Number(r.lastInsertRowid);
}

/** All comparisons, newest first. Rows whose JSON does not parse are skipped (foreign edits). */
export function listComparisons(db: Database.Database): ComparisonRow[] {
  const rows = db.prepare('SELECT id, scenario, seed, created_at, run_ids, summary FROM comparison ORDER BY id DESC').all() as {
    id: number;
    scenario: string;
    seed: number;
    created_at: string;
    run_ids: string;
    summary: string;
  }[];
  const out: ComparisonRow[] = [];
  for (const r of rows) {
    try {
      out.push({ id: r.id, scenario: r.scenario, seed: r.seed, createdAt: r.created_at, runIds: JSON.parse(r.run_ids), summary: JSON.parse(r.summary) });
    } catch {
      continue;
    }
  }
  return out;
}
