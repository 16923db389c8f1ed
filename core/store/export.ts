/**
 * Export of a trace database, the library side of
 *   iommu-workbench export <db> --format sqlite|chrome-json|csv|ftrace --out <path>
 * Call {@link exportTrace}(dbPath, { format, out }) — it validates the input like openStore
 * (read-only; foreign/corrupt files give an error value), writes `out`, and returns counts.
 *
 * Formats:
 *  - sqlite: a consistent copy through SQLite's online backup API.
 *  - chrome-json: Chrome trace-event JSON that Perfetto UI / chrome://tracing open:
 *    `{"displayTimeUnit":"ns","traceEvents":[...]}`; one process per run (pid = run id,
 *    named "<vendor> run <id>"), one thread per slice track (tid = track id); slices as
 *    'X' (ts/dur in µs, fractional), counters as 'C' with a single `value` arg.
 *  - csv: one CSV (csv-stringify) of an event query or a counter query (see CsvQuery).
 *  - ftrace: /sys/kernel/tracing/trace-style text of the `iommu:*` events, re-importable
 *    with core/trace/ftrace.ts (a `# run <id> <vendor>` comment precedes each run).
 */
import type { Database } from 'better-sqlite3';
import { stringify } from 'csv-stringify/sync';
import { openStore, type StoreError } from './db';
import { checkExportTarget, writeViaTemp, type ExportTargetError } from './export-target';
import { counterBuckets, eventPage, type SliceFilter } from './queries/slices';
import { eventSpec } from '../trace/events';
import { formatFtraceLine, ftraceHeader } from '../trace/ftrace-format';
import { sliceToFtrace } from '../trace/ftrace-record';
import { OutFile } from './out-file';

export type ExportFormat = 'sqlite' | 'chrome-json' | 'csv' | 'ftrace';

/** What the csv format writes. Default: every event of the selected runs. */
export type CsvQuery =
  | { kind: 'events'; filter: SliceFilter }
  | { kind: 'counter'; runId: number; counter: string; t0?: number; t1?: number; buckets?: number };

export interface ExportOptions {
  format: ExportFormat;
  out: string;
  /** Runs to export (chrome-json, csv default query, ftrace). Default: all. */
  runIds?: number[];
  csv?: CsvQuery;
  /** Replace an existing output file (default false: EEXIST). */
  overwrite?: boolean;
}

/**
 * Rows written, or why not: the input's StoreError (not a trace database, ...), the output's
 * ExportTargetError (EEXIST, EINVAL same file, ENOENT directory), or EXPORT (writing failed;
 * nothing was left behind).
 */
export type ExportResult = { ok: true; rows: number } | { ok: false; error: StoreError | ExportTargetError | { code: 'EXPORT'; message: string } };

/** Run ids to export (all when not given). */
function runsOf(db: Database, ids?: number[]): { id: number; vendor: string }[] {
  const all = db.prepare('SELECT id, vendor FROM run ORDER BY id').all() as { id: number; vendor: string }[];
  return ids ? all.filter((r) => ids.includes(r.id)) : all;
}

function nameTable(db: Database): string[] {
  const names: string[] = [];
  for (const r of db.prepare('SELECT id, name FROM event_name').all() as { id: number; name: string }[]) names[r.id] = r.name;
  return names;
}

type ArgRow = [number, string, number | null, string | null, number | null];

/**
 * Visit every slice of a run in id order with its full args (typed columns + args table),
 * merging the args table in one ordered pass instead of one query per slice.
 */
function eachSlice(db: Database, runId: number, visit: (id: number, ts: number, dur: number, track: number, nameId: number, args: Record<string, number | string | null>) => void, where = ''): number {
  const slices = db.prepare(`SELECT id, ts, dur, track_id, name_id, iova, length, errno FROM slice_data WHERE run_id = ? ${where} ORDER BY id`).raw().iterate(runId);
  const range = db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM slice_data WHERE run_id = ?').get(runId) as { lo: number | null; hi: number | null };
  const argIt = db.prepare('SELECT arg_set_id, key, int_value, string_value, real_value FROM args WHERE arg_set_id BETWEEN ? AND ? ORDER BY arg_set_id').raw().iterate(range.lo ?? 0, range.hi ?? -1) as IterableIterator<ArgRow>;
  let pending = argIt.next();
  let n = 0;
  for (const row of slices as IterableIterator<number[]>) {
    const [id, ts, dur, track, nameId, iova, length, errno] = row;
    const args: Record<string, number | string | null> = {};
    if (iova !== null) args.iova = iova;
    if (length !== null) args.length = length;
    if (errno !== null) args.errno = errno;
    while (!pending.done && pending.value[0] < id) pending = argIt.next();
    while (!pending.done && pending.value[0] === id) {
      const [, key, i, s, r] = pending.value;
      args[key] = i ?? s ?? r;
      pending = argIt.next();
    }
    visit(id, ts, dur, track, nameId, args);
    n++;
  }
  if (!pending.done) argIt.return?.();
  return n;
}

/** Chrome trace-event JSON (see module comment). Returns the number of trace events written. */
export function writeChromeJson(db: Database, out: string, runIds?: number[]): number {
  const f = new OutFile(out);
  const names = nameTable(db);
  let n = 0;
  let first = true;
  const emit = (o: object): void => {
    f.write(first ? `\n${JSON.stringify(o)}` : `,\n${JSON.stringify(o)}`);
    first = false;
    n++;
  };
  try {
    f.write('{"displayTimeUnit":"ns","traceEvents":[');
    for (const run of runsOf(db, runIds)) {
      emit({ ph: 'M', name: 'process_name', pid: run.id, tid: 0, args: { name: `${run.vendor} run ${run.id}` } });
      const tracks = db.prepare('SELECT id, name, type FROM track WHERE run_id = ?').all(run.id) as { id: number; name: string; type: string }[];
      for (const t of tracks) if (t.type === 'slice') emit({ ph: 'M', name: 'thread_name', pid: run.id, tid: t.id, args: { name: t.name } });
      eachSlice(db, run.id, (_id, ts, dur, track, nameId, args) => {
        const name = names[nameId];
        emit({ ph: 'X', name, cat: eventSpec(name)?.category ?? 'other', pid: run.id, tid: track, ts: ts / 1000, dur: dur / 1000, args });
      });
      for (const t of tracks) {
        if (t.type !== 'counter') continue;
        for (const [ts, value] of db.prepare('SELECT ts, value FROM counter WHERE track_id = ? ORDER BY ts').raw().iterate(t.id) as IterableIterator<[number, number]>) {
          emit({ ph: 'C', name: t.name, pid: run.id, ts: ts / 1000, args: { value } });
        }
      }
    }
    f.write('\n]}\n');
  } finally {
    f.close();
  }
  return n;
}

/** ftrace text of the iommu:* events of the runs. Returns the number of event lines. */
export function writeFtrace(db: Database, out: string, runIds?: number[]): number {
  const names = nameTable(db);
  const iommuIds = names.flatMap((nm, id) => (nm?.startsWith('iommu:') ? [id] : []));
  const runs = runsOf(db, runIds);
  const lines: string[] = [];
  for (const run of runs) {
    if (runs.length > 1) lines.push(`# run ${run.id} ${run.vendor}`);
    if (iommuIds.length === 0) continue;
    const evs: { ts: number; id: number; line: string }[] = [];
    eachSlice(db, run.id, (id, ts, _dur, _t, nameId, args) => {
      const e = sliceToFtrace(names[nameId], ts, args);
      if (e) evs.push({ ts, id, line: formatFtraceLine(e) });
    }, `AND name_id IN (${iommuIds.join(',')})`);
    evs.sort((a, b) => a.ts - b.ts || a.id - b.id);
    for (const e of evs) lines.push(e.line);
  }
  const count = lines.filter((l) => !l.startsWith('#')).length;
  const f = new OutFile(out);
  try {
    f.write(`${ftraceHeader(count)}\n`);
    for (const l of lines) f.write(`${l}\n`);
  } finally {
    f.close();
  }
  return count;
}

/** CSV of an event or counter query. Returns data rows written (header excluded). */
export function writeCsv(db: Database, out: string, q: CsvQuery | undefined, runIds?: number[]): number {
  const f = new OutFile(out);
  let n = 0;
  try {
    if (q?.kind === 'counter') {
      f.write(stringify([['bucket_ts', 'min', 'max', 'avg', 'sum', 'count']]));
      if (q.buckets !== undefined) {
        const t0 = q.t0 ?? 0;
        const t1 = q.t1 ?? ((db.prepare('SELECT max(ts) + 1 AS t FROM counter').get() as { t: number | null }).t ?? 1);
        const b = counterBuckets(db, { runId: q.runId, counter: q.counter, t0, t1, buckets: q.buckets });
        const rows = Array.from(b.ts, (ts, i) => [ts, b.min[i], b.max[i], b.avg[i], b.sum[i], b.count[i]].map((v) => (Number.isNaN(v) ? '' : v)));
        f.write(stringify(rows));
        n = rows.length;
      } else {
        const rows = db
          .prepare(`SELECT c.ts, c.value, c.value, c.value, c.value, 1 FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? AND t.type = 'counter' AND t.name = ? AND c.ts >= ? AND c.ts < ? ORDER BY c.ts`)
          .raw()
          .all(q.runId, q.counter, q.t0 ?? 0, q.t1 ?? Number.MAX_SAFE_INTEGER) as unknown[][];
        f.write(stringify(rows));
        n = rows.length;
      }
    } else {
      f.write(stringify([['run_id', 'id', 'ts', 'dur', 'track_id', 'name', 'iova', 'length', 'errno']]));
      const filters = q?.kind === 'events' ? [q.filter] : runsOf(db, runIds).map((r) => ({ runId: r.id }));
      for (const filter of filters) {
        let cursor = null;
        do {
          const page = eventPage(db, filter, cursor, 10_000);
          f.write(stringify(page.rows.map((r) => [filter.runId, r.id, r.ts, r.dur, r.trackId, r.name, r.iova, r.length, r.errno])));
          n += page.rows.length;
          cursor = page.next;
        } while (cursor);
      }
    }
  } finally {
    f.close();
  }
  return n;
}

const FORMATS: readonly ExportFormat[] = ['sqlite', 'chrome-json', 'csv', 'ftrace'];

/**
 * Export `dbPath` (opened read-only and validated) in one of the formats to `opts.out`.
 * The output is checked first (./export-target.ts: never the input database or its WAL, by
 * any name or link; an existing file only with `overwrite`), written to a temporary file and
 * renamed into place on success, so a failed export changes nothing.
 */
export async function exportTrace(dbPath: string, opts: ExportOptions): Promise<ExportResult> {
  if (!FORMATS.includes(opts.format)) return { ok: false, error: { code: 'EXPORT', message: `unknown format ${String(opts.format)} (${FORMATS.join(', ')})` } };
  const target = checkExportTarget(dbPath, opts.out, opts.overwrite === true);
  if (!target.ok) return target;
  const r = openStore(dbPath, { mode: 'read' });
  if (!r.ok) return r;
  const db = r.db;
  try {
    const rows = await writeViaTemp(target.out, async (tmp) => {
      switch (opts.format) {
        case 'sqlite':
          await db.backup(tmp);
          return (db.prepare('SELECT count(*) AS n FROM slice_data').get() as { n: number }).n;
        case 'chrome-json':
          return writeChromeJson(db, tmp, opts.runIds);
        case 'csv':
          return writeCsv(db, tmp, opts.csv, opts.runIds);
        case 'ftrace':
          return writeFtrace(db, tmp, opts.runIds);
      }
    });
    return { ok: true, rows };
  } catch (e) {
    return { ok: false, error: { code: 'EXPORT', message: `${opts.out}: ${e instanceof Error ? e.message : String(e)}` } };
  } finally {
    db.close();
  }
}
