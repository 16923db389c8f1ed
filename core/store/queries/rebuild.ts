/**
 * What rebuilding a run's page table needs from the store (core/run/pagetable-worker.ts
 * re-simulates the run): the run's vendor and stored scenario JSON, and the dirty pages its
 * `migration_round` slices recorded, to check the re-simulation against the recording.
 */
import type { Database } from 'better-sqlite3';

/** A run's vendor and parsed scenario JSON (null when the row is missing; `scenario` is the raw text when it is not JSON). */
export function runScenario(db: Database, runId: number): { vendor: string; scenario: unknown } | null {
  const row = db.prepare('SELECT vendor, scenario FROM run WHERE id = ?').get(runId) as { vendor: string; scenario: string } | undefined;
  if (!row) return null;
  try {
    return { vendor: row.vendor, scenario: JSON.parse(row.scenario) as unknown };
  } catch {
    return { vendor: row.vendor, scenario: row.scenario };
  }
}

/** Dirty pages per pre-copy round as recorded (`migration_round` arg dirty_pages), in time order; [] when none. */
export function recordedDirtyPagesPerRound(db: Database, runId: number): number[] {
  return db
    .prepare(`SELECT a.int_value FROM slice s JOIN args a ON a.arg_set_id = s.id AND a.key = 'dirty_pages' WHERE s.run_id = ? AND s.name = 'migration_round' ORDER BY s.ts`)
    .pluck()
    .all(runId) as number[];
}
