import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openWriter } from '../../../core/store/writer';
import { openStore } from '../../../core/store/db';
import { topSlices, type SliceFilter } from '../../../core/store/queries/slices';
import { Rng } from '../../../core/base/rng';
import { untyped } from '../../../core/trace/types';
import { tempDir } from './helpers';

const NAMES = ['iommu:map', 'iommu:unmap', 'qi_submit', 'IOMMU_IOAS_MAP'];
const tmp = tempDir();
let db: Database;
const all: { id: number; ts: number; dur: number; name: string; iova: number; errno: number }[] = [];

beforeAll(async () => {
  const w = await openWriter(tmp.path('top.sqlite'), { inProcess: true });
  if (!w.ok) throw new Error(w.error.message);
  const run = await w.writer.startRun({ scenario: {}, vendor: 'intel', seed: 3, versions: {} });
  const rng = new Rng(3);
  for (let i = 0; i < 5000; i++) {
    const e = { id: i + 1, ts: i * 10, dur: rng.int(41), name: NAMES[rng.int(NAMES.length)], iova: rng.int(64) * 4096, errno: rng.int(50) === 0 ? 14 : 0 };
    all.push(e);
    untyped(run.recorder).slice('t', e.name, e.ts, e.dur, { iova: e.iova, errno: e.errno });
  }
  await run.finish();
  await w.writer.close();
  const o = openStore(tmp.path('top.sqlite'));
  if (!o.ok) throw new Error(o.error.message);
  db = o.db;
});
afterAll(() => {
  db?.close();
  tmp.cleanup();
});

const filters: [string, Omit<SliceFilter, 'runId'>][] = [
  ['everything', {}],
  ['one name', { names: ['qi_submit'] }],
  ['two names', { names: ['iommu:map', 'iommu:unmap'] }],
  ['failures', { errno: 'any' }],
  ['iova range', { iovaMin: 8 * 4096, iovaMax: 12 * 4096 }],
  ['narrow window', { t0: 1000, t1: 2000 }],
  ['wide window', { t0: 0, t1: 40_000 }],
  ['name and window', { names: ['iommu:map'], t0: 10_000, t1: 20_000 }],
];

test.each(filters)('topSlices (%s) equals a brute-force sort on both plan paths', (_label, f) => {
  const match = all.filter(
    (e) =>
      (!f.names || f.names.includes(e.name)) &&
      (f.errno !== 'any' || e.errno > 0) &&
      (f.iovaMin === undefined || e.iova >= f.iovaMin) &&
      (f.iovaMax === undefined || e.iova < f.iovaMax) &&
      (f.t0 === undefined || e.ts >= f.t0) &&
      (f.t1 === undefined || e.ts < f.t1),
  );
  const want = match.sort((a, b) => b.dur - a.dur || a.ts - b.ts).slice(0, 15).map((e) => e.id);
  for (const sortLimit of [0, 1e9]) {
    expect(topSlices(db, { runId: 1, ...f }, 15, { sortLimit }).map((r) => r.id)).toEqual(want);
  }
});
