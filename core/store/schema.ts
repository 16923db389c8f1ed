/**
 * SQLite schema of a trace database and its numbered migrations (docs/trace-store.md).
 *
 * Tables follow Perfetto's habits (`track`, `slice`, `counter`, `args`; ts/dur in ns) plus
 * `run` (one row per scenario × vendor run) and `meta` (key/value, holds `schema_version`
 * and `app`). Slices are stored in `slice_data` with the event name interned in
 * `event_name`; the `slice` VIEW joins the name back so PerfettoSQL habits work:
 *   SELECT name, count(*) FROM slice GROUP BY name;
 * Each slice's args are in `args` with `arg_set_id` = slice id (only non-hot arguments;
 * iova, length and errno are typed columns of the slice).
 *
 * Migration N brings a database from version N-1 to N. A new database applies them all.
 */

/** Value of meta.app identifying our databases. */
export const APP_ID = 'iommu-workbench';

/** Schema version this code writes. */
export const SCHEMA_VERSION = 4;

/** Migrations, index i = version i + 1. Each runs inside one transaction. */
export const MIGRATIONS: readonly string[] = [
  // 1: initial schema.
  `CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
   INSERT INTO meta(key, value) VALUES ('app', '${APP_ID}'), ('schema_version', '1');
   CREATE TABLE run(
     id INTEGER PRIMARY KEY,
     scenario TEXT NOT NULL,
     vendor TEXT NOT NULL,
     seed INTEGER NOT NULL,
     versions TEXT NOT NULL,
     started_at TEXT NOT NULL,
     ended_at TEXT,
     status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'incomplete', 'failed')),
     sim_end_ns INTEGER);
   CREATE TABLE track(
     id INTEGER PRIMARY KEY,
     run_id INTEGER NOT NULL REFERENCES run(id),
     name TEXT NOT NULL,
     type TEXT NOT NULL CHECK (type IN ('slice', 'counter')),
     UNIQUE (run_id, type, name));
   CREATE TABLE event_name(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
   CREATE TABLE slice_data(
     id INTEGER PRIMARY KEY,
     ts INTEGER NOT NULL,
     dur INTEGER NOT NULL,
     track_id INTEGER NOT NULL,
     run_id INTEGER NOT NULL,
     name_id INTEGER NOT NULL,
     iova INTEGER,
     length INTEGER,
     errno INTEGER);
   CREATE TABLE args(
     arg_set_id INTEGER NOT NULL,
     key TEXT NOT NULL,
     int_value INTEGER,
     string_value TEXT,
     real_value REAL);
   CREATE TABLE counter(
     id INTEGER PRIMARY KEY,
     ts INTEGER NOT NULL,
     track_id INTEGER NOT NULL,
     value REAL NOT NULL,
     UNIQUE (track_id, ts));
   CREATE VIEW slice AS
     SELECT s.id, s.ts, s.dur, s.track_id, s.run_id, n.name, s.iova, s.length, s.errno, s.id AS arg_set_id
     FROM slice_data s JOIN event_name n ON n.id = s.name_id;`,
  // 2: writer pid (to tell a dead writer's run from a live one), counter units, and
  //    per-run name statistics for top-N queries.
  `ALTER TABLE run ADD COLUMN writer_pid INTEGER;
   ALTER TABLE track ADD COLUMN unit TEXT;
   CREATE TABLE slice_name_stats(
     run_id INTEGER NOT NULL,
     name_id INTEGER NOT NULL,
     count INTEGER NOT NULL,
     dur_sum INTEGER NOT NULL,
     err_count INTEGER NOT NULL,
     PRIMARY KEY (run_id, name_id)) WITHOUT ROWID;
   CREATE VIEW counter_track AS SELECT id, run_id, name, unit FROM track WHERE type = 'counter';`,
  // 3: vendor comparisons (core/scenario/compare.ts): which runs were compared, and the
  //    summary (totals, ratios, explanation lines) as JSON, so the UI shows it on reopen.
  `CREATE TABLE comparison(
     id INTEGER PRIMARY KEY,
     scenario TEXT NOT NULL,
     seed INTEGER NOT NULL,
     created_at TEXT NOT NULL,
     run_ids TEXT NOT NULL,
     summary TEXT NOT NULL);`,
  // 4: counter rows carry the interval their value accrued over (ns), e.g. a round's transfer
  //    window (BufferedRecorder.countSpan), so rates are spread over the time they happened;
  //    0 for the recorder's bucket sums (accrued within the bucket starting at ts) and older rows.
  `ALTER TABLE counter ADD COLUMN dur INTEGER NOT NULL DEFAULT 0;`,
];

/** Indexes, created after bulk load (end of run, or on the next writable open). */
export const INDEXES: readonly string[] = [
  'CREATE INDEX IF NOT EXISTS slice_run_ts ON slice_data(run_id, ts)',
  'CREATE INDEX IF NOT EXISTS slice_run_name_ts ON slice_data(run_id, name_id, ts)',
  'CREATE INDEX IF NOT EXISTS slice_track_ts ON slice_data(track_id, ts)',
  'CREATE INDEX IF NOT EXISTS slice_run_dur ON slice_data(run_id, dur DESC, ts, name_id)',
  'CREATE INDEX IF NOT EXISTS slice_run_name_dur ON slice_data(run_id, name_id, dur DESC, ts)',
  'CREATE INDEX IF NOT EXISTS slice_run_iova ON slice_data(run_id, iova, ts) WHERE iova IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS slice_run_errno ON slice_data(run_id, errno, ts) WHERE errno > 0',
  'CREATE INDEX IF NOT EXISTS args_set ON args(arg_set_id)',
  // Spans only (few rows): counterBuckets shares them out over the buckets they overlap.
  'CREATE INDEX IF NOT EXISTS counter_spans ON counter(track_id, ts) WHERE dur > 0',
];

/** Recompute slice_name_stats for one run (runs recorded before schema 2 have none). */
export const REBUILD_STATS_SQL = `
  DELETE FROM slice_name_stats WHERE run_id = @run;
  INSERT INTO slice_name_stats(run_id, name_id, count, dur_sum, err_count)
    SELECT run_id, name_id, count(*), sum(dur), count(CASE WHEN errno > 0 THEN 1 END) FROM slice_data WHERE run_id = @run GROUP BY name_id;`;

/**
 * Page size of new databases, bytes (set before the first table; existing files keep theirs).
 * 16 KiB pages made the append-only slice insert ~12 % faster than the 4 KiB default
 * (1.58 → 1.76 M rows/s, 2 M rows, 9 columns) and leave query times unchanged.
 */
export const PAGE_SIZE = 16384;

/** Connection pragmas for the writer: WAL, and NORMAL sync (WAL + NORMAL survives process crashes). */
export const WRITER_PRAGMAS: readonly string[] = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'temp_store = MEMORY',
  'cache_size = -65536',
  'wal_autocheckpoint = 10000',
];
