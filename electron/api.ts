/**
 * The one API contract between the renderer and the engine host (docs/architecture.md).
 *
 * Both transports implement it: Electron (preload `window.workbench` ⇄ main ⇄ engine host in
 * a utilityProcess) and browser mode (WebSocket to the local web host, engine host in a
 * worker_thread). Every method takes one plain-object request and resolves to an
 * {@link ApiResult}: errors are values, never thrown. Long calls report progress through
 * {@link ProgressEvent}s tagged with the call's `callId`.
 *
 * This file holds types only (the method list is {@link ApiMethods}), so the renderer can
 * import it without bundling the host's validation.
 */

export type {
  DatabaseInfo,
  OpenDatabaseRequest,
  RunSummary,
  CounterInfo,
  CounterSeriesRequest,
  CounterSeries,
  EventCursor,
  EventFilter,
  EventsPageRequest,
  EventRow,
  EventsPage,
  EventNameCount,
  FaultRow,
  FaultsReport,
  LatencyHistogram,
  ComparisonNotes,
} from '../core/store/queries/types';
import type { DatabaseInfo, OpenDatabaseRequest, RunSummary, CounterInfo, CounterSeriesRequest, CounterSeries, EventsPageRequest, EventsPage, EventNameCount, FaultsReport, LatencyHistogram } from '../core/store/queries/types';

export type { ComparisonView, SummaryTable, SummaryRow, SummaryCell, SummaryUnit, TimeBreakdown } from '../core/scenario/summary-types';
import type { ComparisonView } from '../core/scenario/summary-types';

export type { SweepAxisInfo, SweepInfo, SweepMetric, SweepRunRef, SweepSeries, SweepSeriesRequest } from '../core/sweep/view-types';
import type { SweepInfo, SweepSeries, SweepSeriesRequest } from '../core/sweep/view-types';

export type { CostTable, CostRow, CostCell, CostCellClass, HwParamRow, WalkerRow } from '../core/scenario/cost-types';
import type { CostTable } from '../core/scenario/cost-types';

export type { SensitivityReport, SensitivityProbe, SensitivityMetric } from '../core/scenario/sensitivity-types';
import type { SensitivityReport } from '../core/scenario/sensitivity-types';

export type { LineError, ReplayImportSummary, ReplayVendorResult, ReplayFlushPolicy, ReplayDmaMode } from '../core/run/replay-types';
import type { ReplayImportSummary, ReplayVendorResult, ReplayFlushPolicy, ReplayDmaMode } from '../core/run/replay-types';

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
  /** The vendor's fixed UI colour (CSS), from its registry entry (core/iommu/<vendor>/index.ts). */
  color: string;
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
  /** Optional engine features present in this build: 'runComparison', 'replayTrace', 'sensitivity', 'pageTable', 'sweep'. */
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

/** Progress of a long call. `done`/`total` in the call's own units (rounds, events, bytes). */
export interface ProgressEvent {
  callId: string;
  label: string;
  done: number;
  total: number;
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

export interface ExportRequest {
  format: 'sqlite' | 'chrome-json' | 'csv' | 'ftrace';
  /** Destination path on the host; refused (EEXIST) when it exists unless `overwrite`. */
  path: string;
  /** Runs to export (chrome-json, csv); all runs when absent. */
  runIds?: number[];
  overwrite?: boolean;
}

/**
 * Request of `costTable`: the cost table `npm run cli -- costs --json [--scenario X] [--kernel K]`
 * prints (core/scenario/cost-table.ts costTable). Without a scenario: every vendor, defaults.
 */
export interface CostTableRequest {
  /** Preset whose vendors, costOverrides and hardware capacities apply (or scenarioText, or neither). */
  preset?: string;
  scenarioText?: string;
  /** Kernel whose dirty-read walkers are listed ('6.19' | '6.7-6.18'); default: the scenario's, else 6.19. */
  kernel?: string;
}

/**
 * Request of `runSensitivity`: "would the ranking flip if an estimate were factor× off?" for a
 * scenario, as `npm run cli -- sensitivity` runs it (core/scenario/sensitivity-run.ts), as a
 * job with progress and cancel. Nothing is recorded.
 */
export interface SensitivityRequest {
  /** Preset name, or the scenario JSON text (exactly one). */
  preset?: string;
  scenarioText?: string;
  /** Scale each estimate by factor and 1/factor (> 1, default 2). */
  factor?: number;
  /** Probes closest to flipping a ranking that are re-run (0..12, default 3). */
  rerun?: number;
  /** Client-chosen id: progress events carry it as `callId` (labels: vendor titles for the baseline's rounds, 're-runs'); `cancelJob` takes it. */
  jobId: string;
}

export interface SensitivityResult {
  /** The report `sensitivity --json` prints; null when cancelled or failed. */
  report: SensitivityReport | null;
  /** The plain-language lines the command prints. */
  lines: string[];
  cancelled: boolean;
  /** Vendors whose run failed, "title: message". */
  failed: string[];
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
  /** Dirty pages per round as recorded (migration_round events; empty when none). */
  recordedRounds: number[];
  /**
   * Dirty 4 KiB pages in the rebuilt table right before each round's read (the state the
   * round picker shows; core/run/round-snapshots.ts). Fewer than the rounds when the snapshot
   * budget ran out.
   */
  roundDirtyPages: number[];
}

/** The IOVA space [start, end) in equal cells: leaf size (lg2 bytes, 0 = unmapped) and dirty fraction of sampled pages. */
export interface PageTableMap extends PageTableInfo {
  /** The round whose dirty state `dirty` shows (before its read), or null for the end of the run. */
  round: number | null;
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
  /**
   * Open a second database read-only beside the main one, to diff its runs against the main
   * one's (electron/host/other-database.ts): its runs, with ids OTHER_RUN_BASE (1e9) + their
   * own id, which every per-run method takes. Replaces a previously attached one.
   */
  attachDatabase: { req: { path: string }; res: { path: string; runs: RunSummary[] } };
  detachDatabase: { req: Record<string, never>; res: null };
  listCounters: { req: { runId: number }; res: CounterInfo[] };
  counterSeries: { req: CounterSeriesRequest; res: CounterSeries };
  eventNames: { req: { runId: number }; res: EventNameCount[] };
  eventsPage: { req: EventsPageRequest; res: EventsPage };
  faults: { req: { runId: number }; res: FaultsReport };
  listPresets: { req: Record<string, never>; res: PresetInfo[] };
  runComparison: { req: RunComparisonRequest; res: ComparisonResult };
  replayTrace: { req: ReplayTraceRequest; res: ReplayTraceResult };
  cancelJob: { req: { jobId: string }; res: { cancelled: boolean } };
  comparisonNotes: { req: { runIds: number[] }; res: ComparisonView | null };
  latencyHistograms: { req: { runId: number }; res: LatencyHistogram[] };
  exportDatabase: { req: ExportRequest; res: { path: string; bytes: number } };
  pageTableMap: { req: { runId: number; start: number; end: number; cells: number; round?: number }; res: PageTableMap };
  pageTableWalk: { req: { runId: number; iova: number }; res: PageTableWalk };
  /** Open a merged sweep result (results.duckdb) or a sweep output directory (merged first when needed; docs/sweeps.md). */
  openSweep: { req: { path: string }; res: SweepInfo };
  /** A metric over one swept parameter, one series per vendor, repeats pooled into a min–max band. */
  sweepSeries: { req: SweepSeriesRequest; res: SweepSeries };
  /** The cost table (values, units, class, source), hardware capacities and dirty-read walkers, as `costs --json` prints it. */
  costTable: { req: CostTableRequest; res: CostTable };
  /** Sensitivity analysis of a scenario as a job (progress, cancelJob). */
  runSensitivity: { req: SensitivityRequest; res: SensitivityResult };
}

/**
 * Name of an API method. The runtime list, each method's zod request schema and its handler
 * are in one table, electron/host/api-table.ts, checked against {@link ApiMethods} at compile
 * time (a missing or extra method, or a request field the schema does not declare, does not
 * type-check). This file stays type-only so the renderer bundles none of it.
 */
export type ApiMethod = keyof ApiMethods;

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
