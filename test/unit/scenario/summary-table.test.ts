import { describe, expect, it } from 'vitest';
import { compareVendors, vendorResult } from '../../../core/scenario/compare';
import { material, summaryTable, timeBreakdown } from '../../../core/scenario/summary-table';
import { formatSummary } from '../../../core/cli/format';
import type { MigrationReport, RoundReport } from '../../../core/workload/migration';

function report(o: { counters?: Record<string, number>; dirty?: number; readNs?: number; missed?: number; downtime?: number; bytes?: number; converged?: boolean }): MigrationReport {
  const round: RoundReport = { round: 0, ts: 0, dur: 1e6, bytesSent: o.bytes ?? 1 << 30, dmaAccesses: 1000, dmaDemanded: 1000, dirtyPages: o.dirty ?? 1000, missedPages: o.missed ?? 0, bitmapReadNs: o.readNs ?? 50_000, iotlbMissRate: 0, counters: o.counters ?? {} };
  return { rounds: [round], converged: o.converged ?? true, finalDirtyPages: 0, missedPages: o.missed ?? 0, switchoverNs: 1000, downtimeNs: o.downtime ?? 2e6,
    downtimeParts: { finalReadNs: 800, flushNs: 200, transferNs: (o.downtime ?? 2e6) - 1000 }, precopyNs: 1e6, precopyCostNs: {}, switchoverCostNs: {},
    totalBytesSent: (o.bytes ?? 1 << 30) + 4096, totalNs: 5e6 };
}

const row = (t: ReturnType<typeof summaryTable>, key: string) => t.rows.find((r) => r.key === key)!;

describe('comparison table (CLI text and UI strip)', () => {
  it('has every CLI row, with the exact --json values and the CLI text', () => {
    const s = compareVendors('t', 1, [vendorResult('amd', 1, { ...report({ downtime: 3_456_789 }), enable: { ns: 2_365_000, counters: {} } }), vendorResult('intel', 2, report({ converged: false }))]);
    const t = summaryTable(s);
    expect(t.rows.map((r) => r.key)).toEqual(['rounds', 'dirtyPages', 'missedPages', 'bitmapReadNs', 'pteReads', 'pteWritesAtomic', 'invalidations', 'iotlbMissRate', 'faults', 'bytesSent', 'setupNs', 'enableNs', 'migrationNs', 'downtimeNs', 'downtimeFinalReadNs', 'downtimeFlushNs', 'downtimeTransferNs', 'totalNs', 'converged']);
    expect(row(t, 'bytesSent').cells.map((c) => c.value)).toEqual(s.vendors.map((v) => v.totals.bytesSent));
    expect(row(t, 'downtimeNs').cells[0]).toMatchObject({ value: 3_456_789, text: '3.46 ms' });
    expect(row(t, 'enableNs').cells.map((c) => c.text)).toEqual(['2.365 ms', '—']);
    expect(row(t, 'converged').cells.map((c) => c.text)).toEqual(['converged', 'forced']);
    const text = formatSummary(s, null);
    for (const r of t.rows) expect(text).toMatch(new RegExp(`^${r.label.replace(/[()]/g, '\\$&')} +${r.cells.map((c) => c.text.replace(/[.()]/g, '\\$&')).join(' +')}$`, 'm'));
  });

  it('never calls a vendor that lost dirty pages cheapest; the loss badge replaces it', () => {
    const s = compareVendors('t', 1, [
      vendorResult('amd', 1, report({ counters: { pte_read: 3000 }, dirty: 3000, readNs: 90_000 })),
      vendorResult('smmuv3', 2, report({ counters: { pte_read: 2000 }, dirty: 2000, readNs: 60_000, missed: 1000 })),
    ]);
    const t = summaryTable(s);
    for (const r of t.rows) expect(r.cells[1].badge).not.toBe('cheapest');
    expect(row(t, 'missedPages').cells.map((c) => c.badge)).toEqual([null, 'lost']);
    expect(row(t, 'bitmapReadNs').cells.map((c) => c.badge)).toEqual([null, 'lost']);
    expect(row(t, 'pteReads').cells.map((c) => c.badge)).toEqual([null, 'lost']);
    expect(s.explanations[0]).toContain('loses dirty pages');
  });

  it('shows badges only for material differences', () => {
    expect(material(29_900_468, 29_900_000, 'count')).toBe(false);
    expect(material(1, 0.99999, 'fraction')).toBe(false);
    expect(material(0.0002, 0.0001, 'fraction')).toBe(false);
    expect(material(12, 2, 'count')).toBe(true);
    expect(material(2_000_000, 1_000_000, 'ns')).toBe(true);
    const s = compareVendors('t', 1, [
      vendorResult('amd', 1, report({ counters: { pte_read: 29_900_468, iotlb_miss: 1, iotlb_hit: 9999 } })),
      vendorResult('intel', 2, report({ counters: { pte_read: 29_900_000, iotlb_miss: 2, iotlb_hit: 9998 }, downtime: 4e6 })),
    ]);
    const t = summaryTable(s);
    expect(row(t, 'pteReads').cells.map((c) => c.badge)).toEqual([null, null]);
    expect(row(t, 'iotlbMissRate').cells.map((c) => c.badge)).toEqual([null, null]);
    expect(row(t, 'downtimeNs').cells).toMatchObject([{ badge: 'cheapest' }, { badge: 'ratio', ratio: 2 }]);
  });

  it('breaks migration time and downtime into parts that add up', () => {
    const rep = report({ downtime: 2e6 });
    const r = { ...rep, rounds: [{ ...rep.rounds[0], ts: 1e6, dur: 1e6, bitmapReadNs: 50_000 }], totalNs: 4e6, switchoverNs: 1000 };
    const s = compareVendors('t', 1, [vendorResult('amd', 1, { ...r, enable: { ns: 200_000, counters: {} } })]);
    const [b] = timeBreakdown(s);
    expect(b.parts.reduce((a, p) => a + p.ns, 0)).toBe(4e6);
    expect(b.parts.filter((p) => p.downtime).reduce((a, p) => a + p.ns, 0)).toBe(2e6);
    expect(Object.fromEntries(b.parts.map((p) => [p.key, p.ns]))).toMatchObject({ setup: 800_000, enable: 200_000, transfer: 950_000, reads: 50_000, final: 800, flushes: 200, stopcopy: 1_999_000 });
  });
});
