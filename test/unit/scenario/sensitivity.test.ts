import { describe, expect, it } from 'vitest';
import { compareVendors, vendorResult, type VendorTotals } from '../../../core/scenario/compare';
import { firstOrderSensitivity, rerunDeciding, sensitivityLines } from '../../../core/scenario/sensitivity';
import type { MigrationReport } from '../../../core/workload/migration';

function report(precopyNs: number, costNs: Record<string, number>): MigrationReport {
  const round = { round: 0, ts: 0, dur: precopyNs, bytesSent: 1, dmaAccesses: 1, dmaDemanded: 1, dirtyPages: 1, missedPages: 0, bitmapReadNs: 0, iotlbMissRate: 0, counters: {} };
  return { rounds: [round], converged: true, finalDirtyPages: 0, missedPages: 0, switchoverNs: 0, downtimeNs: 0, downtimeParts: { finalReadNs: 0, flushNs: 0, transferNs: 0 }, precopyNs, precopyCostNs: costNs, switchoverCostNs: {}, totalBytesSent: 1, totalNs: precopyNs };
}

describe('sensitivity of the ranking to cost estimates', () => {
  // SMMUv3 is behind Intel by 100 µs; 250 µs of its time is indirect calls (an SMMUv3 estimate).
  const smmu = vendorResult('smmuv3', null, report(1_100_000, { indirect_call: 250_000, pt_entry_read: 10_000, dma_rtt: 5e6 }));
  const intel = vendorResult('intel', null, report(1_000_000, { pt_entry_read: 6_000, dirty_record: 1_000 }));
  const summary = compareVendors('t', 1, [smmu, intel]);

  it('first order: halving the SMMUv3 indirect-call estimate flips the headline ranking; measured/derived entries are not probed; DMA-path actions move no CPU metric', () => {
    const r = firstOrderSensitivity(summary, 2);
    expect(r.ranking.migrationNs).toEqual(['intel', 'smmuv3']);
    const half = r.probes.find((p) => p.vendor === 'smmuv3' && p.action === 'indirect_call' && p.scale === 0.5 && p.metric === 'migrationNs')!;
    expect(half.firstOrder).toBe(975_000);
    expect(half.flipsFirstOrder).toBe(true);
    expect(r.probes.some((p) => p.vendor === 'intel' && p.action === 'pt_entry_read')).toBe(false); // derived for VT-d
    expect(r.probes.some((p) => p.action === 'dma_rtt')).toBe(false);
  });

  it('re-runs the probes closest to flipping and reports what the run found', async () => {
    const r = firstOrderSensitivity(summary, 2);
    const calls: string[] = [];
    await rerunDeciding(r, summary, 1, async (vendor, action, ns) => {
      calls.push(`${vendor}/${action}/${ns}`);
      return { ...smmu.totals, migrationNs: 1_090_000, bitmapReadNs: 0 } as VendorTotals; // feedback: more dirtying kept it slower
    });
    expect(calls).toEqual(['smmuv3/indirect_call/1']);
    const p = r.probes.find((x) => x.rerun)!;
    expect(p.rerun!.flips).toBe(false);
    expect(sensitivityLines(r, summary).join('\n')).toContain('Arm SMMUv3 indirect_call 2 ns × 1/2 (estimate)');
  });
});
