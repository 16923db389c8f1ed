/**
 * The workspace database the host has open (one at a time). Opening never changes a file
 * that is not ours: foreign or newer-schema files are opened read-only, corrupt files are
 * refused with a clear error. Source of truth for the schema is core/store/schema.ts.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { DatabaseInfo, OpenDatabaseRequest } from './queries/types';

/** Result of {@link OpenDatabase.open}: the info, or an errno-named error (ENOENT, EINVAL). */
export type OpenDatabaseResult = { ok: true; value: DatabaseInfo } | { ok: false; error: { code: string; message: string } };

export class OpenDatabase {
  private db: Database.Database | null = null;
  private path = '';
  private readOnly = false;

  /** The open connection, or null. */
  get handle(): Database.Database | null {
    return this.db;
  }

  /** Path of the open file ('' when none). */
  get filePath(): string {
    return this.path;
  }

  /** Open (or create) a database file; closes the previous one. */
  open(req: OpenDatabaseRequest): OpenDatabaseResult {
    const exists = existsSync(req.path);
    if (!exists && !req.create) return { ok: false, error: { code: 'ENOENT', message: `no such file: ${req.path}` } };
    if (exists && !statSync(req.path).isFile()) return { ok: false, error: { code: 'EINVAL', message: `not a regular file: ${req.path}` } };
    let db: Database.Database;
    try {
      db = new Database(req.path, { readonly: exists && !!req.readOnly, fileMustExist: exists });
      // Touch the schema: fails fast on a file that is not SQLite at all.
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (e) {
      return { ok: false, error: { code: 'EINVAL', message: `not a readable SQLite database: ${req.path} (${(e as Error).message})` } };
    }
    this.close();
    this.db = db;
    this.path = req.path;
    this.readOnly = db.readonly;
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
    if (hasTable('meta')) {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
      schemaVersion = row ? Number(row.value) : null;
    }
    const ours = schemaVersion !== null;
    const runs = ours && hasTable('run') ? (db.prepare('SELECT count(*) AS n FROM run').get() as { n: number }).n : 0;
    return { path: this.path, readOnly: this.readOnly, schemaVersion, ours, runs, bytes: existsSync(this.path) ? statSync(this.path).size : 0 };
  }
}
