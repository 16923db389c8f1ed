/**
 * BatchInserter: writes EventBatches into an open, migrated trace database. Used by the
 * writer worker (./writer-worker.ts) and directly in-process (tests, small tools).
 *
 * Each batch is one transaction (so a crash loses at most the batch in flight). Slices go
 * in with multi-row INSERT statements of ROWS_PER_STMT rows (TOOLCHAIN.md: multi-row
 * statements are ~3× faster than one row per statement with better-sqlite3). Each row binds
 * 7 parameters: the slice id is SQLite's rowid assignment (max + 1, checked against what
 * this single writer expects after every batch, so args can reference it as arg_set_id) and
 * run_id is a literal in a statement prepared per run. Binding is most of the per-row cost:
 * 7 instead of 9 parameters measured 1.58 → 2.06 M rows/s (4 KiB pages, 2 M rows).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { EventBatch } from '../trace/batch';
import { COUNTERS } from '../trace/events';

const COUNTER_UNIT = new Map(COUNTERS.map((c) => [c.name, c.unit]));

/** Rows per multi-row slice INSERT (7 parameters each, below SQLite's 32766 limit). */
export const ROWS_PER_STMT = 400;
/** Bound parameters per slice row: ts, dur, track_id, name_id, iova, length, errno. */
export const SLICE_PARAMS = 7;
const ARG_ROWS = 100;

/**
 * `INSERT INTO slice_data(...)` of `rows` rows for run `runId` (a literal), binding
 * SLICE_PARAMS values per row in the order ts, dur, track_id, name_id, iova, length, errno;
 * the id is left to SQLite (rowid = max + 1). Throws RangeError for a non-integer run id.
 */
export function sliceInsertSql(runId: number, rows: number): string {
  if (!Number.isSafeInteger(runId) || runId < 1) throw new RangeError(`run id ${runId} is not a positive integer`);
  const one = `(?,?,?,${runId},?,?,?,?)`;
  return `INSERT INTO slice_data(ts, dur, track_id, run_id, name_id, iova, length, errno) VALUES ${new Array(rows).fill(one).join(',')}`;
}

/** What a run row records about its origin. */
export interface RunInfo {
  /** Scenario as JSON-able value (stored as JSON text). */
  scenario: unknown;
  vendor: string;
  seed: number;
  /** Component versions, e.g. { engine: '0.1.0' }. */
  versions: Record<string, string>;
}

/** Build `INSERT INTO table VALUES (?,..),(?,..)` for `rows` rows of `cols` columns. */
export function multiRowInsertSql(table: string, cols: number, rows: number): string {
  const one = `(${new Array(cols).fill('?').join(',')})`;
  return `INSERT INTO ${table} VALUES ${new Array(rows).fill(one).join(',')}`;
}

interface RunState {
  /** recorder string id → string. */
  str: string[];
  /** recorder string id → event_name id / slice track id / counter track id (0 = unresolved). */
  nameId: number[];
  trackId: number[];
  counterId: number[];
  /** rows → prepared slice INSERT with this run's id as a literal. */
  stmts: Map<number, Statement>;
}

export class BatchInserter {
  private readonly db: Database;
  private readonly argStmts = new Map<number, Statement>();
  private readonly runs = new Map<number, RunState>();
  private nextSliceId: number;
  private readonly per: number;
  private readonly params: number[];
  private readonly q;
  /** Rows committed so far (slices), over all runs. */
  committedSlices = 0;

  /** `rowsPerStmt`: rows per multi-row slice INSERT (default ROWS_PER_STMT). */
  constructor(db: Database, rowsPerStmt = ROWS_PER_STMT) {
    this.db = db;
    this.per = rowsPerStmt;
    this.params = new Array<number>(rowsPerStmt * SLICE_PARAMS);
    this.nextSliceId = (db.prepare('SELECT coalesce(max(id), 0) + 1 AS n FROM slice_data').get() as { n: number }).n;
    this.q = {
      run: db.prepare(
        `INSERT INTO run(scenario, vendor, seed, versions, started_at, status, writer_pid) VALUES (?, ?, ?, ?, ?, 'running', ?)`,
      ),
      endRun: db.prepare('UPDATE run SET status = ?, ended_at = ?, sim_end_ns = ? WHERE id = ?'),
      name: db.prepare('INSERT INTO event_name(name) VALUES (?) ON CONFLICT(name) DO UPDATE SET name = name RETURNING id'),
      track: db.prepare(
        `INSERT INTO track(run_id, name, type) VALUES (?, ?, ?) ON CONFLICT(run_id, type, name) DO UPDATE SET name = name RETURNING id`,
      ),
      counterTrack: db.prepare(
        `INSERT INTO track(run_id, name, type, unit) VALUES (?, ?, 'counter', ?) ON CONFLICT(run_id, type, name) DO UPDATE SET name = name RETURNING id`,
      ),
      counter: db.prepare(
        // Rows of one (track, ts) from several batches add up; a span and a bucket row that start
        // at the same ns keep the longer interval.
        'INSERT INTO counter(ts, track_id, dur, value) VALUES (?, ?, ?, ?) ON CONFLICT(track_id, ts) DO UPDATE SET value = value + excluded.value, dur = max(dur, excluded.dur)',
      ),
      stats: db.prepare(
        `INSERT INTO slice_name_stats(run_id, name_id, count, dur_sum, err_count) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(run_id, name_id) DO UPDATE SET count = count + excluded.count, dur_sum = dur_sum + excluded.dur_sum, err_count = err_count + excluded.err_count`,
      ),
    };
  }

  /** Insert a run row with status 'running'; returns its id. */
  beginRun(info: RunInfo, pid: number): number {
    const r = this.q.run.run(JSON.stringify(info.scenario ?? null), info.vendor, info.seed, JSON.stringify(info.versions), new Date().toISOString(), pid);
    const id = Number(r.lastInsertRowid);
    this.runs.set(id, { str: [], nameId: [], trackId: [], counterId: [], stmts: new Map() });
    return id;
  }

  /** Write one batch of a run in one transaction. */
  insert(runId: number, b: EventBatch): void {
    const st = this.runs.get(runId);
    if (!st) throw new Error(`run ${runId} was not begun by this writer`);
    for (let i = 0; i < b.strings.length; i++) st.str[b.strBase + i] = b.strings[i];
    this.db.exec('BEGIN');
    try {
      const first = this.nextSliceId;
      this.insertSlices(runId, st, b, first);
      this.insertArgs(st, b, first);
      // Name statistics travel with the batch, so they always match the committed slices.
      for (let j = 0; j < b.statCount; j++) {
        const nid = b.statName[j];
        this.q.stats.run(runId, st.nameId[nid] || this.eventName(st, nid), b.statSlices[j], b.statDur[j], b.statErr[j]);
      }
      for (let j = 0; j < b.counterCount; j++) {
        this.q.counter.run(b.counterTs[j], this.counterTrack(runId, st, b.counterName[j]), b.counterDur[j], b.counterValue[j]);
      }
      this.db.exec('COMMIT');
      this.nextSliceId = first + b.count;
      this.committedSlices += b.count;
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  /** Mark a run finished. */
  endRun(runId: number, status: 'complete' | 'failed', simEndNs: number | null): void {
    this.q.endRun.run(status, new Date().toISOString(), simEndNs, runId);
    this.runs.delete(runId);
  }

  private insertSlices(runId: number, st: RunState, b: EventBatch, first: number): void {
    const p = this.params;
    let i = 0;
    const n = b.count;
    let last = first - 1;
    while (i < n) {
      const rows = Math.min(this.per, n - i);
      const stmt = this.stmtFor(runId, st, rows);
      let k = 0;
      for (let r = 0; r < rows; r++, i++) {
        const nid = b.name[i];
        const tid = b.track[i];
        p[k++] = b.ts[i];
        p[k++] = b.dur[i];
        p[k++] = st.trackId[tid] || this.sliceTrack(runId, st, tid);
        p[k++] = st.nameId[nid] || this.eventName(st, nid);
        // NaN binds as SQL NULL (SQLite stores NaN doubles as NULL).
        p[k++] = b.iova[i];
        p[k++] = b.length[i];
        p[k++] = b.errno[i];
      }
      last = Number((rows === this.per ? stmt.run(p) : stmt.run(p.slice(0, k))).lastInsertRowid);
    }
    // Args and the next batch rely on ids first .. first + n - 1; a second writer would break that.
    if (n > 0 && last !== first + n - 1) throw new Error(`slice ids ${first}..${first + n - 1} expected, SQLite assigned up to ${last}: another writer is using this database`);
  }

  private insertArgs(st: RunState, b: EventBatch, first: number): void {
    const p: (number | string | null)[] = [];
    let j = 0;
    while (j < b.argCount) {
      const rows = Math.min(ARG_ROWS, b.argCount - j);
      p.length = 0;
      for (let r = 0; r < rows; r++, j++) {
        const num = b.argNum[j];
        const isInt = Number.isSafeInteger(num);
        p.push(first + b.argSlice[j], st.str[b.argKey[j]], isInt ? num : null, b.argStr[j] >= 0 ? st.str[b.argStr[j]] : null, !isInt && num === num ? num : null);
      }
      let stmt = this.argStmts.get(rows);
      if (!stmt) this.argStmts.set(rows, (stmt = this.db.prepare(multiRowInsertSql('args', 5, rows))));
      stmt.run(p);
    }
  }

  private stmtFor(runId: number, st: RunState, rows: number): Statement {
    let s = st.stmts.get(rows);
    if (!s) st.stmts.set(rows, (s = this.db.prepare(sliceInsertSql(runId, rows))));
    return s;
  }

  private eventName(st: RunState, nid: number): number {
    return (st.nameId[nid] = (this.q.name.get(st.str[nid]) as { id: number }).id);
  }

  private sliceTrack(runId: number, st: RunState, tid: number): number {
    return (st.trackId[tid] = (this.q.track.get(runId, st.str[tid], 'slice') as { id: number }).id);
  }

  private counterTrack(runId: number, st: RunState, cid: number): number {
    const name = st.str[cid];
    return st.counterId[cid] || (st.counterId[cid] = (this.q.counterTrack.get(runId, name, COUNTER_UNIT.get(name) ?? null) as { id: number }).id);
  }
}
