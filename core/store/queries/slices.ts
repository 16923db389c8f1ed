/**
 * Queries the UI (and CLI) run against a trace database opened with openStore().
 * Times are simulated ns; ranges are half-open [t0, t1). Large answers come back as typed
 * arrays; event lists are paged with keyset pagination on (ts, id), so page N costs the
 * same as page 1.
 */
import type { Database } from 'better-sqlite3';

/** A run row, with `status` 'running' reported as 'incomplete' when its writer is gone. */
export interface RunRow {
  id: number;
  vendor: string;
  seed: number;
  scenario: unknown;
  versions: Record<string, string>;
  startedAt: string;
  endedAt: string | null;
  status: 'running' | 'complete' | 'incomplete' | 'failed';
  simEndNs: number | null;
}

function pidAlive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** JSON.parse that returns the raw text instead of throwing (rows may come from an edited file). */
function parseJson(text: unknown): unknown {
  try {
    return JSON.parse(String(text));
  } catch {
    return text;
  }
}

/** All runs, oldest first. */
export function listRunRows(db: Database): RunRow[] {
  const rows = db.prepare('SELECT * FROM run ORDER BY id').all() as Record<string, unknown>[];
  return rows.map((r) => ({
    id: r.id as number,
    vendor: r.vendor as string,
    seed: r.seed as number,
    scenario: parseJson(r.scenario),
    versions: (parseJson(r.versions) ?? {}) as Record<string, string>,
    startedAt: r.started_at as string,
    endedAt: (r.ended_at as string | null) ?? null,
    status: r.status === 'running' && !pidAlive((r.writer_pid as number | null) ?? null) ? 'incomplete' : (r.status as RunRow['status']),
    simEndNs: (r.sim_end_ns as number | null) ?? null,
  }));
}

/** Tracks of a run. */
export function listTracks(db: Database, runId: number): { id: number; name: string; type: 'slice' | 'counter' }[] {
  return db.prepare('SELECT id, name, type FROM track WHERE run_id = ? ORDER BY type, name').all(runId) as { id: number; name: string; type: 'slice' | 'counter' }[];
}

/** Bucketed aggregate of a counter series. Arrays have one entry per bucket. */
export interface CounterBuckets {
  /** Bucket start times (ns). */
  ts: Float64Array;
  /** min / max / avg of the rows' contributions to the bucket (NaN when none). */
  min: Float64Array;
  max: Float64Array;
  avg: Float64Array;
  /** Sum of values in the bucket (0 when none): the total for delta counters. */
  sum: Float64Array;
  /** Number of counter rows contributing to the bucket. */
  count: Float64Array;
  /** Bucket width (ns). */
  width: number;
}

const hasDurColumn = new WeakMap<Database, boolean>();

/** Whether `counter` has the `dur` column (schema 4); older files hold points only. */
function counterDur(db: Database): string {
  let v = hasDurColumn.get(db);
  if (v === undefined) {
    v = (db.prepare(`SELECT count(*) AS n FROM pragma_table_info('counter') WHERE name = 'dur'`).get() as { n: number }).n > 0;
    hasDurColumn.set(db, v);
  }
  return v ? 'dur' : '0';
}

/**
 * Aggregate counter `name` of run `runId` over [t0, t1) into `buckets` buckets of equal width
 * (ceil((t1 - t0) / buckets) ns). Rows with dur 0 (the recorder's bucket sums) count in the
 * bucket holding their ts, as they are; a row that accrued over an interval (schema 4, dur > 0)
 * is shared out over the buckets it overlaps in proportion to the overlap. So sum / width is
 * the rate in a bucket at any width (buckets on the recorder's grid: the Compare view's), and
 * the sums over the whole run add up to the total. Unknown counter → all-empty buckets.
 */
export function counterBuckets(db: Database, q: { runId: number; counter: string; t0: number; t1: number; buckets: number }): CounterBuckets {
  const n = Math.max(1, Math.floor(q.buckets));
  const width = Math.max(1, Math.ceil((q.t1 - q.t0) / n));
  const out: CounterBuckets = {
    ts: new Float64Array(n),
    min: new Float64Array(n).fill(NaN),
    max: new Float64Array(n).fill(NaN),
    avg: new Float64Array(n).fill(NaN),
    sum: new Float64Array(n),
    count: new Float64Array(n),
    width,
  };
  for (let i = 0; i < n; i++) out.ts[i] = q.t0 + i * width;
  const track = db.prepare(`SELECT id FROM track WHERE run_id = ? AND type = 'counter' AND name = ?`).get(q.runId, q.counter) as { id: number } | undefined;
  if (!track) return out;
  const t0 = Math.floor(q.t0);
  const t1 = Math.ceil(q.t1);
  const spans = counterDur(db) === 'dur';
  const points = db
    .prepare(`SELECT CAST((ts - @t0) / @w AS INTEGER) AS b, min(value) AS mn, max(value) AS mx, sum(value) AS s, count(*) AS c FROM counter WHERE track_id = @track AND ts >= @t0 AND ts < @t1${spans ? ' AND dur = 0' : ''} GROUP BY b`)
    .raw()
    .all({ t0, t1, w: width, track: track.id }) as number[][];
  for (const [b, mn, mx, s, c] of points) {
    if (b < 0 || b >= n) continue;
    out.min[b] = mn;
    out.max[b] = mx;
    out.sum[b] = s;
    out.count[b] = c;
  }
  if (spans) {
    // Few rows (the counter_spans partial index): the longest span bounds how early one may start.
    const maxDur = (db.prepare('SELECT coalesce(max(dur), 0) AS d FROM counter WHERE track_id = ? AND dur > 0').get(track.id) as { d: number }).d;
    const rows = maxDur === 0 ? [] : (db.prepare('SELECT ts, dur, value FROM counter WHERE track_id = @track AND dur > 0 AND ts >= @lo AND ts < @t1 AND ts + dur > @t0').raw().all({ t0, t1, lo: t0 - maxDur, track: track.id }) as number[][]);
    for (const [ts, dur, value] of rows) {
      const a = Math.max(ts, t0);
      const e = Math.min(ts + dur, t1);
      for (let b = Math.floor((a - t0) / width); b < n && t0 + b * width < e; b++) {
        const lo = Math.max(a, t0 + b * width);
        const hi = Math.min(e, t0 + (b + 1) * width);
        if (hi <= lo) continue;
        const v = (value * (hi - lo)) / dur;
        if (out.count[b] === 0 || v < out.min[b]) out.min[b] = v;
        if (out.count[b] === 0 || v > out.max[b]) out.max[b] = v;
        out.sum[b] += v;
        out.count[b]++;
      }
    }
  }
  for (let b = 0; b < n; b++) if (out.count[b] > 0) out.avg[b] = out.sum[b] / out.count[b];
  return out;
}

/** Filter for event pages. All fields optional except runId. */
export interface SliceFilter {
  runId: number;
  /** Event names (catalogue names). */
  names?: string[];
  trackId?: number;
  /** IOVA range [iovaMin, iovaMax). */
  iovaMin?: number;
  iovaMax?: number;
  /** A specific errno number (0 = successes only), or 'any' for any failure (errno > 0). */
  errno?: number | 'any';
  t0?: number;
  t1?: number;
}

/** One slice as listed in the Events view. */
export interface SliceRow {
  id: number;
  ts: number;
  dur: number;
  trackId: number;
  name: string;
  iova: number | null;
  length: number | null;
  errno: number | null;
}

/** Keyset cursor: the (ts, id) of the last row of the previous page. */
export interface Cursor {
  ts: number;
  id: number;
}

function nameIds(db: Database, names: string[]): number[] {
  if (names.length === 0) return [];
  const rows = db.prepare(`SELECT id FROM event_name WHERE name IN (${names.map(() => '?').join(',')})`).all(...names) as { id: number }[];
  return rows.map((r) => r.id);
}

/**
 * SQL condition and parameters for a filter. `plainTs` writes the time bounds as `+s.ts`,
 * which stops SQLite from using a ts index for them (used by topSlices for wide windows,
 * where walking the dur index beats sorting every slice of the window).
 */
function whereClause(db: Database, f: SliceFilter, plainTs = false): { sql: string; params: Record<string, number> } | null {
  const w = ['s.run_id = @run'];
  const params: Record<string, number> = { run: f.runId };
  if (f.names !== undefined) {
    const ids = nameIds(db, f.names);
    if (ids.length === 0) return null;
    w.push(`s.name_id IN (${ids.join(',')})`);
  }
  const cond = (sql: string, key: string, v: number | undefined): void => {
    if (v === undefined) return;
    w.push(sql);
    params[key] = v;
  };
  cond('s.track_id = @track', 'track', f.trackId);
  cond('s.iova >= @iovaMin', 'iovaMin', f.iovaMin);
  cond('s.iova < @iovaMax', 'iovaMax', f.iovaMax);
  if (f.iovaMin !== undefined || f.iovaMax !== undefined) w.push('s.iova IS NOT NULL');
  if (f.errno === 'any') w.push('s.errno > 0');
  else if (f.errno !== undefined) {
    w.push('s.errno = @errno');
    params.errno = f.errno;
    if (f.errno > 0) w.push('s.errno > 0'); // lets SQLite use the partial errno index
  }
  const ts = plainTs ? '+s.ts' : 's.ts';
  cond(`${ts} >= @t0`, 't0', f.t0);
  cond(`${ts} < @t1`, 't1', f.t1);
  return { sql: w.join(' AND '), params };
}

const EVENT_COLS = 's.id, s.ts, s.dur, s.track_id AS trackId, n.name, s.iova, s.length, s.errno';

/**
 * One page of events matching `f`, ordered by (ts, id), starting after `cursor`.
 * Returns the rows and the cursor of the next page (null at the end).
 */
export function eventPage(db: Database, f: SliceFilter, cursor: Cursor | null, limit = 100): { rows: SliceRow[]; next: Cursor | null } {
  limit = Math.max(1, Math.floor(limit));
  const w = whereClause(db, f);
  if (!w) return { rows: [], next: null };
  const after = cursor ? ' AND (s.ts, s.id) > (@cts, @cid)' : '';
  const params = cursor ? { ...w.params, cts: cursor.ts, cid: cursor.id } : w.params;
  const rows = db
    .prepare(`SELECT ${EVENT_COLS} FROM slice_data s JOIN event_name n ON n.id = s.name_id WHERE ${w.sql}${after} ORDER BY s.ts, s.id LIMIT ${limit}`)
    .all(params) as SliceRow[];
  const last = rows[rows.length - 1];
  return { rows, next: rows.length === limit && last ? { ts: last.ts, id: last.id } : null };
}

/** Matching slices below this estimate are sorted; above it the dur index is walked. */
const SORT_LIMIT = 200_000;

/**
 * Upper estimate of the slices matching the name/errno parts of `f`, from slice_name_stats
 * (exact per name; errno filters use the per-name failure counts). 0 when the filter
 * has an iova range (selective, served by its own index: always sort).
 */
function estimateMatches(db: Database, f: SliceFilter): number {
  if (f.iovaMin !== undefined || f.iovaMax !== undefined) return 0;
  const rows = db.prepare('SELECT st.count, st.err_count AS err, e.name FROM slice_name_stats st JOIN event_name e ON e.id = st.name_id WHERE st.run_id = ?').all(f.runId) as {
    count: number;
    err: number;
    name: string;
  }[];
  const sel = f.names ? rows.filter((r) => f.names!.includes(r.name)) : rows;
  const failuresOnly = f.errno === 'any' || (typeof f.errno === 'number' && f.errno > 0);
  return sel.reduce((a, r) => a + (failuresOnly ? r.err : r.count), 0);
}

/**
 * The `n` longest slices matching `f` (dur descending, then ts). Plan choice: a single name
 * walks the (run_id, name_id, dur DESC, ts) index; otherwise, when few
 * slices can match (per-name statistics) or an iova range is given, the filter's own index
 * finds them and they are sorted; otherwise the (run_id, dur DESC, ts, name_id) index is
 * walked from the top (time bounds written as `+s.ts` when the window is wider than 5% of
 * the run, so SQLite does not prefer sorting the whole window).
 */
export function topSlices(db: Database, f: SliceFilter, n = 20, opts: { sortLimit?: number } = {}): SliceRow[] {
  // One name without other selective filters: (run_id, name_id, dur DESC, ts) answers directly.
  const oneName = f.names?.length === 1 && f.errno === undefined && f.iovaMin === undefined && f.iovaMax === undefined;
  const sortPath = !oneName && estimateMatches(db, f) <= (opts.sortLimit ?? SORT_LIMIT);
  let wide = false;
  if (!sortPath && (f.t0 !== undefined || f.t1 !== undefined)) {
    // Two subqueries: SQLite answers a lone min() or max() from the index, not both together.
    const span = db
      .prepare('SELECT (SELECT min(ts) FROM slice_data WHERE run_id = @r) AS lo, (SELECT max(ts) FROM slice_data WHERE run_id = @r) AS hi')
      .get({ r: f.runId }) as { lo: number | null; hi: number | null };
    const lo = Math.max(f.t0 ?? -Infinity, span.lo ?? 0);
    const hi = Math.min(f.t1 ?? Infinity, span.hi ?? 0);
    wide = hi - lo > 0.05 * ((span.hi ?? 0) - (span.lo ?? 0));
  }
  const w = whereClause(db, f, wide);
  if (!w) return [];
  // `+s.dur` keeps SQLite from walking the dur index when the filter's index is better.
  const order = sortPath ? '+s.dur DESC, s.ts' : 's.dur DESC, s.ts';
  return db
    .prepare(`SELECT ${EVENT_COLS} FROM slice_data s JOIN event_name n ON n.id = s.name_id WHERE ${w.sql} ORDER BY ${order} LIMIT ${Math.max(1, Math.floor(n))}`)
    .all(w.params) as SliceRow[];
}

/** Per-name totals of a run (from slice_name_stats), most frequent first. */
export function topNames(db: Database, runId: number, n = 20): { name: string; count: number; durSum: number; errCount: number }[] {
  return db
    .prepare(
      `SELECT e.name, st.count, st.dur_sum AS durSum, st.err_count AS errCount FROM slice_name_stats st JOIN event_name e ON e.id = st.name_id
       WHERE st.run_id = ? ORDER BY st.count DESC, e.name LIMIT ?`,
    )
    .all(runId, n) as { name: string; count: number; durSum: number; errCount: number }[];
}

/** Arguments of one slice (typed columns plus the args table). */
export function sliceArgs(db: Database, sliceId: number): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  const s = db.prepare('SELECT iova, length, errno FROM slice_data WHERE id = ?').get(sliceId) as Record<string, number | null> | undefined;
  if (!s) return out;
  for (const k of ['iova', 'length', 'errno']) if (s[k] !== null) out[k] = s[k];
  const rows = db.prepare('SELECT key, int_value AS i, string_value AS s, real_value AS r FROM args WHERE arg_set_id = ?').all(sliceId) as {
    key: string;
    i: number | null;
    s: string | null;
    r: number | null;
  }[];
  for (const a of rows) out[a.key] = a.i ?? a.s ?? a.r;
  return out;
}
