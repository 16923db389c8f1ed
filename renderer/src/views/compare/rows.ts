/**
 * The chart rows of the Compare view and how each turns API data into uPlot series.
 * Time rows read bucketed counter sums (counterSeries) and plot rates per simulated second
 * (sum / bucket width), so values stay comparable when a zoom changes the bucket width.
 * Round rows read the `migration_round` events (one per pre-copy round).
 */
import type { CounterSeries, EventRow } from '../../../../electron/api';

export interface SeriesDef {
  label: string;
  /** Counters this series reads. */
  counters: string[];
  /** Value of bucket i from the sums of `counters` (same order) and the bucket width in s. */
  value: (sums: number[], seconds: number) => number | null;
}

export interface TimeRow {
  kind: 'time';
  id: string;
  title: string;
  yLabel: string;
  /** Series for a run given the counter names it recorded. */
  series: (available: string[]) => SeriesDef[];
  /** Counter whose raw bucket sums the row reports as its total (data-sum, CSV). */
  totalOf: (available: string[]) => string[];
}

export interface RoundRow {
  kind: 'round';
  id: string;
  title: string;
  yLabel: string;
  /** Per series: the migration_round arg (first present of `args`) and a display scale. */
  series: { label: string; args: string[]; scale: number }[];
}

export type RowDef = TimeRow | RoundRow;

const has = (available: string[], name: string): boolean => available.includes(name);
const rate = (label: string, counter: string, scale = 1): SeriesDef => ({ label, counters: [counter], value: (s, sec) => (s[0] / sec) * scale });
/** The first of `names` the run recorded (engine and store name some counters differently). */
const first = (available: string[], ...names: string[]): string | null => names.find((n) => available.includes(n)) ?? null;
const opt = (available: string[], label: string, names: string[], scale = 1): SeriesDef[] => {
  const n = first(available, ...names);
  return n ? [rate(label, n, scale)] : [];
};

/**
 * Invalidations by type: architected command counters ('cmd:<NAME>') when the run has them,
 * else per-event counters ('inv.<event>', without the generic qi_submit), else 'inv_<type>'.
 */
export function invCounters(available: string[]): string[] {
  const cmd = available.filter((n) => n.startsWith('cmd:'));
  if (cmd.length) return cmd;
  const ev = available.filter((n) => n.startsWith('inv.') && n !== 'inv.qi_submit');
  return ev.length ? ev : available.filter((n) => n.startsWith('inv_'));
}

export const ROWS: RowDef[] = [
  {
    kind: 'time',
    id: 'dirty',
    title: 'Dirty pages reported (rate)',
    yLabel: 'pages / s',
    series: (a) => opt(a, 'dirty pages', ['dirty_pages']),
    totalOf: () => ['dirty_pages'],
  },
  {
    kind: 'round',
    id: 'rounds',
    title: 'Dirty pages per pre-copy round (convergence)',
    yLabel: 'pages',
    series: [{ label: 'dirty pages', args: ['dirty_pages'], scale: 1 }],
  },
  {
    kind: 'time',
    id: 'inv',
    title: 'IOTLB and context/PASID/CD invalidations by type',
    yLabel: 'commands / s',
    series: (a) => invCounters(a).map((n) => rate(n.replace(/^(inv[._]|cmd:)/, ''), n)),
    totalOf: (a) => invCounters(a),
  },
  {
    kind: 'time',
    id: 'pte',
    title: 'IOPTE reads and writes',
    yLabel: 'accesses / s',
    series: (a) => [...opt(a, 'PTE reads', ['pte_read']), ...opt(a, 'PTE writes', ['pte_write_atomic'])],
    totalOf: (a) => [first(a, 'pte_read'), first(a, 'pte_write_atomic')].filter((n): n is string => !!n),
  },
  {
    kind: 'time',
    id: 'iotlb',
    title: 'IOTLB miss rate',
    yLabel: '% of lookups',
    series: (a) =>
      has(a, 'iotlb_miss')
        ? [{ label: 'miss rate', counters: ['iotlb_miss', 'iotlb_hit'], value: ([m, h]) => (m + h > 0 ? (100 * m) / (m + h) : null) }]
        : [],
    totalOf: () => ['iotlb_miss'],
  },
  {
    kind: 'time',
    id: 'faults',
    title: 'Faults',
    yLabel: 'faults / s',
    series: (a) => opt(a, 'faults', ['faults']),
    totalOf: () => ['faults'],
  },
  {
    kind: 'time',
    id: 'dma',
    title: 'Device DMA traffic',
    yLabel: 'MiB / s',
    series: (a) => opt(a, 'DMA', ['dma_bytes', 'dma_write_bytes'], 1 / 2 ** 20),
    totalOf: (a) => [first(a, 'dma_bytes', 'dma_write_bytes')].filter((n): n is string => !!n),
  },
  {
    kind: 'time',
    id: 'migrate',
    title: 'Migration bytes sent (rate)',
    yLabel: 'MiB / s',
    series: (a) => opt(a, 'bytes sent', ['migration_bytes'], 1 / 2 ** 20),
    totalOf: () => ['migration_bytes'],
  },
  {
    kind: 'round',
    id: 'migbytes',
    title: 'Migration bytes sent per round',
    yLabel: 'MiB',
    series: [{ label: 'bytes sent', args: ['bytes_sent'], scale: 1 / 2 ** 20 }],
  },
  {
    kind: 'round',
    id: 'bitmap',
    title: 'Dirty bitmap read time per round (simulated)',
    yLabel: 'ms',
    series: [{ label: 'bitmap read', args: ['bitmap_read_ns'], scale: 1e-6 }],
  },
];

/** Counters a run needs for all time rows. */
export function countersNeeded(available: string[]): string[] {
  const s = new Set<string>();
  for (const r of ROWS) if (r.kind === 'time') for (const d of r.series(available)) d.counters.forEach((c) => s.add(c));
  return [...s].filter((c) => available.includes(c));
}

/** uPlot data of a time row: x in ms of simulated time (bucket centres), one array per series. */
export function timeRowData(row: TimeRow, available: string[], cs: CounterSeries): { data: (number | null)[][]; labels: string[]; total: number } {
  const defs = row.series(available);
  const byName = new Map(cs.series.map((s) => [s.name, s.sum]));
  const sec = cs.bucketNs / 1e9;
  const x = cs.ts.map((t) => (t + cs.bucketNs / 2) / 1e6);
  const ys = defs.map((d) => cs.ts.map((_t, i) => d.value(d.counters.map((c) => byName.get(c)?.[i] ?? 0), sec)));
  let total = 0;
  for (const c of row.totalOf(available)) for (const v of byName.get(c) ?? []) total += v;
  return { data: [x, ...ys], labels: defs.map((d) => d.label), total };
}

/** uPlot data of a round row from migration_round events (total = sum of the first series, unscaled). */
export function roundRowData(row: RoundRow, rounds: EventRow[]): { data: (number | null)[][]; labels: string[]; total: number } {
  const arg = (r: EventRow, names: string[]): number | null => {
    for (const n of names) if (typeof r.args[n] === 'number') return r.args[n] as number;
    return null;
  };
  const present = row.series.some((s) => rounds.some((r) => arg(r, s.args) !== null));
  if (!present) return { data: [[]], labels: [], total: 0 };
  const x = rounds.map((r, i) => Number(r.args.round ?? i + 1));
  const ys = row.series.map((s) => rounds.map((r) => {
    const v = arg(r, s.args);
    return v === null ? null : v * s.scale;
  }));
  const total = rounds.reduce((a, r) => a + (arg(r, row.series[0].args) ?? 0), 0);
  return { data: [x, ...ys], labels: row.series.map((s) => s.label), total };
}

/** Series colours (colour-blind-safe Okabe–Ito order). */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#999999'];
