/**
 * Run data the renderer reads (API methods listRuns, listCounters, counterSeries, eventNames,
 * eventsPage): thin adapters from core/store/queries.ts to the plain, JSON-safe shapes of
 * electron/api.ts (typed arrays become number arrays, NaN becomes null). Times in simulated
 * ns, IOVAs in bytes.
 */
import type { Database } from 'better-sqlite3';
import type { CounterInfo, CounterSeries, CounterSeriesRequest, EventNameCount, EventRow, EventsPage, EventsPageRequest, RunSummary } from './types';
import { counterBuckets, eventPage, listRunRows, type SliceFilter } from './slices';
import { COUNTERS, EVENTS, eventSpec } from '../../trace/events';

type Args = Record<string, string | number | null>;

/** Whether the open file has the tables these queries need (ours, schema ≥ 2). */
export function hasRunTables(db: Database): boolean {
  const n = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name IN ('run', 'track', 'counter', 'slice_data', 'event_name', 'slice_name_stats')`).get() as { n: number };
  return n.n === 6;
}

/**
 * Runs, oldest first; consecutive runs with the same scenario JSON and seed share `group`.
 * `vendorTitle` names a driver for display (the store knows vendors only as names).
 */
export function listRuns(db: Database, vendorTitle: (vendor: string) => string = (v) => v): RunSummary[] {
  const counts = new Map<number, number>();
  for (const r of db.prepare('SELECT run_id AS id, sum(count) AS n FROM slice_name_stats GROUP BY run_id').all() as { id: number; n: number }[]) counts.set(r.id, r.n);
  const raw = db.prepare('SELECT id, scenario FROM run ORDER BY id').raw().all() as [number, string][];
  const text = new Map(raw);
  let group = 0;
  let prevKey = '';
  return listRunRows(db).map((r) => {
    const key = `${text.get(r.id)}\u0000${r.seed}`;
    if (key !== prevKey) group = r.id;
    prevKey = key;
    const scen = r.scenario as { name?: unknown; kind?: unknown; trace?: unknown } | null;
    // Runs without statistics (still running, or killed) are counted directly.
    const events = counts.get(r.id) ?? (db.prepare('SELECT count(*) AS n FROM slice_data WHERE run_id = ?').get(r.id) as { n: number }).n;
    return {
      id: r.id,
      vendor: r.vendor,
      vendorTitle: vendorTitle(r.vendor),
      scenario: scenarioName(scen),
      seed: r.seed,
      status: r.status,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      simEndNs: r.simEndNs,
      events,
      group,
    };
  });
}

/** A run's scenario name; a replay recorded by the CLI (no name) shows as "replay <trace file>". */
function scenarioName(scen: { name?: unknown; kind?: unknown; trace?: unknown } | null): string {
  if (!scen) return '';
  if (typeof scen.name === 'string') return scen.name;
  if (scen.kind === 'replay' && typeof scen.trace === 'string') return `replay ${scen.trace.split(/[/\\]/).pop()}`;
  return '';
}

const COUNTER_UNITS = new Map(COUNTERS.map((c) => [c.name, c.unit]));

/** Counter tracks of a run with totals; unit from the track, else from the catalogue. */
export function listCounters(db: Database, runId: number): CounterInfo[] {
  const rows = db
    .prepare(
      `SELECT t.id, t.name, t.unit, coalesce(sum(c.value), 0) AS total, count(c.ts) AS rows, coalesce(min(c.ts), 0) AS firstTs, coalesce(max(c.ts), 0) AS lastTs
       FROM track t LEFT JOIN counter c ON c.track_id = t.id WHERE t.run_id = ? AND t.type = 'counter' GROUP BY t.id ORDER BY t.name`,
    )
    .all(runId) as (Omit<CounterInfo, 'resolutionNs'> & { id: number })[];
  const head = db.prepare('SELECT ts FROM counter WHERE track_id = ? ORDER BY ts LIMIT 64').pluck();
  return rows.map(({ id, ...r }) => {
    // The recorder's bucket width: the smallest step between the first recorded rows.
    const ts = head.all(id) as number[];
    let res = 0;
    for (let i = 1; i < ts.length; i++) if (res === 0 || ts[i] - ts[i - 1] < res) res = ts[i] - ts[i - 1];
    return { ...r, unit: r.unit ?? COUNTER_UNITS.get(r.name) ?? null, resolutionNs: res };
  });
}

const nullable = (a: Float64Array): (number | null)[] => Array.from(a, (v) => (Number.isNaN(v) ? null : v));

/** Bucketed aggregates of several counters of one run over [t0, t1) (core/store counterBuckets). */
export function counterSeries(db: Database, q: CounterSeriesRequest): CounterSeries {
  const units = new Map(listCounterUnits(db, q.runId));
  let ts: number[] = [];
  let width = Math.max(1, Math.ceil((q.t1 - q.t0) / q.buckets));
  const series = q.counters.map((name) => {
    const b = counterBuckets(db, { runId: q.runId, counter: name, t0: q.t0, t1: q.t1, buckets: q.buckets });
    ts = Array.from(b.ts);
    width = b.width;
    return { name, unit: units.get(name) ?? COUNTER_UNITS.get(name) ?? null, sum: Array.from(b.sum), min: nullable(b.min), max: nullable(b.max), avg: nullable(b.avg), rows: Array.from(b.count) };
  });
  return { runId: q.runId, t0: q.t0, t1: q.t1, bucketNs: width, ts, series };
}

function listCounterUnits(db: Database, runId: number): [string, string | null][] {
  return db.prepare(`SELECT name, unit FROM track WHERE run_id = ? AND type = 'counter'`).raw().all(runId) as [string, string | null][];
}

/** Event names recorded in a run with counts, most frequent first. */
export function eventNames(db: Database, runId: number): EventNameCount[] {
  const rows = db
    .prepare(`SELECT e.name, st.count, st.err_count AS errors FROM slice_name_stats st JOIN event_name e ON e.id = st.name_id WHERE st.run_id = ? ORDER BY st.count DESC, e.name`)
    .all(runId) as { name: string; count: number; errors: number }[];
  return rows.map((r) => ({ ...r, category: eventSpec(r.name)?.category ?? null }));
}

/** Args of a set of slices (args table plus nothing else: typed columns travel in the row). */
export function argsOf(db: Database, ids: number[]): Map<number, Args> {
  const out = new Map<number, Args>();
  if (ids.length === 0) return out;
  const rows = db
    .prepare(`SELECT arg_set_id, key, int_value, string_value, real_value FROM args WHERE arg_set_id IN (${ids.map(() => '?').join(',')})`)
    .raw()
    .all(...ids) as [number, string, number | null, string | null, number | null][];
  for (const [id, key, i, s, r] of rows) {
    let a = out.get(id);
    if (!a) out.set(id, (a = {}));
    a[key] = i ?? s ?? r;
  }
  return out;
}

/** Arg keys that name a device in the catalogue's events. */
export const DEVICE_KEYS = ['device', 'sid', 'devid', 'dev_id'] as const;

function deviceOf(args: Args): string | null {
  for (const k of DEVICE_KEYS) if (args[k] !== undefined && args[k] !== null) return String(args[k]);
  return null;
}

/** Rows a device-filtered page may scan before it returns (possibly short) with a cursor. */
const DEVICE_SCAN_BUDGET = 20_000;

/**
 * One page of a run's events matching the filter, keyset-paged on (ts, id) through
 * core/store eventPage. The device filter matches args and is applied while scanning, so a
 * page may hold fewer than `limit` rows with a non-null `next` (scan budget reached).
 */
export function eventsPage(db: Database, q: EventsPageRequest): EventsPage {
  const f: SliceFilter = { runId: q.runId };
  let names = q.names;
  if (q.category !== undefined) {
    const inCat = EVENTS.filter((e) => e.category === q.category).map((e) => e.name);
    names = names ? names.filter((n) => inCat.includes(n)) : inCat;
  }
  if (names !== undefined) f.names = names;
  if (q.track !== undefined) {
    const t = db.prepare(`SELECT id FROM track WHERE run_id = ? AND type = 'slice' AND name = ?`).get(q.runId, q.track) as { id: number } | undefined;
    if (!t) return { rows: [], next: null };
    f.trackId = t.id;
  }
  if (q.iovaMin !== undefined) f.iovaMin = q.iovaMin;
  // The API range is inclusive, the store's half-open.
  if (q.iovaMax !== undefined) f.iovaMax = q.iovaMax + 1;
  if (q.errno !== undefined) f.errno = q.errno;
  if (q.after === undefined && q.fromTs !== undefined) f.t0 = q.fromTs;
  const tracks = new Map(db.prepare(`SELECT id, name FROM track WHERE run_id = ?`).raw().all(q.runId) as [number, string][]);
  const rows: EventRow[] = [];
  let cursor = q.after ?? null;
  let scanned = 0;
  const want = q.device;
  for (;;) {
    const page = eventPage(db, f, cursor, want === undefined ? q.limit : Math.min(1000, Math.max(q.limit, 200)));
    const args = argsOf(db, page.rows.map((r) => r.id));
    for (const r of page.rows) {
      scanned++;
      cursor = { ts: r.ts, id: r.id };
      const a = args.get(r.id) ?? {};
      if (want !== undefined && deviceOf(a) !== want) continue;
      rows.push({ id: r.id, ts: r.ts, dur: r.dur, track: tracks.get(r.trackId) ?? String(r.trackId), name: r.name, iova: r.iova, length: r.length, errno: r.errno, args: a });
      if (rows.length === q.limit) return { rows, next: { ts: r.ts, id: r.id } };
    }
    if (!page.next) return { rows, next: null };
    if (scanned >= DEVICE_SCAN_BUDGET) return { rows, next: cursor };
  }
}
