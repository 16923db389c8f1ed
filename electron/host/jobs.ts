/**
 * Long calls (API methods runComparison and replayTrace) and their cancellation (cancelJob).
 * Each job runs in its own worker thread (./comparison-worker.ts, ./replay-worker.ts) and has
 * a client-chosen id; progress events carry it as `callId`; cancelJob sets the job's shared
 * cancel flag (checked between rounds, or every 4096 replayed events and between vendors).
 * Presets (listPresets) come from core/scenario/presets.
 */
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ApiResult, ComparisonResult, PresetInfo, ProgressEvent, ReplayImportSummary, ReplayLimits, ReplayTraceRequest, ReplayTraceResult, RunComparisonRequest } from '../api';
import { loadPreset, presetNames, presetText } from '../../core/scenario/presets';
import { formatScenarioErrors, parseScenario } from '../../core/scenario/load';
import type { Scenario } from '../../core/scenario/schema';
import { vendorTitle } from '../../core/iommu/registry';
import type { ComparisonWorkerMessage } from '../../core/run/comparison-worker';
import type { ReplayWorkerData, ReplayWorkerMessage } from '../../core/run/replay-worker';
import { REPLAY_MAX_TRACE_BYTES, REPLAY_MAX_XLATE_BYTES, REPLAY_VENDORS } from './schemas';
import { workerFiles } from './worker-files';

/** Presets shipped with the engine, with their description and vendors. */
export function listPresets(): PresetInfo[] {
  return presetNames().map((name) => {
    const s = loadPreset(name);
    return { name, description: s?.description ?? '', vendors: s ? [...s.vendors] : [], text: presetText(name) ?? '' };
  });
}

interface Job {
  worker: Worker;
  cancel: Int32Array;
}

/** Grace period after a cancel before the worker is terminated (a round can be long). */
const CANCEL_GRACE_MS = 30_000;

export class Jobs {
  private readonly running = new Map<string, Job>();

  constructor(private readonly progress: (ev: ProgressEvent) => void) {}

  /** Optional features this build serves (EngineInfo.features). */
  features(): string[] {
    return ['runComparison', 'replayTrace'];
  }

  /** What replayTrace accepts (EngineInfo.replay). */
  replayLimits(): ReplayLimits {
    return { vendors: [...REPLAY_VENDORS], maxTraceBytes: REPLAY_MAX_TRACE_BYTES, maxXlateBytes: REPLAY_MAX_XLATE_BYTES };
  }

  /** Ask a running job to stop after its current round; false when no job has that id. */
  cancel(jobId: string): boolean {
    const job = this.running.get(jobId);
    if (!job) return false;
    Atomics.store(job.cancel, 0, 1);
    const t = setTimeout(() => void job.worker.terminate(), CANCEL_GRACE_MS);
    t.unref();
    job.worker.once('exit', () => clearTimeout(t));
    return true;
  }

  /** The database file a job writes: absolute; its directory must exist; an empty file is replaced by a new database. */
  private static target(p: string): ApiResult<string> {
    const dbPath = resolve(p);
    if (!existsSync(dirname(dbPath))) return { ok: false, error: { code: 'ENOENT', message: `no such directory: ${dirname(dbPath)}` } };
    // An empty file (made by "create if missing") holds nothing: let the writer create the schema.
    if (existsSync(dbPath) && statSync(dbPath).isFile() && statSync(dbPath).size === 0) unlinkSync(dbPath);
    return { ok: true, value: dbPath };
  }

  /** Resolve the request's scenario (preset name or JSON text). */
  private scenario(req: RunComparisonRequest): ApiResult<Scenario> {
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
    if (this.running.has(req.jobId)) return { ok: false, error: { code: 'EBUSY', message: `job ${req.jobId} is already running` } };
    const sc = this.scenario(req);
    if (!sc.ok) return sc;
    const target = Jobs.target(req.dbPath);
    if (!target.ok) return target;
    const dbPath = target.value;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const { boot, entry } = workerFiles('comparison-worker.ts');
    const worker = new Worker(boot, { workerData: { scenario: sc.value, dbPath, cancel, entry } });
    this.running.set(req.jobId, { worker, cancel });
    return new Promise((done) => {
      let settled = false;
      const finish = (r: ApiResult<ComparisonResult>): void => {
        if (settled) return;
        settled = true;
        this.running.delete(req.jobId);
        done(r);
      };
      worker.on('message', (m: ComparisonWorkerMessage) => {
        if (m.type === 'progress') {
          const { p } = m;
          const label = `${vendorTitle(p.vendor)}`;
          // A finished vendor (converged, forced or cancelled) shows its rounds as done/total.
          const total = p.phase === 'done' ? p.round : p.maxRounds;
          this.progress({ callId: req.jobId, label, done: Math.min(p.round, total), total });
        } else if (m.type === 'done') {
          const failed = m.failed.map((f) => `${vendorTitle(f.vendor)}: ${f.message}`);
          finish({ ok: true, value: { runIds: m.runIds, cancelled: m.cancelled, explanations: m.explanations, failed, dbPath } });
        } else finish({ ok: false, error: { code: m.code === 'ENOENT' ? 'ENOENT' : 'EIO', message: `${m.code}: ${m.message}` } });
      });
      worker.on('error', (e) => finish({ ok: false, error: { code: 'EIO', message: `comparison failed: ${e.message}` } }));
      worker.on('exit', (code) =>
        finish(Atomics.load(cancel, 0) === 1 ? { ok: true, value: { runIds: [], cancelled: true, explanations: [], failed: [], dbPath } } : { ok: false, error: { code: 'EIO', message: `comparison worker exited (code ${code})` } }),
      );
    });
  }

  /**
   * Replay an uploaded kernel trace on each requested vendor into `dbPath` (created when
   * missing) in a worker thread, one run per vendor, as `npm run cli -- replay --db` does.
   * Progress: per vendor (label = vendor title), done/total in trace events replayed; every
   * vendor reports 0/total first. A trace without map/unmap events is refused with ENODATA
   * (listing the first malformed lines). Resolves when the runs are recorded (or cancelled).
   */
  async replayTrace(req: ReplayTraceRequest): Promise<ApiResult<ReplayTraceResult>> {
    if (this.running.has(req.jobId)) return { ok: false, error: { code: 'EBUSY', message: `job ${req.jobId} is already running` } };
    const target = Jobs.target(req.dbPath);
    if (!target.ok) return target;
    const dbPath = target.value;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const { boot, entry } = workerFiles('replay-worker.ts');
    const data: ReplayWorkerData & { entry: string } = {
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
      entry,
    };
    const worker = new Worker(boot, { workerData: data });
    this.running.set(req.jobId, { worker, cancel });
    let summary: ReplayImportSummary | null = null;
    return new Promise((done) => {
      let settled = false;
      const finish = (r: ApiResult<ReplayTraceResult>): void => {
        if (settled) return;
        settled = true;
        this.running.delete(req.jobId);
        done(r);
      };
      const empty = (): ReplayTraceResult => ({
        import: summary ?? { lines: 0, events: 0, maps: 0, unmaps: 0, faults: 0, markers: 0, skipped: 0, malformed: 0, firstErrors: [], xlate: null },
        results: [],
        runIds: [],
        cancelled: true,
        failed: [],
        dbPath,
      });
      worker.on('message', (m: ReplayWorkerMessage) => {
        if (m.type === 'imported') summary = m.summary;
        else if (m.type === 'progress') this.progress({ callId: req.jobId, label: vendorTitle(m.vendor), done: m.done, total: m.total });
        else if (m.type === 'done') {
          const failed = m.failed.map((f) => `${vendorTitle(f.vendor)}: ${f.message}`);
          const runIds = m.results.map((r) => r.runId).filter((id): id is number => id !== null);
          finish({ ok: true, value: { ...empty(), results: m.results, runIds, cancelled: m.cancelled, failed } });
        } else finish({ ok: false, error: { code: ['ENOENT', 'ENODATA'].includes(m.code) ? m.code : 'EIO', message: m.code === 'ENODATA' ? m.message : `${m.code}: ${m.message}` } });
      });
      worker.on('error', (e) => finish({ ok: false, error: { code: 'EIO', message: `replay failed: ${e.message}` } }));
      worker.on('exit', (code) => finish(Atomics.load(cancel, 0) === 1 ? { ok: true, value: empty() } : { ok: false, error: { code: 'EIO', message: `replay worker exited (code ${code})` } }));
    });
  }
}
