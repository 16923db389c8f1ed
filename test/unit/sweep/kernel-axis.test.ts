/**
 * The sweep `kernel` axis (issue 17 lists it; the field came with issue 14): a sweep over
 * kernel 6.19 vs 6.7-6.18 plans two points with the kernel set, records them with runPoint
 * (what `sweep run-point` does), merges them, and the Sweep view's API offers `kernel` as a
 * categorical x axis. The model's answer: AMD-Vi's and VT-d's dirty-read walkers change
 * between the kernels (iommupt vs the per-leaf re-walk with locked clears), so their
 * bitmap-read times differ; SMMUv3 keeps io-pgtable-arm in both, so its time is identical
 * (core/iommu/kernel.ts, docs/vendors.md "Dirty-read walkers"). The merged results carry the
 * comparison's headline, migration time from enable to switch-over, and the set-up apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeSweep } from '../../../core/sweep/merge';
import Database from 'better-sqlite3';
import { pointPath, prepareOutDir } from '../../../core/sweep/point-files';
import { queryResults } from '../../../core/sweep/results-db';
import { runPoint } from '../../../core/sweep/run-point';
import { openSweepResult, sweepSeries } from '../../../core/sweep/view-queries';
import { checkPoints, pointScenario, type SweepPlan } from '../../../core/sweep/plan';
import { vendorEntry } from '../../../core/iommu/registry';
import { SMALL_BASE, tempDir, writeSweep } from './helpers';

const tmp = tempDir();
const out = tmp.path('out');
let plan: SweepPlan;

beforeAll(async () => {
  plan = writeSweep(tmp.dir, { name: 'kernels', base: { ...SMALL_BASE, vendors: ['amd', 'intel', 'smmuv3'] }, axes: [{ path: 'kernel', values: ['6.19', '6.7-6.18'] }] }).plan;
  prepareOutDir(plan, out);
  for (let i = 0; i < plan.grid.count; i++) {
    const r = await runPoint(plan, i, out);
    if (!r.ok) throw new Error(r.error.message);
  }
}, 120_000);
afterAll(() => tmp.cleanup());

describe('sweep axis kernel', () => {
  it('plans one point per kernel with the kernel set in its scenario', () => {
    expect(plan.grid.count).toBe(2);
    expect(checkPoints(plan)).toEqual([]);
    const points = [0, 1].map((i) => pointScenario(plan, i));
    expect(points.map((p) => (p.ok ? [p.point.params, p.point.scenario.kernel] : p.errors))).toEqual([
      [{ kernel: '6.19' }, '6.19'],
      [{ kernel: '6.7-6.18' }, '6.7-6.18'],
    ]);
  });

  it('merges; the Sweep view offers kernel on x; AMD-Vi and VT-d read times differ between kernels, SMMUv3 does not', async () => {
    const m = await mergeSweep([out], tmp.path('results.duckdb'));
    if (!m.ok) throw new Error(m.error.message);
    expect(m.report).toMatchObject({ count: 2, points: 2, missing: [] });
    const info = await openSweepResult(tmp.path('results.duckdb'));
    if (!info.ok) throw new Error(info.error.message);
    expect(info.value.axes).toEqual([{ path: 'kernel', unit: null, numeric: false, values: ['6.19', '6.7-6.18'] }]);
    const s = await sweepSeries({ path: info.value.path, x: 'kernel', metric: 'bitmap_read_ns', filters: {} });
    if (!s.ok) throw new Error(s.error.message);
    const byVendor = Object.fromEntries(s.value.vendors.map((v) => [v.vendor, v.mean]));
    // What the model says each vendor's driver does under each kernel (the premise of the assertions).
    const walker = (v: 'amd' | 'intel' | 'smmuv3', k: '6.19' | '6.7-6.18') => vendorEntry(v).dirtyWalk!(k).kind;
    expect([walker('amd', '6.19'), walker('amd', '6.7-6.18'), walker('intel', '6.19'), walker('intel', '6.7-6.18')]).toEqual(['iommupt', 'per-leaf-rewalk', 'iommupt', 'per-leaf-rewalk']);
    expect(walker('smmuv3', '6.19')).toBe(walker('smmuv3', '6.7-6.18'));
    for (const v of ['amd', 'intel'] as const) {
      const [new619, old] = byVendor[v]!;
      expect(new619).toBeGreaterThan(0);
      // The pre-iommupt walker re-walks from the root per leaf and clears with a locked RMW on every present leaf: slower.
      expect(old).toBeGreaterThan(new619!);
    }
    const [a, b] = byVendor.smmuv3!;
    expect(a).toBeGreaterThan(0);
    expect(b).toBe(a);
  });

  it("plots the comparison's headline (migration time, enable to switch-over) and the set-up as the point files hold them", async () => {
    const info = await openSweepResult(tmp.path('results.duckdb'));
    if (!info.ok) throw new Error(info.error.message);
    expect(info.value.metrics.find((m) => m.key === 'migration_ns')?.label).toBe('migration time (enable to switch-over)');
    const rows = (await queryResults(info.value.path, 'SELECT point, vendor, migration_ns, setup_ns, total_ns FROM results ORDER BY point, vendor')).rows;
    const want: Record<string, unknown>[] = [];
    for (const i of [0, 1]) {
      const db = new Database(pointPath(out, i), { readonly: true });
      const s = JSON.parse((db.prepare('SELECT summary FROM comparison').get() as { summary: string }).summary) as { vendors: { vendor: string; totals: { migrationNs: number; setupNs: number; totalNs: number } }[] };
      db.close();
      for (const v of [...s.vendors].sort((x, y) => x.vendor.localeCompare(y.vendor))) want.push({ point: i, vendor: v.vendor, migration_ns: v.totals.migrationNs, setup_ns: v.totals.setupNs, total_ns: v.totals.totalNs });
    }
    expect(rows).toEqual(want);
    // Migration time excludes the set-up that total time includes.
    for (const r of rows) expect(Number(r.migration_ns)).toBeLessThan(Number(r.total_ns) - Number(r.setup_ns) + 1);
  });
});
