import { afterEach, describe, expect, test } from 'vitest';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { inspectForeign, migrate, openStore } from '../../../core/store/db';
import { openWriter } from '../../../core/store/writer';
import { OpenDatabase } from '../../../core/store/open-database';
import { listRuns } from '../../../core/store/queries/run-data';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../core/store/schema';
import { listRunRows, topNames } from '../../../core/store/queries/slices';
import { untyped } from '../../../core/trace/types';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

const hash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
/** The directory listing and file hashes: nothing may change on a refused open. */
const snapshot = (dir: string) => readdirSync(dir).sort().map((f) => `${f}:${hash(`${dir}/${f}`)}`);

async function ourDb(path: string, slices = 5000) {
  const w = await openWriter(path, { inProcess: true });
  if (!w.ok) throw new Error(w.error.message);
  const run = await w.writer.startRun({ scenario: {}, vendor: 'amd', seed: 1, versions: {} });
  for (let i = 0; i < slices; i++) untyped(run.recorder).slice('domain', 'iommu:map', i, 1, { iova: i * 4096, length: 4096, note: `n${i}` });
  await run.finish(slices);
  await w.writer.close();
  // Checkpoint so the file stands alone (no -wal) for the byte-level corruptions below.
  const db = new Database(path);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = DELETE');
  db.close();
}

describe('untrusted input', () => {
  test.each([
    ['missing file', (_p: string) => {}, 'ENOENT'],
    ['empty file', (p: string) => writeFileSync(p, ''), 'NOT_SQLITE'],
    ['text file', (p: string) => writeFileSync(p, 'hello, this is not a database at all '.repeat(20)), 'NOT_SQLITE'],
  ])('%s → %s', (_name, make, code) => {
    tmp = tempDir();
    const p = tmp.path('x.sqlite');
    make(p);
    const before = snapshot(tmp.dir);
    for (const mode of ['read', 'write'] as const) {
      const r = openStore(p, { mode, create: false });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe(code);
    }
    expect(snapshot(tmp.dir)).toEqual(before);
  });

  test('a foreign SQLite database is refused for writing, unchanged, and inspectable read-only', () => {
    tmp = tempDir();
    const p = tmp.path('foreign.sqlite');
    const db = new Database(p);
    db.exec(`CREATE TABLE meta(key TEXT, value TEXT); INSERT INTO meta VALUES ('app', 'something-else'); CREATE TABLE t(x)`);
    db.close();
    const before = snapshot(tmp.dir);
    for (const mode of ['read', 'write'] as const) {
      const r = openStore(p, { mode, migrate: true });
      expect(!r.ok && r.error.code).toBe('FOREIGN');
      if (!r.ok) expect(r.error.message).toMatch(/not an iommu-workbench trace/);
    }
    const f = inspectForeign(p);
    if (!f.ok) throw new Error(f.error.message);
    expect(f.tables).toEqual(['meta', 't']);
    expect(() => f.db.exec('CREATE TABLE y(z)')).toThrow(/readonly/);
    f.db.close();
    expect(snapshot(tmp.dir)).toEqual(before);
  });

  test('a newer schema is refused in every mode and left unchanged', async () => {
    tmp = tempDir();
    const p = tmp.path('new.sqlite');
    await ourDb(p, 10);
    const db = new Database(p);
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema_version'`).run(String(SCHEMA_VERSION + 1));
    db.close();
    const before = snapshot(tmp.dir);
    for (const mode of ['read', 'write'] as const) {
      const r = openStore(p, { mode, migrate: true });
      expect(!r.ok && r.error).toMatchObject({ code: 'SCHEMA_TOO_NEW', version: SCHEMA_VERSION + 1 });
    }
    expect(snapshot(tmp.dir)).toEqual(before);
  });

  test('a truncated file is reported as corrupt and left unchanged', async () => {
    tmp = tempDir();
    const p = tmp.path('t.sqlite');
    await ourDb(p);
    truncateSync(p, Math.floor(statSync(p).size / 2));
    const before = snapshot(tmp.dir);
    for (const mode of ['read', 'write'] as const) {
      const r = openStore(p, { mode });
      expect(!r.ok && r.error.code).toBe('CORRUPT');
    }
    expect(snapshot(tmp.dir)).toEqual(before);
  });

  test('overwritten pages fail the integrity check and change nothing', async () => {
    tmp = tempDir();
    const p = tmp.path('c.sqlite');
    await ourDb(p);
    const fd = openSync(p, 'r+');
    writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, 4096 * 3);
    closeSync(fd);
    const before = snapshot(tmp.dir);
    for (const mode of ['read', 'write'] as const) {
      const r = openStore(p, { mode });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(['CORRUPT', 'NOT_SQLITE']).toContain(r.error.code);
    }
    expect(snapshot(tmp.dir)).toEqual(before);
  });

  test('the UI open: quick_check up to the size limit; above it the open succeeds and a query on a corrupt page fails cleanly', async () => {
    tmp = tempDir();
    const p = tmp.path('ui.sqlite');
    await ourDb(p);
    // Corrupt the leaf pages of the slice table only (SQLite's dbstat names them).
    const probe = new Database(p, { readonly: true });
    const pageSize = probe.pragma('page_size', { simple: true }) as number;
    const pages = probe.prepare("SELECT pageno FROM dbstat WHERE name = 'slice_data' AND pagetype = 'leaf'").pluck().all() as number[];
    probe.close();
    expect(pages.length).toBeGreaterThan(2);
    const fd = openSync(p, 'r+');
    for (const n of pages) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (n - 1) * pageSize);
    closeSync(fd);
    const before = snapshot(tmp.dir);
    const checked = new OpenDatabase();
    const r1 = checked.open({ path: p });
    expect(!r1.ok && r1.error.code).toBe('EINVAL');
    if (!r1.ok) expect(r1.error.message).toMatch(/integrity check failed|malformed/);
    const unchecked = new OpenDatabase(1024);
    const r2 = unchecked.open({ path: p });
    expect(r2.ok).toBe(true);
    expect(listRuns(unchecked.handle!).length).toBe(1);
    // Reading every table meets the corrupt page: an error, not a crash or wrong rows.
    const tables = unchecked.handle!.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    expect(() => {
      for (const t of tables) unchecked.handle!.prepare(`SELECT * FROM "${t}"`).all();
    }).toThrow(/malformed|corrupt/i);
    unchecked.close();
    expect(snapshot(tmp.dir)).toEqual(before);
  });
});

describe('migrations', () => {
  test('a version-1 database is refused until opened for writing with migrate, then upgraded with data kept', () => {
    tmp = tempDir();
    const p = tmp.path('v1.sqlite');
    const db = new Database(p);
    migrate(db, 0, 1);
    db.exec(`INSERT INTO run(id, scenario, vendor, seed, versions, started_at, status) VALUES (1, '{}', 'intel', 3, '{}', 'x', 'running');
             INSERT INTO event_name(id, name) VALUES (1, 'iommu:map');
             INSERT INTO track(id, run_id, name, type) VALUES (1, 1, 'domain', 'slice');
             INSERT INTO slice_data VALUES (1, 10, 1, 1, 1, 1, 4096, 4096, NULL), (2, 20, 1, 1, 1, 1, 8192, 4096, 12);`);
    db.close();
    const before = snapshot(tmp.dir);
    const ro = openStore(p);
    expect(!ro.ok && ro.error).toMatchObject({ code: 'SCHEMA_TOO_OLD', version: 1 });
    const w0 = openStore(p, { mode: 'write' });
    expect(!w0.ok && w0.error.code).toBe('SCHEMA_TOO_OLD');
    expect(snapshot(tmp.dir)).toEqual(before);

    const w = openStore(p, { mode: 'write', migrate: true });
    if (!w.ok) throw new Error(w.error.message);
    expect(w.version).toBe(SCHEMA_VERSION);
    expect(w.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get()).toEqual({ value: String(SCHEMA_VERSION) });
    // The v1 run had no live writer: marked incomplete, its stats rebuilt by the new table.
    expect(listRunRows(w.db)[0]).toMatchObject({ status: 'incomplete', simEndNs: 21 });
    expect(topNames(w.db, 1)).toEqual([{ name: 'iommu:map', count: 2, durSum: 2, errCount: 1 }]);
    w.db.close();
    expect(MIGRATIONS.length).toBe(SCHEMA_VERSION);
    expect(existsSync(p)).toBe(true);
  });
});
