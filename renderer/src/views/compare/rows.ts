/**
 * The chart rows of the Compare view and how each turns API data into uPlot series.
 * Time rows read bucketed counter sums (counterSeries) and plot rates per simulated second:
 * sum ÷ bucket width (the last bucket may be shorter: its own width). The store spreads each
 * counter row over the interval it accrued in, so the rate is the same at every zoom and the
 * integral of a rate series is the total. Round rows read the `migration_round` events.
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
  /** Display units per counter unit (1/2^20 for MiB); null when the row is not a rate (no integral). */
  scale: number | null;
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
    scale: 1,
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
    scale: 1,
  },
  {
    kind: 'time',
    id: 'pte',
    title: 'IOPTE reads and writes',
    yLabel: 'accesses / s',
    series: (a) => [...opt(a, 'PTE reads', ['pte_read']), ...opt(a, 'PTE writes', ['pte_write_atomic'])],
    totalOf: (a) => [first(a, 'pte_read'), first(a, 'pte_write_atomic')].filter((n): n is string => !!n),
    scale: 1,
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
    scale: null,
  },
  {
    kind: 'time',
    id: 'faults',
    title: 'Faults',
    yLabel: 'faults / s',
    series: (a) => opt(a, 'faults', ['faults']),
    totalOf: () => ['faults'],
    scale: 1,
  },
  {
    kind: 'time',
    id: 'dma',
    title: 'Device DMA traffic',
    yLabel: 'MiB / s',
    series: (a) => opt(a, 'DMA', ['dma_bytes', 'dma_write_bytes'], 1 / 2 ** 20),
    totalOf: (a) => [first(a, 'dma_bytes', 'dma_write_bytes')].filter((n): n is string => !!n),
    scale: 1 / 2 ** 20,
  },
  {
    kind: 'time',
    id: 'migrate',
    title: 'Migration bytes sent (rate)',
    yLabel: 'MiB / s',
    series: (a) => opt(a, 'bytes sent', ['migration_bytes'], 1 / 2 ** 20),
    totalOf: () => ['migration_bytes'],
    scale: 1 / 2 ** 20,
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

/** What a time row shows for one run: uPlot data plus the numbers the tests and the CSV read. */
export interface TimeRowData {
  /** [x, ...ys]: x in ms of simulated time (bucket centres), one array per series. */
  data: (number | null)[][];
  labels: string[];
  /** Sum of the row's counters over the window (exact counts). */
  total: number;
  /** Largest value drawn (display units), 0 when none. */
  peak: number;
  /** Σ rate × bucket width of all series, in counter units (equals `total` for rate rows); null for non-rate rows. */
  integral: number | null;
  /** Bucket start times (ns) and widths (ns): the last bucket may be cut by the window end. */
  ts: number[];
  widths: number[];
}

/** uPlot data of a time row: x in ms of simulated time (bucket centres), one array per series. */
export function timeRowData(row: TimeRow, available: string[], cs: CounterSeries): TimeRowData {
  const defs = row.series(available);
  const byName = new Map(cs.series.map((s) => [s.name, s.sum]));
  const widths = cs.ts.map((t) => Math.max(1, Math.min(cs.bucketNs, cs.t1 - t)));
  const x = cs.ts.map((t, i) => (t + widths[i] / 2) / 1e6);
  const ys = defs.map((d) => cs.ts.map((_t, i) => d.value(d.counters.map((c) => byName.get(c)?.[i] ?? 0), widths[i] / 1e9)));
  let total = 0;
  for (const c of row.totalOf(available)) for (const v of byName.get(c) ?? []) total += v;
  let peak = 0;
  for (const y of ys) for (const v of y) if (v !== null && v > peak) peak = v;
  let integral: number | null = null;
  if (row.scale !== null) {
    integral = 0;
    for (const y of ys) y.forEach((v, i) => (integral! += ((v ?? 0) * widths[i]) / 1e9 / row.scale!));
  }
  return { data: [x, ...ys], labels: defs.map((d) => d.label), total, peak, integral, ts: cs.ts, widths };
}

/** uPlot data of a round row from migration_round events (x = the round number; total = sum of the first series, unscaled). */
export function roundRowData(row: RoundRow, rounds: EventRow[]): { data: (number | null)[][]; labels: string[]; total: number; peak: number } {
  const arg = (r: EventRow, names: string[]): number | null => {
    for (const n of names) if (typeof r.args[n] === 'number') return r.args[n] as number;
    return null;
  };
  const present = row.series.some((s) => rounds.some((r) => arg(r, s.args) !== null));
  if (!present) return { data: [[]], labels: [], total: 0, peak: 0 };
  const x = rounds.map((r, i) => Number(r.args.round ?? i));
  const ys = row.series.map((s) => rounds.map((r) => {
    const v = arg(r, s.args);
    return v === null ? null : v * s.scale;
  }));
  const total = rounds.reduce((a, r) => a + (arg(r, row.series[0].args) ?? 0), 0);
  let peak = 0;
  for (const y of ys) for (const v of y) if (v !== null && v > peak) peak = v;
  return { data: [x, ...ys], labels: row.series.map((s) => s.label), total, peak };
}

/**
 * Rounds as a time axis: the piecewise-linear map between simulated time and "round units"
 * (x = r at the start of pre-copy round r, x = R at the end of the last round, x = R + 1 at the
 * end of the run; set-up before round 0 is -1..0), so runs whose rounds take different times
 * line up round by round.
 */
export class RoundAxis {
  /** Knots: x in round units and t in ns, both increasing. */
  readonly xs: number[];
  readonly ts: number[];
  constructor(rounds: EventRow[], endNs: number) {
    const rs = rounds.filter((r) => typeof r.ts === 'number').sort((a, b) => a.ts - b.ts);
    this.xs = [-1];
    this.ts = [0];
    rs.forEach((r, i) => {
      this.xs.push(i);
      this.ts.push(Math.max(this.ts[this.ts.length - 1], r.ts));
    });
    const last = rs[rs.length - 1];
    const lastEnd = last ? last.ts + last.dur : 0;
    this.xs.push(rs.length, rs.length + 1);
    this.ts.push(Math.max(this.ts[this.ts.length - 1], lastEnd), Math.max(lastEnd, endNs));
  }
  /** Round units of time `t` (ns). */
  toX(t: number): number {
    return interp(t, this.ts, this.xs);
  }
  /** Time (ns) of round units `x`. */
  toT(x: number): number {
    return interp(x, this.xs, this.ts);
  }
  /** The last x (end of the run). */
  get maxX(): number {
    return this.xs[this.xs.length - 1];
  }
}

function interp(v: number, from: number[], to: number[]): number {
  if (v <= from[0]) return to[0];
  for (let i = 1; i < from.length; i++) {
    if (v <= from[i]) {
      const span = from[i] - from[i - 1];
      return span > 0 ? to[i - 1] + ((v - from[i - 1]) / span) * (to[i] - to[i - 1]) : to[i];
    }
  }
  return to[to.length - 1];
}

/**
 * One x array for several (x, ys) tables (overlay charts): the sorted union of their x values,
 * each table's ys placed at its own x and null elsewhere.
 */
export function joinTables(tables: (number | null)[][][]): (number | null)[][] {
  const xs = [...new Set(tables.flatMap((t) => (t[0] ?? []) as number[]))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const out: (number | null)[][] = [xs];
  for (const t of tables) {
    for (const y of t.slice(1)) {
      const col: (number | null)[] = new Array(xs.length).fill(null);
      (t[0] as number[]).forEach((x, i) => (col[at.get(x)!] = y[i]));
      out.push(col);
    }
  }
  return out;
}

/** Dash patterns telling a run's series apart when they share the vendor's colour. */
export const DASHES: (number[] | undefined)[] = [undefined, [6, 3], [2, 3], [10, 3, 2, 3], [1, 2]];

/** Series colours (colour-blind-safe Okabe–Ito order). */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#999999'];
