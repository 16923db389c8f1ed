/**
 * Comparison notes: the explanation lines a comparison run from the app produced, kept in
 * the database's key/value `meta` table under `comparison:<run ids>` (JSON), so the Compare
 * view can show them whenever those runs are opened again. Databases recorded by the CLI
 * carry none.
 */
import Database from 'better-sqlite3';
import type { ComparisonNotes } from '../api';

const PREFIX = 'comparison:';

/** Store the notes of a comparison (its runs and explanation lines). Errors are thrown (caller logs). */
export function saveNotes(dbPath: string, runIds: number[], explanations: string[], summary: unknown): void {
  if (runIds.length === 0) return;
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)').run(`${PREFIX}${runIds.join(',')}`, JSON.stringify({ runIds, explanations, summary }));
  } finally {
    db.close();
  }
}

/** Notes of the stored comparison that covers every run in `runIds` (the newest), or null. */
export function readNotes(db: Database.Database, runIds: number[]): ComparisonNotes | null {
  const rows = db.prepare(`SELECT key, value FROM meta WHERE key LIKE '${PREFIX}%' ORDER BY rowid DESC`).all() as { key: string; value: string }[];
  for (const r of rows) {
    const ids = r.key.slice(PREFIX.length).split(',').map(Number);
    if (!runIds.every((id) => ids.includes(id))) continue;
    try {
      const v = JSON.parse(r.value) as { explanations?: unknown };
      const explanations = Array.isArray(v.explanations) ? v.explanations.filter((x): x is string => typeof x === 'string') : [];
      return { runIds: ids, explanations };
    } catch {
      continue;
    }
  }
  return null;
}
