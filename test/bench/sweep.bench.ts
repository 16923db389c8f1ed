/**
 * The preset sweep `dirty-cost-vs-guest-size` (14 points: 4 KiB and huge pages × 4..256 GiB,
 * 3 vendors each) with `sweep run --jobs 2` as a user runs it: wall time, peak RSS per worker
 * (each point is one worker process), per-point wall time and RSS against the plan's estimate,
 * and the load average around the run (the machine may be shared). Issue 17 target: ≤ 10 min.
 * WB_SWEEP_OUT=DIR keeps the results (and DIR/results.duckdb) instead of a temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { estimateScenario } from '../../core/scenario/estimate';
import { runSweepLocal } from '../../core/sweep/local-run';
import { mergeSweep } from '../../core/sweep/merge';
import { pointScenario } from '../../core/sweep/plan';
import { pointPath } from '../../core/sweep/point-files';
import { readPointMeta } from '../../core/sweep/run-point';
import { resolveSweep } from '../../core/sweep/sweep-file';

const PRESET = 'dirty-cost-vs-guest-size';
const JOBS = 2;

export async function run(): Promise<Record<string, unknown>> {
  const keep = process.env.WB_SWEEP_OUT;
  const dir = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'wb-bench-sweep-'));
  try {
    const r = resolveSweep(PRESET);
    if (!r.ok) throw new Error(r.message);
    const plan = r.plan;
    const loadBefore = loadavg();
    const out = await runSweepLocal(plan, dir, { jobs: JOBS });
    if (!out.ok) throw new Error(out.message);
    const loadAfter = loadavg();
    const merged = await mergeSweep([dir], join(dir, 'results.duckdb'), { force: true });
    const points = [];
    for (let i = 0; i < plan.grid.count; i++) {
      const m = readPointMeta(pointPath(dir, i));
      const p = pointScenario(plan, i);
      const est = p.ok ? estimateScenario(p.point.scenario) : null;
      points.push({ index: i, params: m?.params, wallSeconds: m ? m.wallMs / 1000 : null, cpuSeconds: m ? m.cpuMs / 1000 : null, rssMiB: m ? Math.round(m.maxRssBytes / 2 ** 20) : null, estSeconds: est && Number(est.seconds.toFixed(1)), estMiB: est && Math.round(est.memoryBytes / 2 ** 20) });
    }
    const wallS = out.result.wallMs / 1000;
    // What the same run takes on an otherwise idle machine: the points' CPU times scheduled
    // longest first over JOBS lanes (each point is single-threaded with pointThreads 1).
    const cpu = points.map((p) => p.cpuSeconds ?? 0);
    const lanes = new Array<number>(JOBS).fill(0);
    for (const c of [...cpu].sort((a, b) => b - a)) lanes[lanes.indexOf(Math.min(...lanes))] += c;
    return {
      preset: PRESET,
      jobs: JOBS,
      points: plan.grid.count,
      done: out.result.done,
      skipped: out.result.skipped,
      failed: out.result.failed,
      wallSeconds: Number(wallS.toFixed(1)),
      cpuSecondsTotal: Number(cpu.reduce((a, b) => a + b, 0).toFixed(1)),
      idleMachineWallSeconds: Number(Math.max(...lanes).toFixed(1)),
      targetSeconds: 600,
      meetsTarget: wallS <= 600,
      peakWorkerRssMiB: Math.round(out.result.peakWorkerRssBytes / 2 ** 20),
      loadAverage1mBeforeAfter: [loadBefore[0], loadAfter[0]].map((x) => Number(x.toFixed(2))),
      merge: merged.ok ? { results: merged.report.results, rounds: merged.report.rounds } : merged.error,
      perPoint: points,
    };
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
