/**
 * The Compare view's summary strip: per-run totals read from the counters (exact counts) and
 * each run's ratio to the cheapest run for that metric (1.00× = cheapest).
 */
import type { CounterInfo, EventRow, RunSummary } from '../../../../electron/api';
import { invCounters } from './rows';

export interface Metric {
  id: string;
  label: string;
  unit: string;
  /** Lower is cheaper (all cost metrics); ratios only for those. */
  cost: boolean;
  value: (c: Map<string, number>, run: RunSummary, rounds: EventRow[]) => number | null;
}

/** The first of several counter names the run has (engine and store spell some differently). */
const get = (c: Map<string, number>, ...names: string[]): number | null => {
  for (const n of names) if (c.has(n)) return c.get(n) as number;
  return null;
};

export const METRICS: Metric[] = [
  { id: 'dirty', label: 'Dirty pages reported', unit: 'pages', cost: false, value: (c) => get(c, 'dirty_pages') },
  { id: 'pte_reads', label: 'PTE reads', unit: '', cost: true, value: (c) => get(c, 'pte_read') },
  { id: 'pte_writes', label: 'PTE writes (incl. A/D updates)', unit: '', cost: true, value: (c) => get(c, 'pte_write_atomic') },
  {
    id: 'inv',
    label: 'Invalidation commands',
    unit: '',
    cost: true,
    value: (c) => {
      const names = invCounters([...c.keys()]);
      if (names.length === 0) return get(c, 'invalidations');
      return names.reduce((s, n) => s + (c.get(n) as number), 0);
    },
  },
  {
    id: 'miss',
    label: 'IOTLB miss rate',
    unit: '%',
    cost: true,
    value: (c) => {
      const m = get(c, 'iotlb_miss');
      const h = get(c, 'iotlb_hit');
      return m === null || h === null || m + h === 0 ? null : (100 * m) / (m + h);
    },
  },
  { id: 'faults', label: 'Faults', unit: '', cost: true, value: (c) => get(c, 'faults') },
  { id: 'bytes', label: 'Migration bytes sent', unit: 'bytes', cost: true, value: (c) => get(c, 'migration_bytes') },
  { id: 'rounds', label: 'Pre-copy rounds', unit: '', cost: true, value: (_c, _r, rounds) => (rounds.length > 0 ? rounds.length : null) },
  { id: 'events', label: 'Events recorded', unit: '', cost: false, value: (_c, run) => run.events },
  { id: 'simtime', label: 'Simulated time', unit: 'ns', cost: true, value: (_c, run) => run.simEndNs },
];

/** Totals as a map counter name → total. */
export function totals(counters: CounterInfo[] | undefined): Map<string, number> {
  return new Map((counters ?? []).map((c) => [c.name, c.total]));
}

/** Cheapest (smallest) value of a metric over the runs that have it; null when none does. */
export function cheapest(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? Math.min(...v) : null;
}
