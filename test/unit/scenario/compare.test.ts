import { describe, expect, it } from 'vitest';
import { compareVendors, vendorResult } from '../../../core/scenario/compare';
import type { MigrationReport, RoundReport } from '../../../core/workload/migration';

function report(counters: Record<string, number>, dirtyPages: number, bitmapReadNs: number, missedPages = 0): MigrationReport {
  const round: RoundReport = { round: 0, ts: 0, dur: 1e6, bytesSent: 1 << 30, dmaAccesses: 1000, dirtyPages, missedPages, bitmapReadNs, iotlbMissRate: 0, counters };
  return { rounds: [round], converged: true, finalDirtyPages: 0, missedPages, switchoverNs: 1000, downtimeNs: 2e6, totalBytesSent: 1 << 30, totalNs: 5e6 };
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
    expect(line).toContain('AMD-Vi reads 16× as many PTEs as Intel VT-d');
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
