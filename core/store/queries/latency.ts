/**
 * Per-operation latency histograms of a run (API `latencyHistograms`): the durations of the
 * slices of each operation group (dirty-bitmap read, dirty walk, flush, invalidation wait,
 * fault handling, map, unmap) in power-of-two ns buckets, with percentiles. Groups are lists
 * of catalogue event names (core/trace/events.ts), one per purpose, so each vendor's own
 * events fall in the group of what they do. Durations in simulated ns.
 */
import type { Database } from 'better-sqlite3';
import type { LatencyHistogram } from './types';

/** Operation groups by purpose: catalogue event names whose slice duration is that operation's latency. */
export const LATENCY_GROUPS: { id: string; title: string; names: string[] }[] = [
  { id: 'bitmap', title: 'Dirty bitmap read (IOMMU_HWPT_GET_DIRTY_BITMAP)', names: ['IOMMU_HWPT_GET_DIRTY_BITMAP'] },
  { id: 'walk', title: 'Dirty walk (read_and_clear_dirty)', names: ['pt_read_and_clear_dirty', 'read_and_clear_dirty'] },
  { id: 'flush', title: 'IOTLB flush (driver range / domain flush)', names: ['amd_iommu_domain_flush_pages', 'intel_flush_range', 'arm_smmu_tlb_inv_range', 'iotlb_sync', 'flush_iotlb_all', 'flush_queue_flush'] },
  { id: 'wait', title: 'Invalidation wait (COMPLETION_WAIT / inv_wait / CMD_SYNC)', names: ['amdvi_completion_wait', 'vtd_inv_desc_wait_sw', 'smmuv3_cmdq_sync'] },
  { id: 'map', title: 'Map (IOMMU_IOAS_MAP, iommu:map)', names: ['IOMMU_IOAS_MAP', 'map_pages', 'iommu:map'] },
  { id: 'unmap', title: 'Unmap (IOMMU_IOAS_UNMAP, iommu:unmap)', names: ['IOMMU_IOAS_UNMAP', 'unmap_pages', 'iommu:unmap'] },
];

/** Bucket k holds durations in [2^(k-1), 2^k) ns; bucket 0 holds 0 ns. */
const BUCKETS = 48;

/**
 * One histogram per group the run has slices of (groups without slices are left out). The
 * buckets are counted in SQLite (no slice leaves the database); p50 and p99 are the upper
 * edge of the bucket that holds them (so "p50 ≤ 1.02 µs"), mean and max are exact.
 */
export function latencyHistograms(db: Database, runId: number): LatencyHistogram[] {
  const ids = new Map((db.prepare('SELECT name, id FROM event_name').raw().all() as [string, number][]).map(([n, i]) => [n, i]));
  const present = new Set(db.prepare('SELECT name_id FROM slice_name_stats WHERE run_id = ? AND count > 0').pluck().all(runId) as number[]);
  const out: LatencyHistogram[] = [];
  for (const g of LATENCY_GROUPS) {
    const names = g.names.filter((n) => present.has(ids.get(n) ?? -1));
    if (names.length === 0) continue;
    const nameIds = names.map((n) => ids.get(n) as number);
    const rows = db
      .prepare(
        `SELECT CASE WHEN dur <= 0 THEN 0 ELSE min(${BUCKETS - 1}, CAST(floor(log2(dur)) AS INTEGER) + 1) END AS b, count(*) AS n, sum(dur) AS s, max(dur) AS mx
         FROM slice_data WHERE run_id = ? AND name_id IN (${nameIds.join(',')}) GROUP BY b ORDER BY b`,
      )
      .raw()
      .all(runId) as [number, number, number, number][];
    if (rows.length === 0) continue;
    const counts = new Array<number>(rows[rows.length - 1][0] + 1).fill(0);
    let count = 0;
    let sum = 0;
    let max = 0;
    for (const [b, n, s, mx] of rows) {
      counts[b] = n;
      count += n;
      sum += s;
      max = Math.max(max, mx);
    }
    /** Upper edge (ns) of the bucket holding the p-quantile (capped at the max). */
    const quantile = (p: number): number => {
      const k = Math.max(1, Math.ceil(p * count));
      let acc = 0;
      for (let b = 0; b < counts.length; b++) {
        acc += counts[b];
        if (acc >= k) return Math.min(max, b === 0 ? 0 : 2 ** b);
      }
      return max;
    };
    out.push({ runId, group: g.id, title: g.title, names, count, meanNs: sum / count, p50Ns: quantile(0.5), p99Ns: quantile(0.99), maxNs: max, counts });
  }
  return out;
}
