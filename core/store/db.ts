/**
 * Opening trace databases safely. Untrusted input (docs/trace-store.md): a file that is not
 * SQLite, not ours, of an older or newer schema, truncated or corrupt gives an error value and
 * is left unchanged: validation opens it read-only, nothing is written until it has passed,
 * and the `-wal`/`-shm` files a read-only open of a WAL database creates are removed again
 * when the file is refused. Only a writable open of one of our current-schema files changes
 * anything: it claims the database for this process (one writer at a time: meta 'writer'; a
 * second live process gets BUSY), marks runs whose writer died as 'incomplete', rebuilds
 * their statistics, and creates missing indexes.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { APP_ID, INDEXES, MIGRATIONS, PAGE_SIZE, REBUILD_STATS_SQL, SCHEMA_VERSION, WRITER_PRAGMAS } from './schema';

/** Why a database could not be opened. */
export type StoreErrorCode = 'ENOENT' | 'NOT_SQLITE' | 'CORRUPT' | 'FOREIGN' | 'SCHEMA_TOO_OLD' | 'SCHEMA_TOO_NEW' | 'BUSY' | 'READONLY' | 'IO';

/** An open failure, as a value. */
export interface StoreError {
  code: StoreErrorCode;
  message: string;
  /** Schema version found, when known. */
  version?: number;
}

export type OpenResult = { ok: true; db: Database.Database; version: number; readOnly: boolean } | { ok: false; error: StoreError };

/** Options for {@link openStore}. */
export interface OpenOptions {
  /** 'read' (default) opens read-only; 'write' opens for recording. */
  mode?: 'read' | 'write';
  /** In write mode, create the file if missing (default true). */
  create?: boolean;
  /** In write mode, migrate an older schema (default false: older → SCHEMA_TOO_OLD). */
  migrate?: boolean;
  /** Integrity check before accepting the file: 'quick' (default), 'full' or 'none'. */
  check?: 'quick' | 'full' | 'none';
}

const HEADER = 'SQLite format 3\0';

function fail(code: StoreErrorCode, message: string, version?: number): { ok: false; error: StoreError } {
  return { ok: false, error: version === undefined ? { code, message } : { code, message, version } };
}

/** Check the 100-byte SQLite header and that the file is not shorter than its page count says. */
function checkHeader(path: string): StoreError | null {
  const st = statSync(path);
  if (!st.isFile()) return { code: 'NOT_SQLITE', message: `${path}: not a regular file${st.isDirectory() ? ' (a directory)' : ''}` };
  const size = st.size;
  if (size < 100) return { code: 'NOT_SQLITE', message: `${path}: ${size} bytes, too short for an SQLite database` };
  const buf = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (buf.toString('latin1', 0, 16) !== HEADER) return { code: 'NOT_SQLITE', message: `${path}: not an SQLite database (bad header)` };
  const raw = buf.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const pages = buf.readUInt32BE(28);
  // The in-header size is valid when the change counter (24) equals version-valid-for (92).
  const valid = buf.readUInt32BE(24) === buf.readUInt32BE(92);
  if (valid && !existsSync(`${path}-wal`) && pages * pageSize > size) {
    return { code: 'CORRUPT', message: `${path}: truncated (${size} bytes, header says ${pages} pages of ${pageSize})` };
  }
  return null;
}

/** Validate read-only: ours, schema version, integrity. Returns the version or an error. */
function validate(path: string, check: 'quick' | 'full' | 'none'): { version: number } | StoreError {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const hasMeta = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'`).get();
    const app = hasMeta ? (db.prepare(`SELECT value FROM meta WHERE key = 'app'`).get() as { value: string } | undefined) : undefined;
    if (!app || app.value !== APP_ID) {
      return { code: 'FOREIGN', message: `${path}: an SQLite database, but not an ${APP_ID} trace (no meta.app = '${APP_ID}'); open it read-only with inspectForeign()` };
    }
    const v = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
    const version = Number(v?.value);
    if (!Number.isInteger(version) || version < 1) return { code: 'CORRUPT', message: `${path}: invalid schema_version ${String(v?.value)}` };
    if (version > SCHEMA_VERSION) {
      return { code: 'SCHEMA_TOO_NEW', message: `${path}: schema version ${version} is newer than this build supports (${SCHEMA_VERSION}); upgrade the workbench`, version };
    }
    if (check !== 'none') {
      const rows = db.prepare(`PRAGMA ${check === 'full' ? 'integrity_check' : 'quick_check'}(20)`).all() as Record<string, string>[];
      const msgs = rows.map((r) => Object.values(r)[0]);
      if (msgs.length !== 1 || msgs[0] !== 'ok') return { code: 'CORRUPT', message: `${path}: integrity check failed: ${msgs.slice(0, 3).join('; ')}` };
    }
    return { version };
  } catch (e) {
    return sqliteError(path, e);
  } finally {
    db?.close();
  }
}

/** An SQLite exception as a StoreError naming the file, with what to do for the common ones. */
function sqliteError(path: string, e: unknown): StoreError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/not a database/i.test(msg)) return { code: 'NOT_SQLITE', message: `${path}: ${msg}` };
  if (/malformed|corrupt/i.test(msg)) return { code: 'CORRUPT', message: `${path}: ${msg}` };
  if (/locked|busy/i.test(msg)) return { code: 'BUSY', message: `${path}: ${msg} (another program holds a lock on it; wait for it to finish, or use another file)` };
  if (/readonly|read-only|permission|access/i.test(msg)) return { code: 'READONLY', message: `${path}: cannot write (${msg}); check the permissions of the file and its directory, or use another file` };
  return { code: 'IO', message: `${path}: ${msg}` };
}

/** Which of a database's `-wal`/`-shm` files exist now. */
function sidecars(path: string): { wal: boolean; shm: boolean } {
  return { wal: existsSync(`${path}-wal`), shm: existsSync(`${path}-shm`) };
}

/**
 * After refusing `path`: remove the empty `-wal` and the `-shm` that our read-only validation
 * created (they did not exist before), so a refused file's directory is as it was.
 */
function removeOurSidecars(path: string, before: { wal: boolean; shm: boolean }): void {
  try {
    if (!before.wal && existsSync(`${path}-wal`) && statSync(`${path}-wal`).size === 0) unlinkSync(`${path}-wal`);
    if (!before.shm && !existsSync(`${path}-wal`) && existsSync(`${path}-shm`)) unlinkSync(`${path}-shm`);
  } catch {
    // best effort: never turn a refusal into a crash
  }
}

/** meta key naming the process that has the database open for recording. */
const WRITER_KEY = 'writer';

/** Who holds a database for writing (meta 'writer'). */
export interface WriterClaim {
  pid: number;
  /** ISO time the claim was made. */
  since: string;
}

/**
 * Claim `db` (open for writing) for this process, atomically (BEGIN IMMEDIATE). Refused with
 * BUSY when another live process holds it; a claim of a dead process (crash, kill -9) or of
 * this process (a job thread of the same engine host, which itself allows one job per
 * database) is taken over.
 */
export function claimWriter(db: Database.Database, path: string): StoreError | null {
  return db
    .transaction((): StoreError | null => {
      const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(WRITER_KEY) as { value: string } | undefined;
      let claim: Partial<WriterClaim> = {};
      try {
        claim = row ? (JSON.parse(row.value) as Partial<WriterClaim>) : {};
      } catch {
        claim = {};
      }
      if (typeof claim.pid === 'number' && claim.pid !== process.pid && alive(claim.pid)) {
        return {
          code: 'BUSY',
          message: `${path}: being recorded by another process (pid ${claim.pid}, since ${claim.since ?? '?'}); one writer at a time: wait for it to finish, or record into another file`,
        };
      }
      const mine: WriterClaim = { pid: process.pid, since: new Date().toISOString() };
      db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(WRITER_KEY, JSON.stringify(mine));
      return null;
    })
    .immediate();
}

/** Drop this process's writer claim on `db` (its writer closes). Claims of others stay. */
export function releaseWriter(db: Database.Database): void {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(WRITER_KEY) as { value: string } | undefined;
  if (!row) return;
  try {
    if ((JSON.parse(row.value) as Partial<WriterClaim>).pid !== process.pid) return;
  } catch {
    // unreadable: ours to clear
  }
  db.prepare('DELETE FROM meta WHERE key = ?').run(WRITER_KEY);
}


/** Apply migrations from `from` (0 = empty file) up to SCHEMA_VERSION, one transaction each. */
export function migrate(db: Database.Database, from: number, to: number = SCHEMA_VERSION): void {
  for (let v = from + 1; v <= to; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v - 1]);
      db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema_version'`).run(String(v));
    })();
  }
}

/** True if a process with this pid exists on this machine. */
function alive(pid: number | null): boolean {
  if (pid === null || pid === process.pid) return pid === process.pid;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Mark 'running' runs whose writer process is gone as 'incomplete' (statistics rebuilt when missing); returns their ids. */
export function markDeadRuns(db: Database.Database): number[] {
  const running = db.prepare(`SELECT id, writer_pid AS pid FROM run WHERE status = 'running'`).all() as { id: number; pid: number | null }[];
  const dead = running.filter((r) => !alive(r.pid)).map((r) => r.id);
  const [del, ins] = REBUILD_STATS_SQL.split(';').map((s) => s.trim()).filter(Boolean);
  const mark = db.prepare(`UPDATE run SET status = 'incomplete', sim_end_ns = (SELECT max(ts + dur) FROM slice_data WHERE run_id = @run) WHERE id = @run`);
  db.transaction(() => {
    for (const run of dead) {
      // Stats are written with every batch; only runs from before schema 2 lack them.
      if (!db.prepare('SELECT 1 FROM slice_name_stats WHERE run_id = ? LIMIT 1').get(run)) {
        db.prepare(del).run({ run });
        db.prepare(ins).run({ run });
      }
      mark.run({ run });
    }
  })();
  return dead;
}

/** Create the query indexes (after bulk load) and refresh planner statistics. */
export function createIndexes(db: Database.Database): void {
  for (const sql of INDEXES) db.exec(sql);
  db.exec('PRAGMA optimize');
}

/**
 * Open (or, in write mode, create) a trace database. Returns an error value for anything
 * that is not one of our databases in a usable state; the file is then left untouched.
 */
export function openStore(path: string, opts: OpenOptions = {}): OpenResult {
  const mode = opts.mode ?? 'read';
  const before = sidecars(path);
  const r = openStoreUnchecked(path, mode, opts);
  if (!r.ok) removeOurSidecars(path, before);
  return r;
}

function openStoreUnchecked(path: string, mode: 'read' | 'write', opts: OpenOptions): OpenResult {
  let db: Database.Database | undefined;
  try {
    if (!existsSync(path)) {
      if (mode !== 'write' || opts.create === false) return fail('ENOENT', `${path}: no such file`);
      db = new Database(path);
      // Must precede WAL mode and the first table: afterwards the page size is fixed.
      db.pragma(`page_size = ${PAGE_SIZE}`);
      for (const p of WRITER_PRAGMAS) db.pragma(p);
      migrate(db, 0);
      const busy = claimWriter(db, path);
      if (busy) {
        db.close();
        return { ok: false, error: busy };
      }
      return { ok: true, db, version: SCHEMA_VERSION, readOnly: false };
    }
    const h = checkHeader(path);
    if (h) return { ok: false, error: h };
    const v = validate(path, opts.check ?? 'quick');
    if ('code' in v) return { ok: false, error: v };
    if (v.version < SCHEMA_VERSION && !(mode === 'write' && opts.migrate)) {
      return fail('SCHEMA_TOO_OLD', `${path}: schema version ${v.version} is older than ${SCHEMA_VERSION}; open for writing with migrate to upgrade it`, v.version);
    }
    if (mode === 'read') return { ok: true, db: new Database(path, { readonly: true, fileMustExist: true }), version: v.version, readOnly: true };
    db = new Database(path, { fileMustExist: true });
    // The claim comes first: nothing (WAL switch, migration, repairs) is written while another
    // live process records into this file.
    const busy = claimWriter(db, path);
    if (busy) {
      db.close();
      return { ok: false, error: busy };
    }
    for (const p of WRITER_PRAGMAS) db.pragma(p);
    migrate(db, v.version);
    if (markDeadRuns(db).length > 0) createIndexes(db);
    return { ok: true, db, version: SCHEMA_VERSION, readOnly: false };
  } catch (e) {
    if (db?.open) db.close();
    return { ok: false, error: sqliteError(path, e) };
  }
}

/** Open any SQLite file read-only and list its tables (for the UI's read-only view of foreign files). */
export function inspectForeign(path: string): { ok: true; db: Database.Database; tables: string[] } | { ok: false; error: StoreError } {
  if (!existsSync(path)) return fail('ENOENT', `${path}: no such file`);
  const h = checkHeader(path);
  if (h) return { ok: false, error: h };
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    const tables = (db.prepare(`SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    return { ok: true, db, tables };
  } catch (e) {
    return fail('NOT_SQLITE', `${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Version of the SQLite library linked into better-sqlite3 (e.g. "3.54.0"). */
export function sqliteVersion(): string {
  const mem = new Database(':memory:');
  try {
    return (mem.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  } finally {
    mem.close();
  }
}
