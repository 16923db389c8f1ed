/**
 * Comparison notes: the explanation lines of a vendor comparison, read from the database's
 * `comparison` table (schema 3, core/store/comparison.ts). Comparisons run from the app and
 * from `iommu-workbench compare --db` both write it, so the Compare view shows the lines
 * whenever those runs are opened again.
 */
import type Database from 'better-sqlite3';
import { listComparisons } from '../comparison';
import type { ComparisonNotes } from './types';

/** Notes of the newest stored comparison that covers every run in `runIds`, or null. */
export function readNotes(db: Database.Database, runIds: number[]): ComparisonNotes | null {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'comparison'").get();
  if (!hasTable) return null;
  for (const c of listComparisons(db)) {
    if (!runIds.every((id) => c.runIds.includes(id))) continue;
    const explanations = Array.isArray(c.summary.explanations) ? c.summary.explanations.filter((x): x is string => typeof x === 'string') : [];
    return { runIds: c.runIds, explanations, summary: c.summary };
  }
  return null;
}
