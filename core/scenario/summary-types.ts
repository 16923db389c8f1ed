/**
 * The comparison table as the CLI prints it and the Compare view's summary strip shows it
 * (core/scenario/summary-table.ts builds it from a ComparisonSummary). Pure types, so the API
 * contract (electron/api.ts) can share them with the renderer.
 */

/** How a row's values read: exact count, simulated ns, bytes, fraction (0..1), yes/no. */
export type SummaryUnit = 'count' | 'ns' | 'bytes' | 'fraction' | 'flag';

/** One vendor's cell: the exact value (as in `compare --json`), its text as the CLI prints it, and its badge. */
export interface SummaryCell {
  /** The number from `totals` (or the enable cost); booleans as 1/0; null when the vendor has none. */
  value: number | null;
  /** Exactly the CLI table's text for this cell. */
  text: string;
  /**
   * Badge of a cost row: 'cheapest' (lowest of the vendors that lost no dirty pages, and some
   * other vendor is materially higher), 'ratio' (materially higher than the cheapest: see
   * `ratio`), 'lost' (this vendor lost dirty pages, so its lower costs are not savings), or null
   * (no material difference).
   */
  badge: 'cheapest' | 'ratio' | 'lost' | null;
  /** value ÷ cheapest value, when `badge` is 'ratio'. */
  ratio?: number;
}

/** One row of the table. */
export interface SummaryRow {
  /** `totals` key ('bytesSent', 'downtimeNs', …), or 'enableNs' / 'converged'. */
  key: string;
  /** The CLI's row label. */
  label: string;
  unit: SummaryUnit;
  /** Lower is cheaper (ratios and badges only on these rows). */
  cost: boolean;
  /** One cell per vendor, in `SummaryTable.vendors` order. */
  cells: SummaryCell[];
}

/** The whole table: one column per vendor run. */
export interface SummaryTable {
  scenario: string;
  seed: number;
  vendors: { vendor: string; title: string; runId: number | null }[];
  rows: SummaryRow[];
  /** Plain-language differences, the lost-pages line first when a vendor lost pages. */
  explanations: string[];
}

/** What the Compare view's summary strip shows for a set of runs (API `comparisonNotes`). */
export interface ComparisonView {
  /** Runs the table covers (a stored comparison may cover more than the runs asked for). */
  runIds: number[];
  /** The comparison's explanation lines (none for a counters table). */
  explanations: string[];
  /** 'comparison': the stored comparison (exactly `compare --json`); 'counters': the runs' own counter totals. */
  source: 'comparison' | 'counters';
  table: SummaryTable;
  /** Migration time and downtime in parts, per vendor run (stored comparisons only). */
  breakdown?: TimeBreakdown[];
}

/**
 * Where a vendor run's migration time went (simulated ns): set-up (guest mapped, devices
 * attached), enabling dirty tracking, pre-copy transfer, dirty-bitmap reads, and the downtime
 * parts (final collection with the VM stopped, stop-and-copy transfer). The parts add up to
 * `totalNs`; those marked `downtime` add up to `downtimeNs`.
 */
export interface TimeBreakdown {
  runId: number | null;
  vendor: string;
  totalNs: number;
  downtimeNs: number;
  parts: { key: string; label: string; ns: number; downtime: boolean }[];
}
