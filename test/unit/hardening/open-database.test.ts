/**
 * The UI's openDatabase validates like the CLI's --db (core/store/db.ts openStore) and never
 * writes (issue 13): newer and older schemas and corrupt files are refused with the store's
 * message and left byte-identical; every file opens read-only.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineHost } from '../../../electron/host/engine-host';
import { recordedDb, snapshot, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
const sql = (p: string, q: string): void => {
  const d = new Database(p);
  d.exec(q);
  d.close();
};
afterEach(() => tmp?.cleanup());

const host = new EngineHost({ shell: 'web', electronVersion: null, post: () => {} });
afterEach(() => host.handle('x', 'closeDatabase', {}));

describe('openDatabase (UI)', () => {
  it.each([
    ['a newer schema', (p: string) => sql(p, "UPDATE meta SET value = '99' WHERE key = 'schema_version'"), /schema version 99 is newer than this build supports/],
    ['an older schema', (p: string) => sql(p, "UPDATE meta SET value = '1' WHERE key = 'schema_version'"), /schema version 1 is older than/],
    ['a truncated file', (p: string) => truncateSync(p, 40_000), /truncated/],
    ['a text file', (p: string) => writeFileSync(p, 'hello '.repeat(100)), /not an SQLite database/],
  ])('refuses %s with the CLI\'s message and leaves it unchanged', async (_what, spoil, message) => {
    tmp = tempDir();
    const p = tmp.path('db.sqlite');
    await recordedDb(p);
    spoil(p);
    const before = snapshot(tmp.dir);
    const r = await host.handle('1', 'openDatabase', { path: p });
    expect(r).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    if (!r.ok) expect(r.error.message).toMatch(message);
    expect(snapshot(tmp.dir)).toEqual(before);
  });

  it('opens a good database read-only even when asked for writing, and does not change it', async () => {
    tmp = tempDir();
    const p = tmp.path('db.sqlite');
    await recordedDb(p);
    const before = snapshot(tmp.dir).filter((l) => l.startsWith('db.sqlite:'));
    const r = await host.handle('1', 'openDatabase', { path: p, readOnly: false });
    expect(r).toMatchObject({ ok: true, value: { ours: true, runs: 2, readOnly: true } });
    await host.handle('2', 'closeDatabase', {});
    expect(snapshot(tmp.dir).filter((l) => l.startsWith('db.sqlite:'))).toEqual(before);
  });
});
