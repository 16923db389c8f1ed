/** Plain-text rendering of a comparison summary for the terminal. */
import { vendorTitle } from '../iommu/registry';
import type { ComparisonSummary, VendorTotals } from '../scenario/compare';

const ROWS: { key: keyof VendorTotals; label: string; fmt: (v: number) => string }[] = [
  { key: 'rounds', label: 'rounds', fmt: String },
  { key: 'dirtyPages', label: 'dirty pages reported', fmt: (v) => v.toLocaleString('en-US') },
  { key: 'missedPages', label: 'dirty pages lost', fmt: (v) => v.toLocaleString('en-US') },
  { key: 'bitmapReadNs', label: 'bitmap read time (sim)', fmt: (v) => `${(v / 1e6).toFixed(3)} ms` },
  { key: 'pteReads', label: 'PTE reads (hw walks)', fmt: (v) => v.toLocaleString('en-US') },
  { key: 'pteWritesAtomic', label: 'atomic A/D updates', fmt: (v) => v.toLocaleString('en-US') },
  { key: 'invalidations', label: 'invalidation commands', fmt: (v) => v.toLocaleString('en-US') },
  { key: 'iotlbMissRate', label: 'IOTLB miss rate', fmt: (v) => `${(v * 100).toFixed(2)}%` },
  { key: 'faults', label: 'faults', fmt: (v) => v.toLocaleString('en-US') },
  { key: 'bytesSent', label: 'bytes sent', fmt: (v) => `${(v / 2 ** 30).toFixed(2)} GiB` },
  { key: 'downtimeNs', label: 'downtime (sim)', fmt: (v) => `${(v / 1e6).toFixed(2)} ms` },
  { key: 'totalNs', label: 'migration time (sim)', fmt: (v) => `${(v / 1e9).toFixed(3)} s` },
];

export function formatSummary(s: ComparisonSummary, db: string | null): string {
  const cols = s.vendors.map((v) => vendorTitle(v.vendor));
  const w = Math.max(...ROWS.map((r) => r.label.length)) + 2;
  const cw = Math.max(14, ...cols.map((c) => c.length + 2));
  const lines = [`scenario ${s.scenario}, seed ${s.seed}${db ? `, recorded in ${db}` : ''}`, '', ''.padEnd(w) + cols.map((c) => c.padStart(cw)).join('')];
  for (const r of ROWS) lines.push(r.label.padEnd(w) + s.vendors.map((v) => r.fmt(Number(v.totals[r.key])).padStart(cw)).join(''));
  lines.push(''.padEnd(w) + s.vendors.map((v) => (v.totals.converged ? 'converged' : 'forced').padStart(cw)).join(''));
  if (s.explanations.length) lines.push('', 'Differences:', ...s.explanations.map((e) => `- ${e}`));
  return lines.join('\n');
}
