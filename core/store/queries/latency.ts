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

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** One histogram per group the run has slices of (groups without slices are left out). */
export function latencyHistograms(db: Database, runId: number): LatencyHistogram[] {
  const ids = new Map((db.prepare('SELECT name, id FROM event_name').raw().all() as [string, number][]).map(([n, i]) => [n, i]));
  const out: LatencyHistogram[] = [];
  for (const g of LATENCY_GROUPS) {
    const nameIds = g.names.map((n) => ids.get(n)).filter((i): i is number => i !== undefined);
    if (nameIds.length === 0) continue;
    const durs = db.prepare(`SELECT dur FROM slice_data WHERE run_id = ? AND name_id IN (${nameIds.join(',')})`).pluck().all(runId) as number[];
    if (durs.length === 0) continue;
    const sorted = Float64Array.from(durs).sort();
    const counts = new Array<number>(BUCKETS).fill(0);
    let sum = 0;
    for (const d of sorted) {
      counts[d <= 0 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(d)) + 1)]++;
      sum += d;
    }
    let last = BUCKETS - 1;
    while (last > 0 && counts[last] === 0) last--;
    out.push({
      runId,
      group: g.id,
      title: g.title,
      names: g.names.filter((n) => ids.has(n)),
      count: sorted.length,
      meanNs: sum / sorted.length,
      p50Ns: percentile(sorted, 0.5),
      p99Ns: percentile(sorted, 0.99),
      maxNs: sorted[sorted.length - 1],
      counts: counts.slice(0, last + 1),
    });
  }
  return out;
}
