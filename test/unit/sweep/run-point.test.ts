import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { pointPath, pointsDir, prepareOutDir } from '../../../core/sweep/point-files';
import { readPointMeta, runPoint } from '../../../core/sweep/run-point';
import { SMALL_BASE, tempDir, writeSweep } from './helpers';

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

describe('sweep run-point', () => {
  it('records one point into its own sealed SQLite file, then skips it (idempotent)', async () => {
    tmp = tempDir();
    const { plan } = writeSweep(tmp.dir, { name: 'rp', base: SMALL_BASE, axes: [{ path: 'seed', values: [1, 2] }] });
    const out = tmp.path('out');
    expect(prepareOutDir(plan, out)).toEqual({ ok: true });
    const r = await runPoint(plan, 1, out);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.outcome).toMatchObject({ index: 1, status: 'done', file: pointPath(out, 1) });
    expect(r.outcome.meta).toMatchObject({ sweep: 'rp', hash: plan.hash, index: 1, count: 2, axes: ['seed'], params: { seed: 2 }, failed: [] });
    expect(r.outcome.meta.maxRssBytes).toBeGreaterThan(0);
    // Only the final file is left: no partial, no WAL (sealed with journal_mode=DELETE).
    expect(readdirSync(pointsDir(out))).toEqual(['p-000001.sqlite']);
    const db = new Database(pointPath(out, 1), { readonly: true });
    expect(db.prepare('SELECT vendor, seed, status FROM run ORDER BY id').all()).toEqual([
      { vendor: 'amd', seed: 2, status: 'complete' },
      { vendor: 'smmuv3', seed: 2, status: 'complete' },
    ]);
    expect(JSON.parse((db.prepare('SELECT scenario FROM run LIMIT 1').get() as { scenario: string }).scenario).name).toBe('rp-p1');
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
    const mtime = statSync(pointPath(out, 1)).mtimeMs;
    const again = await runPoint(plan, 1, out);
    expect(again.ok && again.outcome.status).toBe('skipped');
    expect(statSync(pointPath(out, 1)).mtimeMs).toBe(mtime);
  });

  it('removes a partial left by a dead process and redoes the point', async () => {
    tmp = tempDir();
    const { plan } = writeSweep(tmp.dir, { name: 'rp', base: SMALL_BASE, axes: [{ path: 'seed', values: [1] }] });
    const out = tmp.path('out');
    prepareOutDir(plan, out);
    // pid 2^22+1 is above Linux's pid_max default range: no such process.
    const stale = join(pointsDir(out), `.p-000000.${hostname().replace(/[^A-Za-z0-9-]/g, '_')}.4194305.partial`);
    writeFileSync(stale, 'half a database');
    writeFileSync(`${stale}-wal`, 'x');
    const r = await runPoint(plan, 0, out);
    expect(r.ok && r.outcome.status).toBe('done');
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(pointsDir(out))).toEqual(['p-000000.sqlite']);
  });

  it("refuses a directory or file holding another sweep's points", async () => {
    tmp = tempDir();
    const a = writeSweep(tmp.dir, { name: 'a', base: SMALL_BASE, axes: [{ path: 'seed', values: [1] }] }, 'a.json');
    const b = writeSweep(tmp.dir, { name: 'b', base: SMALL_BASE, axes: [{ path: 'seed', values: [9] }] }, 'b.json');
    const out = tmp.path('out');
    prepareOutDir(a.plan, out);
    expect(prepareOutDir(b.plan, out)).toMatchObject({ ok: false, code: 'EEXIST' });
    await runPoint(a.plan, 0, out);
    const r = await runPoint(b.plan, 0, out);
    expect(r).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    expect(readPointMeta(pointPath(out, 0))?.sweep).toBe('a');
  });

  it('a cancelled point leaves nothing behind; a bad index is EINVAL', async () => {
    tmp = tempDir();
    const { plan } = writeSweep(tmp.dir, { name: 'rp', base: SMALL_BASE, axes: [{ path: 'seed', values: [1] }] });
    const out = tmp.path('out');
    prepareOutDir(plan, out);
    const ctl = new AbortController();
    ctl.abort();
    expect(await runPoint(plan, 0, out, { signal: ctl.signal })).toMatchObject({ ok: false, error: { code: 'ECANCELED' } });
    expect(readdirSync(pointsDir(out))).toEqual([]);
    expect(await runPoint(plan, 1, out)).toMatchObject({ ok: false, error: { code: 'EINVAL', message: 'point index 1 out of range 0..0' } });
  });

  it('records failed vendors in the point (a deterministic result, not a failed point)', async () => {
    tmp = tempDir();
    const base = { ...SMALL_BASE, vendors: ['amd', 'smmuv3'], hardware: { smmuv3DirtyDesign: 'rfc-v1-faithful' } };
    const { plan } = writeSweep(tmp.dir, { name: 'rp', base, axes: [{ path: 'seed', values: [1] }] });
    const out = tmp.path('out');
    prepareOutDir(plan, out);
    const r = await runPoint(plan, 0, out);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.outcome.meta.failed).toEqual([{ vendor: 'smmuv3', message: expect.stringMatching(/EINVAL/) }]);
  });
});
