/**
 * Shapes of what the trace store's queries return (core/store/queries) and the requests they
 * take: runs, counters, events, faults, comparison notes, database info. The API contract
 * (electron/api.ts) re-exports them, so the host hands query results to the renderer
 * unchanged and a change here is a change of the contract. Pure types (no imports), so the
 * renderer's type check can read them. Times in simulated ns, IOVAs and sizes in bytes.
 */

/** Response of `openDatabase` / `databaseInfo`. */
export interface DatabaseInfo {
  path: string;
  readOnly: boolean;
  /** Schema version from the `meta` table; null for a new or foreign file. */
  schemaVersion: number | null;
  /** Whether this file carries our schema (foreign files are opened read-only). */
  ours: boolean;
  /** Number of runs recorded, 0 for a new file. */
  runs: number;
  /** Size of the file in bytes. */
  bytes: number;
}

export interface OpenDatabaseRequest {
  /** Absolute or host-relative path of the SQLite file. */
  path: string;
  /** Create the file when missing (otherwise ENOENT). */
  create?: boolean;
  readOnly?: boolean;
}

/** One recorded run (a row of `run`: one scenario × vendor). Times in simulated ns. */
export interface RunSummary {
  id: number;
  /** Driver name: amd | intel | smmuv3 | mock. */
  vendor: string;
  /** Vendor title, e.g. "Intel VT-d". */
  vendorTitle: string;
  /** Scenario name (from the scenario JSON), or "" when it has none. */
  scenario: string;
  seed: number;
  status: 'running' | 'complete' | 'incomplete' | 'failed';
  startedAt: string;
  endedAt: string | null;
  /** Simulated end time in ns, null while running. */
  simEndNs: number | null;
  /** Recorded events (slices). */
  events: number;
  /** Runs of the same scenario and seed recorded back to back share a group (one comparison). */
  group: number;
  /**
   * Runs of the other (attached) database only (electron/host/other-database.ts): its own run
   * id (`id` is that plus OTHER_RUN_BASE), and its file's path and name.
   */
  localId?: number;
  database?: string;
  databaseName?: string;
}

/** One counter series of a run (a `counter` track). */
export interface CounterInfo {
  name: string;
  /** 'count' | 'pages' | 'bytes' | 'ns' (null when the writer stored none). */
  unit: string | null;
  /** Sum over the whole run. */
  total: number;
  /** Recorded rows (recorder buckets with a non-zero delta). */
  rows: number;
  /** First and last bucket start, ns. */
  firstTs: number;
  lastTs: number;
  /** Smallest step between recorded rows (the recorder's bucket width), ns; 0 if < 2 rows. */
  resolutionNs: number;
}

/** Request of `counterSeries`: `buckets` equal buckets over [t0, t1) simulated ns. */
export interface CounterSeriesRequest {
  runId: number;
  counters: string[];
  t0: number;
  t1: number;
  buckets: number;
}

/**
 * Bucketed aggregates of counter rows over [t0, t1). Bucket i covers [ts[i], min(ts[i] + bucketNs, t1)). For each
 * counter: `sum` (0 for an empty bucket) and `min`/`max`/`avg` over the recorded rows in the
 * bucket (null when empty), plus `rows` (recorded rows per bucket).
 */
export interface CounterSeries {
  runId: number;
  t0: number;
  t1: number;
  bucketNs: number;
  ts: number[];
  series: { name: string; unit: string | null; sum: number[]; min: (number | null)[]; max: (number | null)[]; avg: (number | null)[]; rows: number[] }[];
}

/** Keyset cursor of the events table: the last row seen, ordered by (ts, id). */
export interface EventCursor {
  ts: number;
  id: number;
}

/** Filters of `eventsPage`; all optional, combined with AND. */
export interface EventFilter {
  /** Event names (catalogue names, e.g. 'IOMMU_IOAS_MAP'). */
  names?: string[];
  /** Catalogue category (e.g. 'invalidation', 'fault'). */
  category?: string;
  /** Track name (e.g. 'hw.cmdq'). */
  track?: string;
  /** Device: matches an arg named device, sid, devid or dev_id (text or number). */
  device?: string;
  /** IOVA range [iovaMin, iovaMax] inclusive, bytes. */
  iovaMin?: number;
  iovaMax?: number;
  /** errno: a number, or 'any' for every failed event. */
  errno?: number | 'any';
}

export interface EventsPageRequest extends EventFilter {
  runId: number;
  /** Start after this row; or from `fromTs` (ns) when absent. */
  after?: EventCursor;
  fromTs?: number;
  /** Rows per page, 1..1000. */
  limit: number;
}

/** One recorded event (slice) with its args. */
export interface EventRow {
  id: number;
  ts: number;
  dur: number;
  track: string;
  name: string;
  iova: number | null;
  length: number | null;
  errno: number | null;
  args: Record<string, string | number | null>;
}

export interface EventsPage {
  rows: EventRow[];
  /** Cursor for the next page, null at the end. */
  next: EventCursor | null;
}

/** Event names recorded in a run with their counts (from slice_name_stats). */
export interface EventNameCount {
  name: string;
  category: string | null;
  count: number;
  errors: number;
}

/** A fault or page-request record. */
export interface FaultRow {
  id: number;
  ts: number;
  name: string;
  /** Fault type: the event's type/fault/flags argument, prefixed by the event name. */
  type: string;
  device: string | null;
  iova: number | null;
  args: Record<string, string | number | null>;
}

export interface FaultsReport {
  /** Total faults in the run; `faults` holds at most the first 5000. */
  total: number;
  faults: FaultRow[];
  byType: { type: string; count: number }[];
  /** Page requests with their response (matched on device/PASID/group id), null if none. */
  pageRequests: { request: FaultRow; response: FaultRow | null }[];
}

/** Explanation lines a comparison stored for its runs, and its summary as stored (compare --json without `failed`/`db`). */
export interface ComparisonNotes {
  runIds: number[];
  explanations: string[];
  summary: Record<string, unknown>;
}

/**
 * Latency histogram of one operation group of a run (durations of its slices). `counts[k]`
 * holds the slices with duration in [2^(k-1), 2^k) ns (k = 0: 0 ns). Times in simulated ns.
 */
export interface LatencyHistogram {
  runId: number;
  /** Group id ('bitmap', 'walk', 'flush', 'wait', 'map', 'unmap'). */
  group: string;
  title: string;
  /** The catalogue event names of the group present in the database. */
  names: string[];
  count: number;
  /** Exact mean and maximum duration. */
  meanNs: number;
  /** Upper edge of the bucket holding the 50th / 99th percentile, capped at the max (p50 ≤ this). */
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
  counts: number[];
}
