import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { latencyHistograms } from '../../../core/store/queries/latency';
import { writeFixture } from '../ui/fixture';
import { tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('latency histograms', () => {
  it('count every slice of a group in its power-of-two bucket, with percentiles', async () => {
    const fx = await writeFixture(tmp.path('lat.sqlite'), { steps: 500, vendors: ['amd', 'smmuv3'] });
    const db = new Database(fx.path, { readonly: true });
    for (const [i, id] of fx.runIds.entries()) {
      const h = latencyHistograms(db, id);
      const map = h.find((x) => x.group === 'map')!;
      const durs = (db.prepare(`SELECT dur FROM slice WHERE run_id = ? AND name IN ('IOMMU_IOAS_MAP', 'map_pages', 'iommu:map') ORDER BY dur`).pluck().all(id) as number[]);
      expect(map.count).toBe(durs.length);
      expect(map.counts.reduce((a, b) => a + b, 0)).toBe(durs.length);
      // IOMMU_IOAS_MAP slices last 800 ns: bucket [512, 1024) is 10.
      const ioas = (db.prepare(`SELECT count(*) AS n FROM slice WHERE run_id = ? AND name = 'IOMMU_IOAS_MAP'`).get(id) as { n: number }).n;
      expect(ioas).toBe(500);
      expect(map.counts[10]).toBe(durs.filter((d) => d >= 512 && d < 1024).length);
      expect(map.counts[10]).toBeGreaterThanOrEqual(500);
      expect(map.maxNs).toBe(durs[durs.length - 1]);
      // p50 is bounded by its bucket's upper edge.
      const p50 = durs[Math.ceil(durs.length / 2) - 1];
      expect(map.p50Ns).toBeGreaterThanOrEqual(p50);
      expect(map.p50Ns).toBeLessThanOrEqual(Math.min(map.maxNs, 2 * p50));
      expect(map.meanNs).toBeCloseTo(durs.reduce((a, b) => a + b, 0) / durs.length, 6);
      // The fixture's invalidation waits: COMPLETION_WAIT / CMD_SYNC at 200 + 100 × vendor index ns.
      const wait = h.find((x) => x.group === 'wait')!;
      expect(wait.maxNs).toBe(i === 0 ? 200 : 300);
      expect(wait.names).toContain(i === 0 ? 'amdvi_completion_wait' : 'smmuv3_cmdq_sync');
    }
    db.close();
  });
});
