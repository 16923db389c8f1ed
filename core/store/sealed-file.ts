/**
 * Self-contained trace files: after recording, a file can be *sealed* — extra `meta` entries
 * written and the journal switched from WAL to DELETE (checkpointing the WAL into the file),
 * so the file is one file that can be copied, renamed into place atomically and read from
 * anywhere. Used by callers that keep one database per unit of work (e.g. sweep points); the
 * store does not know what the entries mean.
 */
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { listComparisons, type ComparisonRow } from './comparison';
import { openStore, type StoreError } from './db';
import { listRunRows, type RunRow } from './queries/slices';

/** Keys of `meta` the store owns; callers cannot overwrite them. */
const RESERVED = new Set(['app', 'schema_version']);

/**
 * Write `entries` into `meta` (insert or replace) and switch the file to journal_mode=DELETE.
 * Errors: StoreError values of openStore (ENOENT, CORRUPT, …), EINVAL for a reserved key.
 */
export function sealDatabase(path: string, entries: Record<string, string>): { ok: true } | { ok: false; error: StoreError | { code: 'EINVAL'; message: string } } {
  const bad = Object.keys(entries).filter((k) => RESERVED.has(k));
  if (bad.length) return { ok: false, error: { code: 'EINVAL', message: `meta keys ${bad.join(', ')} belong to the store` } };
  const o = openStore(path, { mode: 'write', create: false });
  if (!o.ok) return o;
  try {
    const put = o.db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)');
    o.db.transaction(() => {
      for (const [k, v] of Object.entries(entries)) put.run(k, v);
    })();
    o.db.pragma('journal_mode = DELETE');
  } finally {
    o.db.close();
  }
  if (existsSync(`${path}-wal`)) return { ok: false, error: { code: 'IO', message: `${path}: WAL still present after sealing` } };
  return { ok: true };
}

/** What a trace file holds at the run level: its meta entries, runs and comparisons. */
export interface FileSummary {
  meta: Record<string, string>;
  runs: RunRow[];
  comparisons: ComparisonRow[];
}

function readMeta(db: Database.Database): Record<string, string> {
  const rows = db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/**
 * Read a trace file's meta, runs and comparisons, read-only (validated as openStore does:
 * ours, schema version, quick integrity check). Errors: StoreError values.
 */
export function readFileSummary(path: string): { ok: true; summary: FileSummary } | { ok: false; error: StoreError } {
  const o = openStore(path, { mode: 'read' });
  if (!o.ok) return o;
  try {
    return { ok: true, summary: { meta: readMeta(o.db), runs: listRunRows(o.db), comparisons: listComparisons(o.db) } };
  } finally {
    o.db.close();
  }
}

/** Only the meta entries of a trace file (cheap: no integrity check). Errors: StoreError values. */
export function readFileMeta(path: string): { ok: true; meta: Record<string, string> } | { ok: false; error: StoreError } {
  const o = openStore(path, { mode: 'read', check: 'none' });
  if (!o.ok) return o;
  try {
    return { ok: true, meta: readMeta(o.db) };
  } finally {
    o.db.close();
  }
}
