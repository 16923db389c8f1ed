/**
 * The `comparison` table (schema 3): one row per vendor comparison with the run ids it
 * covers and its summary JSON (core/scenario/compare.ts ComparisonSummary).
 */
import type Database from 'better-sqlite3';
import type { ComparisonSummary } from '../scenario/compare';

export interface ComparisonRow {
  id: number;
  scenario: string;
  seed: number;
  createdAt: string;
  runIds: number[];
  summary: ComparisonSummary;
}

/** Insert a comparison; returns its id. */
export function insertComparison(db: Database.Database, s: ComparisonSummary): number {
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
