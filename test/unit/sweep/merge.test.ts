import { cpSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeSweep } from '../../../core/sweep/merge';
import { completePoints, pointPath, prepareOutDir } from '../../../core/sweep/point-files';
import { queryResults } from '../../../core/sweep/results-db';
import { openSweepResult, sweepSeries } from '../../../core/sweep/view-queries';
import { runPoint } from '../../../core/sweep/run-point';
import { SMALL_BASE, tempDir, writeSweep } from './helpers';

// 4 points: SMMUv3 design v2 | rfc-v1-faithful (whose enable fails: a failed vendor) × 2 seeds.
const tmp = tempDir();
const out = tmp.path('out');
let expected: { results: number; rounds: number; failed: number };

beforeAll(async () => {
  const { plan } = writeSweep(tmp.dir, {
    name: 'mg',
    base: SMALL_BASE,
    axes: [
      { path: 'hardware.smmuv3DirtyDesign', values: ['v2', 'rfc-v1-faithful'] },
      { path: 'seed', values: [1, 2] },
    ],
  });
  prepareOutDir(plan, out);
  for (let i = 0; i < plan.grid.count; i++) {
    const r = await runPoint(plan, i, out);
    if (!r.ok) throw new Error(r.error.message);
  }
  // What the per-point files hold, read with plain SQLite: vendors and rounds per summary.
  expected = { results: 0, rounds: 0, failed: 0 };
  for (const i of completePoints(out)) {
    const db = new Database(pointPath(out, i), { readonly: true });
    const s = JSON.parse((db.prepare('SELECT summary FROM comparison').get() as { summary: string }).summary) as { vendors: { rounds: unknown[] }[] };
    const meta = JSON.parse((db.prepare("SELECT value FROM meta WHERE key = 'sweep_point'").get() as { value: string }).value) as { failed: unknown[] };
    expected.results += s.vendors.length + meta.failed.length;
    expected.failed += meta.failed.length;
    expected.rounds += s.vendors.reduce((n, v) => n + v.rounds.length, 0);
    db.close();
  }
}, 120_000);
afterAll(() => tmp.cleanup());

describe('sweep merge (DuckDB)', () => {
  it('row counts equal the per-point summaries: one row per vendor per point, one per round', async () => {
    const r = await mergeSweep([out], tmp.path('results.duckdb'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.report).toMatchObject({ sweep: 'mg', count: 4, points: 4, missing: [], duplicates: 0, results: expected.results, rounds: expected.rounds });
    expect(expected).toMatchObject({ results: 8, failed: 2 });
    const q = async (sql: string): Promise<Record<string, unknown>[]> => (await queryResults(tmp.path('results.duckdb'), sql)).rows;
    expect(await q('SELECT count(*)::INTEGER AS n FROM results')).toEqual([{ n: expected.results }]);
    expect(await q('SELECT count(*)::INTEGER AS n FROM rounds')).toEqual([{ n: expected.rounds }]);
    expect(await q('SELECT count(DISTINCT (point, vendor))::INTEGER AS n FROM results')).toEqual([{ n: expected.results }]);
    // Parameters are columns named by their path; failed vendors are rows with a message.
    expect(await q(`SELECT point, "hardware.smmuv3DirtyDesign" AS design, seed::INTEGER AS seed, vendor, status FROM results WHERE status = 'failed' ORDER BY point`)).toEqual([
      { point: 2, design: 'rfc-v1-faithful', seed: 1, vendor: 'smmuv3', status: 'failed' },
      { point: 3, design: 'rfc-v1-faithful', seed: 2, vendor: 'smmuv3', status: 'failed' },
    ]);
    expect(await q('SELECT path, type FROM axes ORDER BY position')).toEqual([
      { path: 'hardware.smmuv3DirtyDesign', type: 'VARCHAR' },
      { path: 'seed', type: 'BIGINT' },
    ]);
    // Metrics match the per-point file.
    const db = new Database(pointPath(out, 1), { readonly: true });
    const s = JSON.parse((db.prepare('SELECT summary FROM comparison').get() as { summary: string }).summary) as { vendors: { vendor: string; totals: { dirtyPages: number; bitmapReadNs: number } }[] };
    db.close();
    const rows = await q('SELECT vendor, dirty_pages::DOUBLE AS d, bitmap_read_ns AS b FROM results WHERE point = 1 ORDER BY vendor');
    expect(rows).toEqual(s.vendors.map((v) => ({ vendor: v.vendor, d: v.totals.dirtyPages, b: v.totals.bitmapReadNs })));
  });

  it('merges results gathered in several directories once, and reports missing points', async () => {
    const copy = tmp.path('copy');
    cpSync(out, copy, { recursive: true });
    rmSync(pointPath(copy, 0));
    rmSync(pointPath(copy, 3));
    // out has 0..3, copy has 1..2: 4 points, 2 duplicates.
    const r = await mergeSweep([out, copy], tmp.path('two.duckdb'));
    expect(r.ok && r.report).toMatchObject({ points: 4, duplicates: 2, results: expected.results, rounds: expected.rounds });
    const only = await mergeSweep([copy], tmp.path('one.duckdb'));
    expect(only.ok && only.report).toMatchObject({ points: 2, missing: [0, 3] });
  });

  it('refuses to overwrite without --force and to mix sweeps', async () => {
    expect(await mergeSweep([out], tmp.path('results.duckdb'))).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    const other = writeSweep(tmp.dir, { name: 'other', base: SMALL_BASE, axes: [{ path: 'seed', values: [5] }] }, 'other.json');
    const o = tmp.path('other');
    prepareOutDir(other.plan, o);
    await runPoint(other.plan, 0, o);
    const r = await mergeSweep([out, o], tmp.path('mixed.duckdb'));
    expect(r).toMatchObject({ ok: false, error: { code: 'EINVAL', message: expect.stringContaining('merge one sweep at a time') } });
    expect(await mergeSweep([tmp.path('nothing')], tmp.path('x.duckdb'))).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
  });
});

describe('Sweep view queries over the merge', () => {
  it('opens a directory (merging it when needed) and plots a metric per vendor, seeds pooled or fixed', async () => {
    const info = await openSweepResult(out);
    if (!info.ok) throw new Error(info.error.message);
    expect(info.value).toMatchObject({ name: 'mg', count: 4, points: 4, vendors: ['amd', 'smmuv3'], merged: true });
    expect(info.value.axes).toEqual([
      { path: 'hardware.smmuv3DirtyDesign', unit: null, numeric: false, values: ['rfc-v1-faithful', 'v2'] },
      { path: 'seed', unit: null, numeric: true, values: [1, 2] },
    ]);
    const again = await openSweepResult(out);
    expect(again.ok && again.value.merged).toBe(false);
    const s = await sweepSeries({ path: info.value.path, x: 'hardware.smmuv3DirtyDesign', metric: 'rounds', filters: {} });
    if (!s.ok) throw new Error(s.error.message);
    // SMMUv3 failed under rfc-v1-faithful: no value there; 2 seeds pooled elsewhere.
    expect(s.value.vendors.map((v) => [v.vendor, v.n])).toEqual([
      ['amd', [2, 2]],
      ['smmuv3', [0, 2]],
    ]);
    expect(s.value.vendors[1].mean[0]).toBeNull();
    const fixed = await sweepSeries({ path: info.value.path, x: 'hardware.smmuv3DirtyDesign', metric: 'rounds', filters: { seed: 2 } });
    expect(fixed.ok && fixed.value.vendors[0].runs.map((r) => r.map((k) => k.point))).toEqual([[3], [1]]);
  });

  it('refuses unknown metrics, axes and filters (names never reach SQL unchecked)', async () => {
    const path = tmp.path('results.duckdb');
    expect(await sweepSeries({ path, x: 'seed', metric: 'rounds; DROP TABLE results', filters: {} })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await sweepSeries({ path, x: 'no"such', metric: 'rounds', filters: {} })).toMatchObject({ ok: false, error: { code: 'EINVAL', message: expect.stringContaining('no axis') } });
    expect(await sweepSeries({ path, x: 'seed', metric: 'rounds', filters: { 'x" OR 1=1 --': 1 } })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await openSweepResult(tmp.path('missing.duckdb'))).toMatchObject({ ok: false, error: { code: 'ENOENT' } });
  });
});
