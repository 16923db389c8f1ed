/**
 * The one API contract between the renderer and the engine host (DESIGN.md §2).
 *
 * Both transports implement it: Electron (preload `window.workbench` ⇄ main ⇄ engine host in
 * a utilityProcess) and browser mode (WebSocket to the local web host, engine host in a
 * worker_thread). Every method takes one plain-object request and resolves to an
 * {@link ApiResult}: errors are values, never thrown. Long calls report progress through
 * {@link ProgressEvent}s tagged with the call's `callId`.
 *
 * This file holds types and the method list only, so the renderer can import it.
 */

/** Error value returned by any method. `code` is an errno name or an API code. */
export interface ApiError {
  code: string;
  message: string;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** One registered vendor model of core/. */
export interface VendorModelInfo {
  /** Driver name as used on the command line: amd | intel | smmuv3 | mock. */
  name: string;
  /** Human title, e.g. "AMD-Vi". */
  title: string;
}

/** Response of `engineInfo`. */
export interface EngineInfo {
  app: string;
  engine: string;
  node: string;
  /** SQLite library version linked into better-sqlite3. */
  sqlite: string;
  /** Electron version, or null in browser mode. */
  electron: string | null;
  /** 'electron' or 'web'. */
  shell: 'electron' | 'web';
  vendors: VendorModelInfo[];
  /** Optional engine features present in this build: 'runComparison', 'replayTrace', 'pageTable'. */
  features?: string[];
  /** With the 'replayTrace' feature: the vendors a replay accepts and the size limits of its inputs. */
  replay?: ReplayLimits;
}

/**
 * Limits of `replayTrace` (the host rejects larger inputs with EINVAL before parsing them).
 * Sizes are of the text as sent (UTF-16 code units, which is at most the file's UTF-8 bytes).
 */
export interface ReplayLimits {
  /** Driver names a replay may run on (amd | intel | smmuv3). */
  vendors: string[];
  /** Largest ftrace text accepted: 64 MiB. */
  maxTraceBytes: number;
  /** Largest QEMU xlate text accepted: 64 MiB. */
  maxXlateBytes: number;
}

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

/** Progress of a long call. `done`/`total` in the call's own units (rounds, events, bytes). */
export interface ProgressEvent {
  callId: string;
  label: string;
  done: number;
  total: number;
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

/** A preset scenario shipped with the engine. */
export interface PresetInfo {
  name: string;
  description: string;
  vendors: string[];
  /** The scenario JSON text. */
  text: string;
}

export interface RunComparisonRequest {
  /** Preset name, or the scenario JSON text. */
  preset?: string;
  scenarioText?: string;
  /** Database file the runs go into (created when missing). */
  dbPath: string;
  /** Client-chosen id: progress events carry it as `callId`; `cancelJob` takes it. */
  jobId: string;
}

export interface ComparisonResult {
  /** Runs recorded (one per vendor that completed). */
  runIds: number[];
  cancelled: boolean;
  /** Plain-language explanation lines of the comparison. */
  explanations: string[];
  /** Vendors whose run failed, "title: message". */
  failed: string[];
  /** Absolute path of the database written. */
  dbPath: string;
}

/** DMA-layer flush policy of a replay (core/workload/replay.ts): strict | lazy | caching. */
export type ReplayFlushPolicy = 'strict' | 'lazy' | 'caching';
/** Device DMA of a replay: none | mapped (every mapped page once) | xlate (QEMU's translations, needs `xlateText`). */
export type ReplayDmaMode = 'none' | 'mapped' | 'xlate';

/**
 * Request of `replayTrace`: replay a kernel ftrace (iommu:map/unmap, ...) through vendor
 * models, as `npm run cli -- replay` does, recording one run per vendor. The texts are the
 * files' contents (read by the renderer); the host treats them as untrusted input.
 */
export interface ReplayTraceRequest {
  /** ftrace text as printed by /sys/kernel/tracing/trace or `trace-cmd report` (≤ ReplayLimits.maxTraceBytes). */
  traceText: string;
  /** The trace's file name, for display and the run's scenario JSON (no directories). */
  traceName: string;
  /** QEMU *.qemu-xlate.txt text (≤ ReplayLimits.maxXlateBytes); required when dma is 'xlate'. */
  xlateText?: string;
  xlateName?: string;
  /** Driver names, in the order to replay (one run each). */
  vendors: string[];
  flush: ReplayFlushPolicy;
  dma: ReplayDmaMode;
  /** Table walks do not snoop CPU caches (VT-d ECAP.SMPWC = 0, SMMUv3 COHACC = 0): IOPTE writes are written back. */
  nonCoherent?: boolean;
  /** Database file the runs go into (created when missing). */
  dbPath: string;
  /** Client-chosen id: progress events carry it as `callId`; `cancelJob` takes it. */
  jobId: string;
}

/** A malformed input line (1-based line number). */
export interface LineError {
  line: number;
  message: string;
}

/** What the importer made of the uploaded files. */
export interface ReplayImportSummary {
  /** Lines read, events parsed (all iommu:* kinds), and of those map / unmap / io_page_fault. */
  lines: number;
  events: number;
  maps: number;
  unmaps: number;
  faults: number;
  /** tracing_mark_write lines (phase labels) and lines of other, non-iommu events. */
  markers: number;
  skipped: number;
  /** Malformed lines (counted, never fatal) and the first few of them. */
  malformed: number;
  firstErrors: LineError[];
  /** The QEMU xlate file, when one was given. */
  xlate: { lines: number; translations: number; malformed: number; firstErrors: LineError[] } | null;
}

/** One vendor's replay (the CLI's result line). */
export interface ReplayVendorResult {
  vendor: string;
  vendorTitle: string;
  /** Run recorded for it (null when it failed before a run was started). */
  runId: number | null;
  maps: number;
  /** dma_map_sg lists the maps form (one iotlb_sync_map each). */
  mapLists: number;
  unmaps: number;
  mappedBytes: number;
  unmappedBytes: number;
  /** Map/unmap calls the model refused, total and per errno. */
  errors: number;
  errorsByErrno: Record<string, number>;
  syncs: number;
  flushAll: number;
  dmaAccesses: number;
  dmaFaults: number;
  /** Invalidation commands by name (SMMUv3 CMD_*, VT-d descriptors, AMD-Vi commands), as counted by the model. */
  commands: { name: string; count: number }[];
  /** Cache write-backs of IOPTE writes (non-coherent walks only): calls, cache lines and simulated CPU ns; null when none. */
  writeBacks: { calls: number; lines: number; cpuNs: number } | null;
  /** Simulated end time, ns. */
  endNs: number;
  /** Stopped by cancelJob before the end of the trace (its run is marked failed). */
  cancelled: boolean;
}

export interface ReplayTraceResult {
  import: ReplayImportSummary;
  /** One per vendor replayed (a vendor not reached before a cancel has none). */
  results: ReplayVendorResult[];
  runIds: number[];
  cancelled: boolean;
  /** Vendors whose replay failed, "title: message". */
  failed: string[];
  /** Absolute path of the database written. */
  dbPath: string;
}

/** Explanation lines a comparison stored for its runs. */
export interface ComparisonNotes {
  runIds: number[];
  explanations: string[];
}

export interface ExportRequest {
  format: 'sqlite' | 'chrome-json' | 'csv' | 'ftrace';
  /** Destination path on the host; refused (EEXIST) when it exists unless `overwrite`. */
  path: string;
  /** Runs to export (chrome-json, csv); all runs when absent. */
  runIds?: number[];
  overwrite?: boolean;
}

/** One level of a page-table walk (core/pt walk()). */
export interface WalkLevel {
  level: number;
  /** Physical address of the table read at this level, hex. */
  tablePhys: string;
  /** Index of the entry in that table. */
  index: number;
  /** Raw 64-bit entry, 16 hex digits. */
  raw: string;
  kind: 'EMPTY' | 'TABLE' | 'OA';
  /** Decoded fields named as the vendor manual names them (PR, IR, IW, NextLevel, A, D, DBM, AP, ...). */
  fields: { name: string; value: string }[];
}

/** A run's page table rebuilt at the end of the run (re-simulated from its scenario and seed). */
export interface PageTableInfo {
  runId: number;
  vendor: string;
  /** Page-table format: amdv1 | vtdss | armv8 | x86_64. */
  format: string;
  guestBytes: number;
  /** Wall time the rebuild took, ms. */
  rebuiltMs: number;
  /** Whether the re-simulation's dirty pages per round equal the recording (null: nothing recorded). */
  matchesRecording: boolean | null;
}

/** The IOVA space [start, end) in equal cells: leaf size (lg2 bytes, 0 = unmapped) and dirty fraction of sampled pages. */
export interface PageTableMap extends PageTableInfo {
  start: number;
  end: number;
  cellBytes: number;
  sizeLg2: number[];
  dirty: number[];
}

export interface PageTableWalk extends PageTableInfo {
  iova: number;
  levels: WalkLevel[];
}

/** Request/response types per method. */
export interface ApiMethods {
  engineInfo: { req: Record<string, never>; res: EngineInfo };
  openDatabase: { req: OpenDatabaseRequest; res: DatabaseInfo };
  closeDatabase: { req: Record<string, never>; res: null };
  databaseInfo: { req: Record<string, never>; res: DatabaseInfo | null };
  listRuns: { req: Record<string, never>; res: RunSummary[] };
  listCounters: { req: { runId: number }; res: CounterInfo[] };
  counterSeries: { req: CounterSeriesRequest; res: CounterSeries };
  eventNames: { req: { runId: number }; res: EventNameCount[] };
  eventsPage: { req: EventsPageRequest; res: EventsPage };
  faults: { req: { runId: number }; res: FaultsReport };
  listPresets: { req: Record<string, never>; res: PresetInfo[] };
  runComparison: { req: RunComparisonRequest; res: ComparisonResult };
  replayTrace: { req: ReplayTraceRequest; res: ReplayTraceResult };
  cancelJob: { req: { jobId: string }; res: { cancelled: boolean } };
  comparisonNotes: { req: { runIds: number[] }; res: ComparisonNotes | null };
  exportDatabase: { req: ExportRequest; res: { path: string; bytes: number } };
  pageTableMap: { req: { runId: number; start: number; end: number; cells: number }; res: PageTableMap };
  pageTableWalk: { req: { runId: number; iova: number }; res: PageTableWalk };
}

export type ApiMethod = keyof ApiMethods;

/** Every method the renderer may call; hosts reject any other name. */
export const API_METHODS: readonly ApiMethod[] = [
  'engineInfo',
  'openDatabase',
  'closeDatabase',
  'databaseInfo',
  'listRuns',
  'listCounters',
  'counterSeries',
  'eventNames',
  'eventsPage',
  'faults',
  'listPresets',
  'runComparison',
  'replayTrace',
  'cancelJob',
  'comparisonNotes',
  'exportDatabase',
  'pageTableMap',
  'pageTableWalk',
];

/** The object the renderer talks to (exposed by the preload, or built over WebSocket). */
export interface WorkbenchApi {
  call<M extends ApiMethod>(method: M, req: ApiMethods[M]['req']): Promise<ApiResult<ApiMethods[M]['res']>>;
  /** Subscribe to progress events; returns an unsubscribe function. */
  onProgress(listener: (ev: ProgressEvent) => void): () => void;
  /** Subscribe to host status changes (e.g. engine restarted); returns an unsubscribe function. */
  onStatus(listener: (status: HostStatus) => void): () => void;
  /** Electron only (absent in browser mode): native open/save dialog; resolves to a path or null. */
  pickFile?(opts?: { save?: boolean; title?: string }): Promise<string | null>;
  /** Electron only: the filesystem path of a dropped file. */
  pathForFile?(file: File): string | null;
  /** Electron only: menu actions and files opened from the command line. */
  onShell?(listener: (ev: ShellEvent) => void): () => void;
}

/** Events from the Electron shell (menu, command line). */
export type ShellEvent = { type: 'menu'; action: string } | { type: 'open-file'; path: string };

/** Host lifecycle notice shown in the status bar. */
export interface HostStatus {
  state: 'ready' | 'restarting' | 'failed';
  message: string;
}
