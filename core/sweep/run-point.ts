/**
 * Run one sweep point into its own SQLite file (`sweep run-point`, a Slurm array task, a
 * Kubernetes Indexed Job pod, or one child of `sweep run`). Idempotent: a point whose final
 * file exists is skipped; a partial file left by a killed process is removed and the point
 * redone. The point is recorded into a partial file through the ordinary orchestration
 * (runComparison into openRunSink), sealed with its {@link PointMeta}, then renamed into place.
 */
import { hostname } from 'node:os';
import { ENGINE_VERSION } from '../base/version';
import { parallelExecutor } from '../run/parallel';
import { runComparison, type CompareProgress } from '../scenario/runner';
import { openRunSink } from '../store/run-sink';
import { readFileMeta, sealDatabase } from '../store/sealed-file';
import { existsSync, rmSync } from 'node:fs';
import { gridAxes } from './expand';
import { pointScenario, type SweepPlan } from './plan';
import { commitPartial, partialPath, pointPath, POINT_META_KEY, removeOwnPartial, removeStalePartials, type PointMeta } from './point-files';

/** What running a point did. */
export interface PointOutcome {
  index: number;
  /** 'done': recorded now; 'skipped': already complete. */
  status: 'done' | 'skipped';
  file: string;
  meta: PointMeta;
}

/** A point that could not be run (errno-style code and a message naming the file or field). */
export interface PointError {
  code: 'EINVAL' | 'EEXIST' | 'ECANCELED' | 'EIO';
  message: string;
}

export interface RunPointOptions {
  signal?: AbortSignal;
  onProgress?: (p: CompareProgress) => void;
  /** Stop (as if cancelled) once this process's parent is no longer `watchParent` (the parent was killed). */
  watchParent?: number;
}

/** Read a final point file's meta entry; null when the file is not a readable point file. */
export function readPointMeta(file: string): PointMeta | null {
  const m = readFileMeta(file);
  if (!m.ok || !m.meta[POINT_META_KEY]) return null;
  try {
    return JSON.parse(m.meta[POINT_META_KEY]) as PointMeta;
  } catch {
    return null;
  }
}

/** A signal that also reads as aborted once the parent process is gone (checked between rounds). */
function cancelSignal(opts: RunPointOptions): AbortSignal | undefined {
  const parent = opts.watchParent;
  if (parent === undefined) return opts.signal;
  const base = opts.signal;
  return {
    get aborted(): boolean {
      return (base?.aborted ?? false) || process.ppid !== parent;
    },
    addEventListener: (t: string, f: () => void) => base?.addEventListener(t, f),
    removeEventListener: (t: string, f: () => void) => base?.removeEventListener(t, f),
  } as AbortSignal;
}

/**
 * Run point `index` of `plan` into `dir` (prepared by prepareOutDir).
 * @returns the outcome, or EINVAL (bad index or point scenario), EEXIST (the final file holds
 * another sweep's point), ECANCELED (signal or parent gone; nothing left behind), EIO (store).
 */
export async function runPoint(plan: SweepPlan, index: number, dir: string, opts: RunPointOptions = {}): Promise<{ ok: true; outcome: PointOutcome } | { ok: false; error: PointError }> {
  if (!Number.isInteger(index) || index < 0 || index >= plan.grid.count) return { ok: false, error: { code: 'EINVAL', message: `point index ${index} out of range 0..${plan.grid.count - 1}` } };
  const final = pointPath(dir, index);
  if (existsSync(final)) {
    const meta = readPointMeta(final);
    if (meta && meta.hash === plan.hash && meta.index === index) return { ok: true, outcome: { index, status: 'skipped', file: final, meta } };
    if (meta) return { ok: false, error: { code: 'EEXIST', message: `${final} holds point ${meta.index} of sweep ${meta.sweep} (hash ${meta.hash}), not point ${index} of ${plan.hash}` } };
    // Not a readable point file (e.g. a truncated copy): redo it.
    rmSync(final, { force: true });
  }
  const p = pointScenario(plan, index);
  if (!p.ok) return { ok: false, error: { code: 'EINVAL', message: p.errors.join('\n') } };
  removeStalePartials(dir, index);
  const signal = cancelSignal(opts);
  if (signal?.aborted) return { ok: false, error: { code: 'ECANCELED', message: `point ${index}: cancelled before it started` } };
  const started = performance.now();
  const partial = partialPath(dir, index);
  const sinkR = await openRunSink(partial);
  if (!sinkR.ok) return { ok: false, error: { code: 'EIO', message: `${partial}: ${sinkR.error.message}` } };
  const sink = sinkR.sink;
  let failed: { vendor: string; message: string }[];
  try {
    const threads = plan.sweep.pointThreads;
    const r = await runComparison(p.point.scenario, { sink, signal, onProgress: opts.onProgress, executor: threads > 1 ? parallelExecutor(sink, threads) : undefined });
    sink.saveComparison(r.summary);
    failed = r.failed;
  } catch (e) {
    await sink.close().catch(() => undefined);
    removeOwnPartial(dir, index);
    return { ok: false, error: { code: 'EIO', message: `point ${index}: ${(e as Error).message}` } };
  }
  await sink.close();
  if (signal?.aborted) {
    removeOwnPartial(dir, index);
    return { ok: false, error: { code: 'ECANCELED', message: `point ${index}: cancelled` } };
  }
  const units: Record<string, 'bytes'> = {};
  for (const a of gridAxes(plan.grid)) if (a.unit) units[a.path] = a.unit;
  const meta: PointMeta = {
    sweep: plan.sweep.name,
    hash: plan.hash,
    index,
    count: plan.grid.count,
    axes: gridAxes(plan.grid).map((a) => a.path),
    units,
    params: p.point.params,
    failed,
    wallMs: Math.round(performance.now() - started),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
    host: hostname(),
    finishedAt: new Date().toISOString(),
    engine: ENGINE_VERSION,
  };
  const sealed = sealDatabase(partial, { [POINT_META_KEY]: JSON.stringify(meta) });
  if (!sealed.ok) {
    removeOwnPartial(dir, index);
    return { ok: false, error: { code: 'EIO', message: sealed.error.message } };
  }
  // Another process may have completed the same point meanwhile (e.g. an orphan of a killed
  // `sweep run`): the file already in place stays, this one is dropped.
  if (commitPartial(dir, index) === 'exists') return { ok: true, outcome: { index, status: 'skipped', file: final, meta: readPointMeta(final) ?? meta } };
  return { ok: true, outcome: { index, status: 'done', file: final, meta } };
}
