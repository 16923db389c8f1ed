/**
 * Long calls (API methods runComparison, replayTrace and runSensitivity) and their
 * cancellation (cancelJob). Each job runs in its own worker thread
 * (core/run/comparison-worker.ts, replay-worker.ts, sensitivity-worker.ts),
 * called over comlink (core/rpc), and has a client-chosen id; progress events carry it as
 * `callId`. cancelJob stops a comparison through its vendor pool (queued vendors dropped,
 * running ones terminated) and a replay through a flag it reads every 4096 events and
 * between vendors; either way the runs it stopped are marked failed.
 * Presets (listPresets) come from core/scenario/presets.
 */
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ApiResult, ComparisonResult, PresetInfo, ProgressEvent, ReplayImportSummary, ReplayLimits, ReplayTraceRequest, ReplayTraceResult, RunComparisonRequest, SensitivityRequest, SensitivityResult } from '../api';
import { loadPreset, presetNames, presetText } from '../../core/scenario/presets';
import { formatScenarioErrors, parseScenario } from '../../core/scenario/load';
import type { Scenario } from '../../core/scenario/schema';
import { vendorTitle } from '../../core/iommu/registry';
import type { ComparisonProgressMessage, ComparisonService } from '../../core/run/comparison-worker';
import type { ReplayProgressMessage, ReplayService, ReplayWorkerData } from '../../core/run/replay-worker';
import type { SensitivityProgressMessage, SensitivityService } from '../../core/run/sensitivity-worker';
import { SENSITIVITY_DEFAULTS } from '../../core/scenario/sensitivity-run';
import { connect, type Peer } from '../../core/rpc/comlink-port';
import { workerStart } from '../../core/rpc/worker-entry';
import { REPLAY_MAX_TRACE_BYTES, REPLAY_MAX_XLATE_BYTES, REPLAY_VENDORS } from './schemas';
import { availableParallelism } from 'node:os';
import { checkScenarioLimits } from '../../core/scenario/limits';
import { machineLimits } from '../../core/run/machine-limits';

/** Presets shipped with the engine, with their description and vendors. */
export function listPresets(): PresetInfo[] {
  return presetNames().map((name) => {
    const s = loadPreset(name);
    return { name, description: s?.description ?? '', vendors: s ? [...s.vendors] : [], text: presetText(name) ?? '' };
  });
}

interface Job {
  worker: Worker;
  /** Ask the job to stop (it then resolves as cancelled). */
  cancel(): void;
  /** The database file the job records into (absolute). */
  dbPath: string;
}

/**
 * Jobs that may run at once in one engine host. Each job's vendors run in their own threads,
 * so two jobs already fill our 2-core machine; more would only slow every job down and
 * multiply their memory. A further request is answered EBUSY.
 */
export const MAX_CONCURRENT_JOBS = 2;

/** Grace period after a cancel before the worker is terminated (a replay checks every 4096 events). */
const CANCEL_GRACE_MS = 30_000;

/** The run's failure as an API error: `keep` codes pass through, others become EIO with the code in the message. */
function jobError(code: string, message: string, keep: string[]): ApiResult<never> {
  return { ok: false, error: keep.includes(code) ? { code, message } : { code: 'EIO', message: `${code}: ${message}` } };
}

export class Jobs {
  private readonly running = new Map<string, Job>();

  constructor(private readonly progress: (ev: ProgressEvent) => void) {}

  /** Optional features this build serves (EngineInfo.features). */
  features(): string[] {
    return ['runComparison', 'replayTrace', 'sensitivity'];
  }

  /** What replayTrace accepts (EngineInfo.replay). */
  replayLimits(): ReplayLimits {
    return { vendors: [...REPLAY_VENDORS], maxTraceBytes: REPLAY_MAX_TRACE_BYTES, maxXlateBytes: REPLAY_MAX_XLATE_BYTES };
  }

  /** Ask a running job to stop; false when no job has that id. */
  cancel(jobId: string): boolean {
    const job = this.running.get(jobId);
    if (!job) return false;
    job.cancel();
    const t = setTimeout(() => void job.worker.terminate(), CANCEL_GRACE_MS);
    t.unref();
    job.worker.once('exit', () => clearTimeout(t));
    return true;
  }

  /** Start worker `name` with its comlink peer; progress messages go to `onEvent`. */
  private static start<T>(name: 'comparison-worker' | 'replay-worker' | 'sensitivity-worker', onEvent: (m: { type?: unknown }) => void): { worker: Worker; peer: Peer<T> } {
    const start = workerStart(name);
    const worker = new Worker(start.url, { workerData: start.workerData });
    const peer = connect<T>(worker, name.replace('-', ' '));
    worker.on('message', (m: { type?: unknown }) => {
      if (typeof m === 'object' && m !== null && m.type === 'progress') onEvent(m);
    });
    return { worker, peer };
  }

  /**
   * The database file a job writes: absolute; its directory must exist; an empty file is
   * replaced by a new database. EBUSY when the job cap is reached or another job of this host
   * records into the same file (one writer per database; other processes are refused by the
   * store's writer claim, core/store/db.ts).
   */
  private target(p: string, jobId: string): ApiResult<string> {
    const free = this.slot(jobId);
    if (!free.ok) return free;
    const dbPath = resolve(p);
    for (const [id, job] of this.running) {
      if (job.dbPath === dbPath) return { ok: false, error: { code: 'EBUSY', message: `${dbPath}: job ${id} is recording into it (one writer per database); wait for it, or choose another database` } };
    }
    if (!existsSync(dirname(dbPath))) return { ok: false, error: { code: 'ENOENT', message: `no such directory: ${dirname(dbPath)}` } };
    // An empty file (made by "create if missing") holds nothing: let the writer create the schema.
    if (existsSync(dbPath) && statSync(dbPath).isFile() && statSync(dbPath).size === 0) unlinkSync(dbPath);
    return { ok: true, value: dbPath };
  }

  /** EBUSY when `jobId` is running or the job cap is reached. */
  private slot(jobId: string): ApiResult<null> {
    if (this.running.has(jobId)) return { ok: false, error: { code: 'EBUSY', message: `job ${jobId} is already running` } };
    if (this.running.size >= MAX_CONCURRENT_JOBS) {
      return { ok: false, error: { code: 'EBUSY', message: `${this.running.size} jobs are running (at most ${MAX_CONCURRENT_JOBS} at once); wait for one to finish or cancel it` } };
    }
    return { ok: true, value: null };
  }

  /** Resolve the request's scenario (preset name or JSON text). */
  private scenario(req: { preset?: string; scenarioText?: string }): ApiResult<Scenario> {
    if (req.preset !== undefined) {
      const s = loadPreset(req.preset);
      return s ? { ok: true, value: s } : { ok: false, error: { code: 'ENOENT', message: `no preset named ${req.preset}` } };
    }
    const p = parseScenario(req.scenarioText ?? '');
    return p.ok ? { ok: true, value: p.scenario } : { ok: false, error: { code: 'EINVAL', message: formatScenarioErrors('scenario', p.errors) } };
  }

  /**
   * Run a scenario on every vendor it lists into `dbPath` (created when missing) in a worker
   * thread. Progress: one event per vendor and round, label = vendor title, done/total in
   * rounds (total = maxRounds, and = rounds run once that vendor is done). Resolves when the runs are recorded (or cancelled).
   */
  async runComparison(req: RunComparisonRequest): Promise<ApiResult<ComparisonResult>> {
    const sc = this.scenario(req);
    if (!sc.ok) return sc;
    // Refuse what this machine cannot finish before any file is touched (the CLI's check).
    const over = checkScenarioLimits(sc.value, machineLimits(Math.min(availableParallelism(), sc.value.vendors.length)), 'run it from the command line with --ignore-limits');
    if (over) return { ok: false, error: { code: 'E2BIG', message: `scenario: ${over.message}` } };
    const target = this.target(req.dbPath, req.jobId);
    if (!target.ok) return target;
    const dbPath = target.value;
    const { worker, peer } = Jobs.start<ComparisonService>('comparison-worker', (m) => {
      const { p } = m as ComparisonProgressMessage;
      // A finished vendor (converged, forced or cancelled) shows its rounds as done/total.
      const total = p.phase === 'done' ? p.round : p.maxRounds;
      this.progress({ callId: req.jobId, label: vendorTitle(p.vendor), done: Math.min(p.round, total), total });
    });
    let cancelled = false;
    this.running.set(req.jobId, {
      worker,
      dbPath,
      cancel: () => {
        cancelled = true;
        peer.call((w) => w.cancel()).catch(() => {});
      },
    });
    try {
      const r = await peer.call((w) => w.run(sc.value, dbPath));
      if (!r.ok) return jobError(r.code, r.message, ['ENOENT']);
      const failed = r.failed.map((f) => `${vendorTitle(f.vendor)}: ${f.message}`);
      return { ok: true, value: { runIds: r.runIds, cancelled: r.cancelled, explanations: r.explanations, failed, dbPath } };
    } catch (e) {
      // Terminated after a cancel that did not stop it in time: what was recorded is kept.
      if (cancelled) return { ok: true, value: { runIds: [], cancelled: true, explanations: [], failed: [], dbPath } };
      return { ok: false, error: { code: 'EIO', message: `comparison failed: ${(e as Error).message}` } };
    } finally {
      this.running.delete(req.jobId);
      void worker.terminate();
    }
  }

  /**
   * The sensitivity analysis of a scenario (core/scenario/sensitivity-run.ts, what
   * `npm run cli -- sensitivity --json` prints) in a worker thread; nothing is recorded.
   * Progress: the baseline comparison per vendor (label = vendor title, done/total in rounds),
   * then label 're-runs' with done/total in re-runs. E2BIG for a scenario over the machine's limits.
   */
  async runSensitivity(req: SensitivityRequest): Promise<ApiResult<SensitivityResult>> {
    const sc = this.scenario(req);
    if (!sc.ok) return sc;
    const over = checkScenarioLimits(sc.value, machineLimits(Math.min(availableParallelism(), sc.value.vendors.length)), 'run it from the command line with --ignore-limits');
    if (over) return { ok: false, error: { code: 'E2BIG', message: `scenario: ${over.message}` } };
    const free = this.slot(req.jobId);
    if (!free.ok) return free;
    const { worker, peer } = Jobs.start<SensitivityService>('sensitivity-worker', (m) => {
      const { p } = m as SensitivityProgressMessage;
      if (p.phase === 'rerun') return this.progress({ callId: req.jobId, label: 're-runs', done: p.done, total: p.total });
      const total = p.p.phase === 'done' ? p.p.round : p.p.maxRounds;
      this.progress({ callId: req.jobId, label: vendorTitle(p.p.vendor), done: Math.min(p.p.round, total), total });
    });
    let cancelled = false;
    this.running.set(req.jobId, {
      worker,
      dbPath: '',
      cancel: () => {
        cancelled = true;
        peer.call((w) => w.cancel()).catch(() => {});
      },
    });
    const stopped: SensitivityResult = { report: null, lines: [], cancelled: true, failed: [] };
    try {
      const r = await peer.call((w) => w.run(sc.value, req.factor ?? SENSITIVITY_DEFAULTS.factor, req.rerun ?? SENSITIVITY_DEFAULTS.rerun));
      if (r.ok) return { ok: true, value: { report: r.report, lines: r.lines, cancelled: false, failed: [] } };
      if (r.cancelled) return { ok: true, value: stopped };
      return { ok: true, value: { ...stopped, cancelled: false, failed: r.failed.map((f) => `${vendorTitle(f.vendor)}: ${f.message}`) } };
    } catch (e) {
      if (cancelled) return { ok: true, value: stopped };
      return { ok: false, error: { code: 'EIO', message: `sensitivity failed: ${(e as Error).message}` } };
    } finally {
      this.running.delete(req.jobId);
      void worker.terminate();
    }
  }

  /**
   * Replay an uploaded kernel trace on each requested vendor into `dbPath` (created when
   * missing) in a worker thread, one run per vendor, as `npm run cli -- replay --db` does.
   * Progress: per vendor (label = vendor title), done/total in trace events replayed; every
   * vendor reports 0/total first. A trace without map/unmap events is refused with ENODATA
   * (listing the first malformed lines). Resolves when the runs are recorded (or cancelled).
   */
  async replayTrace(req: ReplayTraceRequest): Promise<ApiResult<ReplayTraceResult>> {
    const target = this.target(req.dbPath, req.jobId);
    if (!target.ok) return target;
    const dbPath = target.value;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const data: ReplayWorkerData = {
      traceText: req.traceText,
      traceName: req.traceName,
      xlateText: req.xlateText,
      xlateName: req.xlateName,
      vendors: req.vendors as ReplayWorkerData['vendors'],
      flush: req.flush,
      dma: req.dma,
      nonCoherent: req.nonCoherent === true,
      dbPath,
      cancel,
    };
    const { worker, peer } = Jobs.start<ReplayService>('replay-worker', (m) => {
      const p = m as ReplayProgressMessage;
      this.progress({ callId: req.jobId, label: vendorTitle(p.vendor), done: p.done, total: p.total });
    });
    // The replay loop never yields to its event loop, so the cancel is a flag it reads.
    this.running.set(req.jobId, { worker, dbPath, cancel: () => Atomics.store(cancel, 0, 1) });
    const empty = (summary: ReplayImportSummary | null): ReplayTraceResult => ({
      import: summary ?? { lines: 0, events: 0, maps: 0, unmaps: 0, faults: 0, markers: 0, skipped: 0, malformed: 0, firstErrors: [], xlate: null },
      results: [],
      runIds: [],
      cancelled: true,
      failed: [],
      dbPath,
    });
    try {
      const r = await peer.call((w) => w.run(data));
      if (!r.ok) return ['ENODATA', 'E2BIG'].includes(r.code) ? { ok: false, error: { code: r.code, message: r.message } } : jobError(r.code, r.message, ['ENOENT']);
      const failed = r.failed.map((f) => `${vendorTitle(f.vendor)}: ${f.message}`);
      const runIds = r.results.map((x) => x.runId).filter((id): id is number => id !== null);
      return { ok: true, value: { ...empty(r.summary), results: r.results, runIds, cancelled: r.cancelled, failed } };
    } catch (e) {
      if (Atomics.load(cancel, 0) === 1) return { ok: true, value: empty(null) };
      return { ok: false, error: { code: 'EIO', message: `replay failed: ${(e as Error).message}` } };
    } finally {
      this.running.delete(req.jobId);
      void worker.terminate();
    }
  }
}
