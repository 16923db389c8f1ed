/**
 * Exports never destroy data (issue 13): an existing output is replaced only with --force /
 * overwrite and only when the export succeeded; the input database (by any name, symlink or
 * hard link, and its -wal) is never a target; a failed export leaves no `.partial` file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineHost } from '../../../electron/host/engine-host';
import { cli, recordedDb, sha256, snapshot, tempDir } from './helpers';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

describe('CLI export', () => {
  it('refuses an existing output without --force (exit 2, EEXIST, file untouched) and replaces it with --force', async () => {
    tmp = tempDir();
    const db = tmp.path('a.sqlite');
    const other = tmp.path('other.sqlite');
    await recordedDb(db);
    await recordedDb(other, 10);
    const before = snapshot(tmp.dir);
    const r = await cli(['export', db, '--format', 'sqlite', '--out', other]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: EEXIST: ${other}: file exists (add --force to replace it)`);
    expect(snapshot(tmp.dir)).toEqual(before);
    const f = await cli(['export', db, '--format', 'sqlite', '--out', other, '--force']);
    expect(f.code).toBe(0);
    expect(sha256(other)).not.toBe(before.find((l) => l.startsWith('other.sqlite:'))!.split(':')[1]);
    expect(readdirSync(tmp.dir).sort()).toEqual(['a.sqlite', 'other.sqlite']);
  });

  it('never writes the input database: same path, symlink, hard link, its -wal (even with --force)', async () => {
    tmp = tempDir();
    const db = tmp.path('a.sqlite');
    await recordedDb(db);
    symlinkSync(db, tmp.path('link.sqlite'));
    linkSync(db, tmp.path('hard.sqlite'));
    const before = snapshot(tmp.dir);
    for (const out of [db, tmp.path('./x/../a.sqlite'), tmp.path('link.sqlite'), tmp.path('hard.sqlite'), `${db}-wal`]) {
      const r = await cli(['export', db, '--format', 'sqlite', '--out', out, '--force']);
      expect(r.code, out).toBe(2);
      expect(r.err, out).toMatch(/^error: (EINVAL|ENOENT): .*(input database|no such directory)/);
      expect(snapshot(tmp.dir), out).toEqual(before);
    }
  });

  it('a failed export (file size limit hit midway) keeps the old output and leaves no temporary file', () => {
    tmp = tempDir();
    const db = tmp.path('a.sqlite');
    const out = tmp.path('trace.json');
    return recordedDb(db, 5000).then(() => {
      writeFileSync(out, 'the previous export\n');
      const before = snapshot(tmp.dir);
      // ulimit -f 64: writes past 64 KiB fail with EFBIG (Node ignores SIGXFSZ).
      const r = spawnSync('bash', ['-c', `ulimit -f 64; exec "${process.execPath}" --import tsx core/cli/main.ts export "${db}" --format chrome-json --out "${out}" --force`], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error: EXPORT: .*trace\.json: .*EFBIG/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(snapshot(tmp.dir)).toEqual(before);
    });
  });
});

describe('UI exportDatabase', () => {
  it('with overwrite, a source that fails validation leaves the existing target as it was', async () => {
    tmp = tempDir();
    const db = tmp.path('open.sqlite');
    const target = tmp.path('keep.sqlite');
    await recordedDb(db);
    await recordedDb(target, 10);
    const host = new EngineHost({ shell: 'web', electronVersion: null, post: () => {} });
    expect(await host.handle('1', 'openDatabase', { path: db })).toMatchObject({ ok: true });
    // The file under the open database is replaced by garbage (another program, a bad copy).
    writeFileSync(db, 'not a database any more '.repeat(100));
    const keep = sha256(target);
    const r = await host.handle('2', 'exportDatabase', { format: 'sqlite', path: target, overwrite: true });
    expect(r).toMatchObject({ ok: false, error: { code: 'EIO' } });
    expect(existsSync(target)).toBe(true);
    expect(sha256(target)).toBe(keep);
    expect(readdirSync(tmp.dir).sort()).toEqual(['keep.sqlite', 'open.sqlite']);
    host.dispose();
  });

  it('refuses the open database through a symlink, and replaces a target atomically with overwrite', async () => {
    tmp = tempDir();
    const db = tmp.path('open.sqlite');
    await recordedDb(db);
    symlinkSync(db, tmp.path('alias.sqlite'));
    const host = new EngineHost({ shell: 'web', electronVersion: null, post: () => {} });
    expect(await host.handle('1', 'openDatabase', { path: db })).toMatchObject({ ok: true });
    const dbHash = sha256(db);
    expect(await host.handle('2', 'exportDatabase', { format: 'sqlite', path: tmp.path('alias.sqlite'), overwrite: true })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(sha256(db)).toBe(dbHash);
    const out = tmp.path('out.txt');
    writeFileSync(out, 'old');
    expect(await host.handle('3', 'exportDatabase', { format: 'ftrace', path: out })).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    expect(await host.handle('4', 'exportDatabase', { format: 'ftrace', path: out, overwrite: true })).toMatchObject({ ok: true });
    expect(readFileSync(out, 'utf8')).toMatch(/ map: IOMMU: iova=0x0+ - 0x0+1000 /);
    expect(readdirSync(tmp.dir).sort()).toEqual(['alias.sqlite', 'open.sqlite', 'out.txt']);
    host.dispose();
  });
});
