import { describe, expect, it } from 'vitest';
import { compareVendors, vendorResult } from '../../../core/scenario/compare';
import type { MigrationReport, RoundReport } from '../../../core/workload/migration';

function report(counters: Record<string, number>, dirtyPages: number, bitmapReadNs: number, missedPages = 0, costNs: Record<string, number> = {}): MigrationReport {
  const round: RoundReport = { round: 0, ts: 0, dur: 1e6, bytesSent: 1 << 30, dmaAccesses: 1000, dmaDemanded: 1000, dirtyPages, missedPages, bitmapReadNs, iotlbMissRate: 0, counters };
  return {
    rounds: [round], converged: true, finalDirtyPages: 0, missedPages, switchoverNs: 1000, downtimeNs: 2e6,
    downtimeParts: { finalReadNs: 800, flushNs: 200, transferNs: 2e6 - 1000 }, precopyNs: 1e6 + bitmapReadNs,
    precopyCostNs: costNs, switchoverCostNs: {}, totalBytesSent: 1 << 30, totalNs: 5e6,
  };
}

describe('vendor comparison summary', () => {
  it('computes ratios against the cheapest vendor and explains big differences with counters', () => {
    const amd = vendorResult('amd', 1, report({ pte_read: 16000, inv_iotlb: 10, 'cmd:INVALIDATE_IOMMU_PAGES': 10 }, 1000, 50_000));
    const intel = vendorResult('intel', 2, report({ pte_read: 1000, inv_iotlb: 10, 'cmd:qi_iotlb_psi': 10 }, 1000, 20_000));
    const s = compareVendors('t', 1, [amd, intel]);
    expect(s.ratios.pteReads.cheapest).toBe('intel');
    expect(s.ratios.pteReads.byVendor.amd).toBe(16);
    expect(s.ratios.bitmapReadNs.byVendor.amd).toBe(2.5);
    const line = s.explanations.find((l) => l.includes('PTEs'));
    expect(line).toContain('AMD-Vi reads 16× as many PTEs from memory in hardware walks as Intel VT-d');
    expect(line).toContain('16.0 PTE reads per dirty page vs 1.0');
    // Equal invalidation counts produce no line.
    expect(s.explanations.some((l) => l.includes('invalidation commands'))).toBe(false);
  });

  it('a vendor that lost dirty pages: no infinite ratio, fewer reported pages blamed on the loss, its lower costs flagged', () => {
    const amd = vendorResult('amd', 1, report({ pte_read: 3000, pte_write_atomic: 3000 }, 3000, 90_000));
    const smmu = vendorResult('smmuv3', 2, report({ pte_read: 2000, pte_write_atomic: 2000 }, 2000, 60_000, 1000));
    const lines = compareVendors('t', 1, [amd, smmu]).explanations;
    const lost = lines.find((l) => l.includes('loses'))!;
    expect(lost).toContain('Arm SMMUv3 loses dirty pages where AMD-Vi loses none (1,000 vs 0)');
    expect(lost).not.toContain('∞');
    expect(lines.find((l) => l.includes('reports'))).toContain('Arm SMMUv3 missed 1,000 written pages, so it reports fewer');
    // The lossy vendor is never the cheapest: its shorter reads are no saving, so no line says
    // the honest vendor costs more, and the loss is the first line.
    const s = compareVendors('t', 1, [amd, smmu]);
    expect(s.ratios.bitmapReadNs.cheapest).toBe('amd');
    expect(s.ratios.pteReads.cheapest).toBe('amd');
    expect(lines.some((l) => l.includes('reading dirty bitmaps'))).toBe(false);
    expect(lines[0]).toBe(lost);
  });
});

describe('explanation lines name the mechanism', () => {
  it('a slower dirty read is explained by the cost action that differs most', () => {
    const smmu = vendorResult('smmuv3', 1, report({}, 1000, 300_000, 0, { indirect_call: 200_000, pt_entry_read: 90_000, iotlb_miss: 5e6 }));
    const intel = vendorResult('intel', 2, report({}, 1000, 60_000, 0, { pt_entry_read: 50_000, iotlb_miss: 9e6 }));
    const line = compareVendors('t', 1, [smmu, intel]).explanations.find((l) => l.includes('reading dirty bitmaps'))!;
    expect(line).toContain('mostly indirect call per entry of a callback walker');
    expect(line).not.toContain('IOTLB miss');
  });

  it('a PTE-read difference caused by IOTLB capacity says capacity, not reads per dirty page', () => {
    // The iotlb-fit case: a hot set that fits one vendor's IOTLB and not the other's; walks follow the evictions.
    const small = vendorResult('amd', 1, report({ pte_read: 230_000, iotlb_hit: 100, iotlb_miss: 900, iotlb_evictions: 880, iotlb_invalidated: 20 }, 480, 1000));
    const big = vendorResult('smmuv3', 2, report({ pte_read: 580, iotlb_hit: 990, iotlb_miss: 10, iotlb_evictions: 0, iotlb_invalidated: 30 }, 480, 1000));
    const line = compareVendors('t', 1, [small, big]).explanations.find((l) => l.includes('PTEs from memory'))!;
    expect(line).toContain('from IOTLB capacity: 880 entries evicted to make room (vs 0)');
    expect(line).not.toContain('per dirty page');
    // Walks after the flushes that follow each clear keep the per-dirty-page reading.
    const flushed = vendorResult('amd', 1, report({ pte_read: 16_000, iotlb_hit: 100, iotlb_miss: 900, iotlb_evictions: 10, iotlb_invalidated: 700 }, 1000, 1000));
    const few = vendorResult('smmuv3', 2, report({ pte_read: 1000, iotlb_hit: 990, iotlb_miss: 10, iotlb_evictions: 0, iotlb_invalidated: 30 }, 1000, 1000));
    expect(compareVendors('t', 1, [flushed, few]).explanations.find((l) => l.includes('PTEs from memory'))).toContain('16.0 PTE reads per dirty page vs 1.0');
  });

  it('an IOTLB miss-rate difference caused by capacity says capacity, not the flush', () => {
    const small = vendorResult('amd', 1, report({ iotlb_hit: 100, iotlb_miss: 900, iotlb_evictions: 880, iotlb_invalidated: 20 }, 1000, 1000));
    const big = vendorResult('smmuv3', 2, report({ iotlb_hit: 700, iotlb_miss: 300, iotlb_evictions: 10, iotlb_invalidated: 20 }, 1000, 1000));
    const line = compareVendors('t', 1, [small, big]).explanations.find((l) => l.includes('IOTLB miss rate'))!;
    expect(line).toContain('IOTLB capacity: 880 entries evicted');
    const flushed = vendorResult('amd', 1, report({ iotlb_hit: 100, iotlb_miss: 900, iotlb_evictions: 10, iotlb_invalidated: 700 }, 1000, 1000));
    expect(compareVendors('t', 1, [flushed, big]).explanations.find((l) => l.includes('IOTLB miss rate'))).toContain('invalidations dropped 700');
  });
});
