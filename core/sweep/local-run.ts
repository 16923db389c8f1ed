/**
 * `sweep run`: every point of a sweep on this machine, `jobs` at a time, each point in its own
 * child process (core/sweep/point-child.ts → runPoint, the code a cluster task runs), so a
 * point's memory is returned when it ends and its peak RSS is its own. Points start longest
 * first by their estimate (core/scenario/estimate.ts). Resumable: points whose final file
 * exists are skipped, so after a kill the same command finishes the rest.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompareProgress } from '../scenario/runner';
import type { PointChildMessage } from './point-child';
import { completePoints, prepareOutDir, removeOwnPartial, sweepFilePath } from './point-files';
import { pointScenario, type SweepPlan } from './plan';
import { estimateScenario } from '../scenario/estimate';
import type { PointError, PointOutcome } from './run-point';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./point-child.ts', import.meta.url));

/** What `sweep run` reports as it goes. */
export type SweepEvent =
  | { type: 'start'; total: number; complete: number; pending: number }
  | { type: 'point-start'; index: number }
  | { type: 'point-progress'; index: number; p: CompareProgress }
  | { type: 'point-done'; outcome: PointOutcome }
  | { type: 'point-failed'; index: number; error: PointError };

/** Result of a local sweep run. */
export interface SweepRunResult {
  total: number;
  /** Points recorded by this run. */
  done: number;
  /** Points that were already complete. */
  skipped: number;
  failed: { index: number; code: string; message: string }[];
  cancelled: boolean;
  wallMs: number;
  /** Largest peak RSS of a point run by this run (each point is one worker process), bytes. */
  peakWorkerRssBytes: number;
}

export interface LocalRunOptions {
  /** Points run at once (child processes). */
  jobs: number;
  onEvent?: (e: SweepEvent) => void;
  signal?: AbortSignal;
}

function runChild(file: string, index: number, dir: string, opts: LocalRunOptions): Promise<{ ok: true; outcome: PointOutcome } | { ok: false; error: PointError }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, String(index), dir, String(process.pid)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const onAbort = (): void => void child.kill('SIGTERM');
  opts.signal?.addEventListener('abort', onAbort);
  let result: { ok: true; outcome: PointOutcome } | { ok: false; error: PointError } | null = null;
  let buf = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      let m: PointChildMessage;
      try {
        m = JSON.parse(line) as PointChildMessage;
      } catch {
        continue;
      }
      if (m.type === 'progress') opts.onEvent?.({ type: 'point-progress', index, p: m.p });
      else if (m.type === 'outcome') result = { ok: true, outcome: m.outcome };
      else result = { ok: false, error: m.error };
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  return new Promise((done) => {
    child.on('error', (e) => done({ ok: false, error: { code: 'EIO', message: `point ${index}: cannot start worker: ${e.message}` } }));
    child.on('close', (code, sig) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (result) return done(result);
      // Killed (cancel) or crashed: its partial file is of no use.
      if (child.pid !== undefined) removeOwnPartial(dir, index, child.pid);
      const why = sig ? `killed by ${sig}` : `exited with ${code}`;
      done({ ok: false, error: { code: opts.signal?.aborted ? 'ECANCELED' : 'EIO', message: `point ${index}: worker ${why}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}` } });
    });
  });
}

/**
 * Run every pending point of `plan` into `dir`.
 * @returns the counts; `failed` lists points whose worker failed (the run goes on with the
 * others). An EEXIST/EIO error when `dir` cannot be prepared (another sweep's results).
 */
export async function runSweepLocal(plan: SweepPlan, dirArg: string, opts: LocalRunOptions): Promise<{ ok: true; result: SweepRunResult } | { ok: false; code: string; message: string }> {
  const dir = resolve(dirArg);
  const prep = prepareOutDir(plan, dir);
  if (!prep.ok) return prep;
  const started = performance.now();
  const complete = new Set(completePoints(dir).filter((i) => i < plan.grid.count));
  const pending: number[] = [];
  for (let i = 0; i < plan.grid.count; i++) if (!complete.has(i)) pending.push(i);
  // Longest first (by the estimate): the big points start early, so the last lane does not
  // start one alone near the end. The numbering is unchanged.
  const cost = new Map(pending.map((i) => {
    const p = pointScenario(plan, i);
    return [i, p.ok ? estimateScenario(p.point.scenario).seconds : 0] as const;
  }));
  pending.sort((a, b) => cost.get(b)! - cost.get(a)! || a - b);
  opts.onEvent?.({ type: 'start', total: plan.grid.count, complete: complete.size, pending: pending.length });
  const result: SweepRunResult = { total: plan.grid.count, done: 0, skipped: complete.size, failed: [], cancelled: false, wallMs: 0, peakWorkerRssBytes: 0 };
  const file = sweepFilePath(dir);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < pending.length && !opts.signal?.aborted) {
      const index = pending[next++];
      opts.onEvent?.({ type: 'point-start', index });
      const r = await runChild(file, index, dir, opts);
      if (r.ok) {
        if (r.outcome.status === 'done') {
          result.done++;
          result.peakWorkerRssBytes = Math.max(result.peakWorkerRssBytes, r.outcome.meta.maxRssBytes);
        } else result.skipped++;
        opts.onEvent?.({ type: 'point-done', outcome: r.outcome });
      } else {
        if (r.error.code !== 'ECANCELED') result.failed.push({ index, code: r.error.code, message: r.error.message });
        opts.onEvent?.({ type: 'point-failed', index, error: r.error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, pending.length)) }, lane));
  result.cancelled = opts.signal?.aborted ?? false;
  result.wallMs = Math.round(performance.now() - started);
  return { ok: true, result };
}
