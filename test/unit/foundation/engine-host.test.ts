import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineHost } from '../../../electron/host/engine-host';
import { API_METHODS } from '../../../electron/host/api-table';
import { openStore, releaseWriter } from '../../../core/store/db';
import { SCHEMA_VERSION } from '../../../core/store/schema';

const host = new EngineHost({ shell: 'web', electronVersion: null, post: () => {} });
const dir = mkdtempSync(join(tmpdir(), 'wb-host-'));
afterEach(() => host.handle('t', 'closeDatabase', {}));

describe('EngineHost (the API contract served by both transports)', () => {
  it('reports real versions and the vendor models of core/', async () => {
    const r = await host.handle('1', 'engineInfo', {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const info = r.value as { node: string; sqlite: string; vendors: { name: string }[] };
    expect(info.node).toBe(process.versions.node);
    expect(info.sqlite).toMatch(/^3\.\d+\.\d+$/);
    expect(info.vendors.map((v) => v.name)).toEqual(expect.arrayContaining(['amd', 'intel', 'smmuv3']));
  });

  it('rejects unknown methods with ENOTTY and malformed requests with EINVAL', async () => {
    expect(await host.handle('2', 'rm -rf', {})).toMatchObject({ ok: false, error: { code: 'ENOTTY' } });
    expect(await host.handle('3', 'openDatabase', { path: 42 })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await host.handle('4', 'openDatabase', { path: 'a.sqlite', extra: 1 })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await host.handle('5', 'engineInfo', { x: 1 })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
  });

  it('validates every method of the API table before it runs (strict schemas: unknown fields are EINVAL)', async () => {
    expect(API_METHODS).toContain('engineInfo');
    expect(API_METHODS).toContain('pageTableWalk');
    expect(await host.handle('v', 'toString', {})).toMatchObject({ ok: false, error: { code: 'ENOTTY' } });
    for (const m of API_METHODS) {
      expect(await host.handle('v', m, { notAField: 1 }), m).toMatchObject({ ok: false, error: { code: 'EINVAL', message: expect.stringContaining(m) } });
    }
  });

  it('opens, creates and closes databases with better-sqlite3', async () => {
    const path = join(dir, 'new.sqlite');
    expect(await host.handle('6', 'openDatabase', { path })).toMatchObject({ ok: false, error: { code: 'ENOENT' } });
    // A created file is a new, empty workbench database, opened read-only like every other
    // (issue 13: the UI only reads; jobs record through their own writer).
    const r = await host.handle('7', 'openDatabase', { path, create: true });
    expect(r).toMatchObject({ ok: true, value: { path, ours: true, schemaVersion: SCHEMA_VERSION, runs: 0, readOnly: true } });
    expect(await host.handle('8', 'databaseInfo', {})).toMatchObject({ ok: true, value: { path } });
    await host.handle('9', 'closeDatabase', {});
    expect(await host.handle('10', 'databaseInfo', {})).toEqual({ ok: true, value: null });
  });

  it('reads the schema version and run count of a workbench database', async () => {
    const path = join(dir, 'ours.sqlite');
    // A real workbench database (the store's validation refuses hand-made look-alikes).
    const w = openStore(path, { mode: 'write' });
    if (!w.ok) throw new Error(w.error.message);
    const add = w.db.prepare("INSERT INTO run(scenario, vendor, seed, versions, started_at, status) VALUES ('{}', 'amd', 1, '{}', '2026-01-01', 'complete')");
    add.run();
    add.run();
    releaseWriter(w.db);
    w.db.close();
    expect(await host.handle('11', 'openDatabase', { path, readOnly: true })).toMatchObject({ ok: true, value: { ours: true, schemaVersion: SCHEMA_VERSION, runs: 2, readOnly: true } });
  });

  it('refuses a file that is not SQLite without changing it', async () => {
    const path = join(dir, 'garbage.sqlite');
    writeFileSync(path, 'this is not a database'.repeat(100));
    const r = await host.handle('12', 'openDatabase', { path });
    expect(r).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
  });
});
