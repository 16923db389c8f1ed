import { afterEach, describe, expect, test } from 'vitest';
import { openWriter } from '../../../core/store/writer';
import { openStore } from '../../../core/store/db';
import { BatchInserter } from '../../../core/store/insert';
import { PAGE_SIZE } from '../../../core/store/schema';
import { BufferedRecorder } from '../../../core/trace/recorder';
import { counterBuckets, eventPage, listRunRows, listTracks, sliceArgs, topNames, topSlices, type Cursor } from '../../../core/store/queries/slices';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

/** Record a small deterministic run: maps/unmaps with iova, a failing ioctl, counters. */
async function recordRun(path: string, inProcess: boolean, n = 1000) {
  const w = await openWriter(path, { inProcess });
  if (!w.ok) throw new Error(w.error.message);
  const run = await w.writer.startRun({ scenario: { name: 't' }, vendor: 'intel', seed: 7, versions: { engine: 'test' } }, { batchSize: 128, bucketNs: 1000 });
  const r = run.recorder;
  for (let i = 0; i < n; i++) {
    const ts = i * 100;
    r.slice('domain', i % 2 ? 'iommu:unmap' : 'iommu:map', ts, 10 + (i % 7), { iova: 0x100000 + (i >> 1) * 4096, length: 4096, paddr: i * 4096 });
    if (i % 100 === 0) r.slice('iommufd', 'IOMMU_IOAS_MAP', ts + 1, 5, { iova: 0, length: 0, errno: 'EINVAL', ioas_id: 1 });
    r.count('dirty_pages', ts, 1);
  }
  await run.finish(n * 100);
  await w.writer.close();
  return run.runId;
}

describe.each([true, false])('store round trip (inProcess=%s)', (inProcess) => {
  test('record → query', async () => {
    tmp = tempDir();
    const path = tmp.path('a.sqlite');
    const runId = await recordRun(path, inProcess);
    const o = openStore(path);
    if (!o.ok) throw new Error(o.error.message);
    const db = o.db;
    try {
      const [run] = listRunRows(db);
      expect(run).toMatchObject({ id: runId, vendor: 'intel', seed: 7, status: 'complete', scenario: { name: 't' }, simEndNs: 100_000 });
      expect(listTracks(db, runId).map((t) => `${t.type}:${t.name}`)).toEqual(['counter:dirty_pages', 'slice:domain', 'slice:iommufd']);
      expect(db.prepare('SELECT name, unit FROM counter_track WHERE run_id = ?').all(runId)).toEqual([{ name: 'dirty_pages', unit: 'pages' }]);
      expect((db.prepare('SELECT count(*) AS n FROM slice').get() as { n: number }).n).toBe(1010);
      // Perfetto-style view works with names.
      expect(db.prepare(`SELECT name, count(*) AS n FROM slice GROUP BY name ORDER BY name`).all()).toEqual([
        { name: 'IOMMU_IOAS_MAP', n: 10 },
        { name: 'iommu:map', n: 500 },
        { name: 'iommu:unmap', n: 500 },
      ]);

      // Keyset pagination visits every matching row exactly once, in (ts, id) order.
      const seen: number[] = [];
      let cursor: Cursor | null = null;
      let lastTs = -1;
      do {
        const page = eventPage(db, { runId, names: ['iommu:map'] }, cursor, 64);
        for (const row of page.rows) {
          expect(row.ts).toBeGreaterThanOrEqual(lastTs);
          lastTs = row.ts;
          seen.push(row.id);
        }
        cursor = page.next;
      } while (cursor);
      expect(seen.length).toBe(500);
      expect(new Set(seen).size).toBe(500);

      const errs = eventPage(db, { runId, errno: 'any' }, null, 100).rows;
      expect(errs.length).toBe(10);
      expect(errs.every((e) => e.errno === 22 && e.name === 'IOMMU_IOAS_MAP')).toBe(true);
      expect(eventPage(db, { runId, errno: 22 }, null, 100).rows.length).toBe(10);
      const inRange = eventPage(db, { runId, iovaMin: 0x100000, iovaMax: 0x100000 + 3 * 4096 }, null, 100).rows;
      expect(inRange.map((e) => e.iova)).toEqual([0x100000, 0x100000, 0x101000, 0x101000, 0x102000, 0x102000]);
      expect(eventPage(db, { runId, names: ['no-such-event'] }, null, 10).rows).toEqual([]);

      const top = topSlices(db, { runId, names: ['iommu:map', 'iommu:unmap'] }, 3);
      expect(top.map((t) => t.dur)).toEqual([16, 16, 16]);
      expect(topNames(db, runId, 2)).toEqual([
        { name: 'iommu:map', count: 500, durSum: expect.any(Number), errCount: 0 },
        { name: 'iommu:unmap', count: 500, durSum: expect.any(Number), errCount: 0 },
      ]);
      expect(topNames(db, runId, 5)[2]).toMatchObject({ name: 'IOMMU_IOAS_MAP', count: 10, errCount: 10 });
      expect(sliceArgs(db, errs[0].id)).toEqual({ iova: 0, length: 0, errno: 22, ioas_id: 1 });

      // 1000 counter increments, one per 100 ns, bucketed at 1000 ns when recorded.
      const b = counterBuckets(db, { runId, counter: 'dirty_pages', t0: 0, t1: 100_000, buckets: 10 });
      expect(Array.from(b.sum)).toEqual(new Array(10).fill(100));
      expect(Array.from(b.count)).toEqual(new Array(10).fill(10));
      expect(Array.from(b.max)).toEqual(new Array(10).fill(10));
      expect(b.ts[1]).toBe(10_000);
      const empty = counterBuckets(db, { runId, counter: 'nope', t0: 0, t1: 10, buckets: 2 });
      expect(Array.from(empty.sum)).toEqual([0, 0]);
      expect(Number.isNaN(empty.min[0])).toBe(true);
      // Indexes exist after close (created after the bulk load).
      const idx = (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'slice_%'`).all() as { name: string }[]).map((r) => r.name);
      expect(idx).toContain('slice_run_ts');
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('page_size', { simple: true })).toBe(PAGE_SIZE);
    } finally {
      db.close();
    }
  });
});

test('two runs in one file keep separate tracks, ids and stats', async () => {
  tmp = tempDir();
  const path = tmp.path('b.sqlite');
  const a = await recordRun(path, true, 10);
  const b = await recordRun(path, true, 20);
  const o = openStore(path);
  if (!o.ok) throw new Error(o.error.message);
  expect(listRunRows(o.db).map((r) => r.id)).toEqual([a, b]);
  expect(topNames(o.db, b, 1)[0].count).toBe(10);
  expect(eventPage(o.db, { runId: a }, null, 1000).rows.length).toBe(11);
  // Slice ids come from SQLite's rowid assignment; args of the second run still attach to its own slices.
  const failed = eventPage(o.db, { runId: b, errno: 'any' }, null, 10).rows;
  expect(failed.map((e) => e.name)).toEqual(['IOMMU_IOAS_MAP']);
  expect(sliceArgs(o.db, failed[0].id)).toEqual({ iova: 0, length: 0, errno: 22, ioas_id: 1 });
  o.db.close();
});

test("a slice written behind the writer's back is detected instead of misattributing args", () => {
  tmp = tempDir();
  const o = openStore(tmp.path('c.sqlite'), { mode: 'write' });
  if (!o.ok) throw new Error(o.error.message);
  const db = o.db;
  const ins = new BatchInserter(db);
  const runId = ins.beginRun({ scenario: null, vendor: 'amd', seed: 1, versions: {} }, process.pid);
  const batches: Parameters<BatchInserter['insert']>[1][] = [];
  const rec = new BufferedRecorder({ write: (b) => batches.push(b) }, { batchSize: 4 });
  for (let i = 0; i < 8; i++) rec.slice('domain', 'iommu:map', i, 1, { iova: i * 4096, length: 4096, paddr: 3 });
  rec.flush();
  ins.insert(runId, batches[0]);
  db.exec(`INSERT INTO slice_data(ts, dur, track_id, run_id, name_id) VALUES (0, 0, 1, ${runId}, 1)`);
  expect(() => ins.insert(runId, batches[1])).toThrow(/another writer/);
  // The failed batch was rolled back: 4 of ours plus the foreign row.
  expect((db.prepare('SELECT count(*) AS n FROM slice_data').get() as { n: number }).n).toBe(5);
  db.close();
});
