/** Plain-text rendering of a comparison summary for the terminal (the table of core/scenario/summary-table.ts). */
import type { ComparisonSummary } from '../scenario/compare';
import { summaryTable } from '../scenario/summary-table';

export function formatSummary(s: ComparisonSummary, db: string | null): string {
  const t = summaryTable(s);
  const cols = t.vendors.map((v) => v.title);
  const w = Math.max(...t.rows.map((r) => r.label.length)) + 2;
  const cw = Math.max(14, ...cols.map((c) => c.length + 2));
  const lines = [`scenario ${s.scenario}, seed ${s.seed}${db ? `, recorded in ${db}` : ''}`, '', ''.padEnd(w) + cols.map((c) => c.padStart(cw)).join('')];
  for (const r of t.rows) lines.push(r.label.padEnd(w) + r.cells.map((c) => c.text.padStart(cw)).join(''));
  if (s.explanations.length) lines.push('', 'Differences:', ...s.explanations.map((e) => `- ${e}`));
  return lines.join('\n');
}
