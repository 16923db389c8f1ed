/**
 * The workspace database the host has open (one at a time), validated exactly as the CLI
 * validates a `--db` (./db.ts openStore): a file that is not SQLite, corrupt or truncated,
 * or of an older or newer schema is refused with the store's message and left unchanged.
 * The connection is always read-only - the UI only reads; jobs record through their own
 * writer - so opening never changes a file. A foreign SQLite file (not ours) is opened
 * read-only for inspection (ours: false). `create` makes a new, empty workbench database.
 * Source of truth for the schema is core/store/schema.ts.
 *
 * Integrity: files up to {@link QUICK_CHECK_MAX_BYTES} get SQLite's quick_check at open, as
 * the CLI's `--db` does. Larger files skip it: quick_check reads every page (2.6 s on a 1.7 GB,
 * 10 M-event trace), which would break the "open → Compare ≤ 1.5 s" budget; the connection is
 * read-only, so nothing can be damaged, and SQLite still checks each page it reads, so a
 * corrupt page fails the query that touches it (EIO naming "database disk image is
 * malformed") instead of the open.
 */
import { existsSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { inspectForeign, openStore, releaseWriter, type StoreError } from './db';
import type { DatabaseInfo, OpenDatabaseRequest } from './queries/types';

/** Result of {@link OpenDatabase.open}: the info, or an errno-named error (ENOENT, EINVAL, EBUSY, EACCES, EIO). */
export type OpenDatabaseResult = { ok: true; value: DatabaseInfo } | { ok: false; error: { code: string; message: string } };

/** The API's errno name for a store refusal. */
function errnoOf(e: StoreError): string {
  switch (e.code) {
    case 'ENOENT':
      return 'ENOENT';
    case 'BUSY':
      return 'EBUSY';
    case 'READONLY':
      return 'EACCES';
    case 'IO':
      return 'EIO';
    default:
      return 'EINVAL';
  }
}

function refuse(e: StoreError): OpenDatabaseResult {
  return { ok: false, error: { code: errnoOf(e), message: e.message } };
}

/** Largest file (bytes) that gets a full quick_check at open: 256 MiB, about 0.4 s here. */
export const QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024;

export class OpenDatabase {
  private db: Database.Database | null = null;

  /** @param quickCheckMaxBytes files above this size skip quick_check at open (tests lower it). */
  constructor(private readonly quickCheckMaxBytes: number = QUICK_CHECK_MAX_BYTES) {}
  private path = '';
  private readOnly = false;
  private foreign = false;

  /** The open connection (read-only), or null. */
  get handle(): Database.Database | null {
    return this.db;
  }

  /** Path of the open file ('' when none). */
  get filePath(): string {
    return this.path;
  }

  /**
   * Open a database file read-only (or create a new one); closes the previous one only when
   * the new one opened. `req.readOnly` is accepted for compatibility; the connection is
   * read-only either way.
   */
  open(req: OpenDatabaseRequest): OpenDatabaseResult {
    if (!existsSync(req.path)) {
      if (!req.create) return { ok: false, error: { code: 'ENOENT', message: `no such file: ${req.path}` } };
      // A new database gets our schema now (the one writable open), so it validates below.
      const w = openStore(req.path, { mode: 'write', create: true });
      if (!w.ok) return refuse(w.error);
      releaseWriter(w.db);
      w.db.close();
    } else if (!statSync(req.path).isFile()) {
      return { ok: false, error: { code: 'EINVAL', message: `not a regular file: ${req.path}` } };
    }
    let db: Database.Database;
    let foreign = false;
    const r = openStore(req.path, { mode: 'read', check: statSync(req.path).size <= this.quickCheckMaxBytes ? 'quick' : 'none' });
    if (r.ok) db = r.db;
    else if (r.error.code === 'FOREIGN') {
      foreign = true;
      // Someone else's SQLite file: shown read-only, never written.
      const f = inspectForeign(req.path);
      if (!f.ok) return refuse(f.error);
      db = f.db;
    } else return refuse(r.error);
    this.close();
    this.db = db;
    this.path = req.path;
    this.readOnly = db.readonly;
    this.foreign = foreign;
    return { ok: true, value: this.info() as DatabaseInfo };
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.path = '';
  }

  /** Info about the open database, or null when none is open. */
  info(): DatabaseInfo | null {
    const db = this.db;
    if (!db) return null;
    const hasTable = (name: string): boolean =>
      !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
    let schemaVersion: number | null = null;
    if (!this.foreign && hasTable('meta')) {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
      schemaVersion = row ? Number(row.value) : null;
    }
    const ours = !this.foreign && schemaVersion !== null && hasTable('run');
    const runs = ours ? (db.prepare('SELECT count(*) AS n FROM run').get() as { n: number }).n : 0;
    return { path: this.path, readOnly: this.readOnly, schemaVersion, ours, runs, bytes: existsSync(this.path) ? statSync(this.path).size : 0 };
  }
}
