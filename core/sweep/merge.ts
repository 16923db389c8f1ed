/**
 * `sweep merge`: combine the per-point SQLite files of one sweep (from one or more output
 * directories, e.g. copied back from cluster nodes) into one DuckDB results file: point
 * parameters × vendor × summary metrics, plus the per-round series (core/sweep/results-db.ts).
 * Every vendor of every point gives one `results` row (failed vendors with status 'failed'), so
 * the row counts equal the per-point summaries; a point found twice is merged once.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ComparisonSummary, VendorResult } from '../scenario/compare';
import { readFileSummary } from '../store/sealed-file';
import { completePoints, pointPath, POINT_META_KEY, sweepFilePath, type PointMeta } from './point-files';
import { paramType, RESULT_METRICS, ResultsWriter, type ParamColumn } from './results-db';

/** What a merge did. */
export interface MergeReport {
  sweep: string;
  hash: string;
  /** Points the sweep has. */
  count: number;
  /** Points merged. */
  points: number;
  /** Indexes of points not found (not run yet, or failed). */
  missing: number[];
  /** Point files found more than once (merged once). */
  duplicates: number;
  results: number;
  rounds: number;
  out: string;
}

/** A merge failure: EINVAL (no points, mixed sweeps, unreadable file), EEXIST (out exists without force). */
export interface MergeError {
  code: 'EINVAL' | 'EEXIST' | 'EIO';
  message: string;
}

interface LoadedPoint {
  meta: PointMeta;
  file: string;
  summary: ComparisonSummary | null;
  statuses: Map<number, string>;
}

function metricsOf(v: VendorResult): (number | boolean | null)[] {
  const t = v.totals;
  return [t.rounds, t.converged, t.dirtyPages, t.missedPages, t.bitmapReadNs, t.pteReads, t.pteWritesAtomic, t.invalidations, t.iotlbMissRate, t.faults, t.dmaAccesses, t.bytesSent, t.downtimeNs, t.switchoverNs, t.totalNs, v.enable?.ns ?? null, t.migrationNs ?? null, t.setupNs ?? null];
}

/** Merge the point files under `dirs` into the DuckDB file `out`. */
export async function mergeSweep(dirs: string[], out: string, opts: { force?: boolean } = {}): Promise<{ ok: true; report: MergeReport } | { ok: false; error: MergeError }> {
  const loaded = new Map<number, LoadedPoint>();
  let duplicates = 0;
  for (const dirArg of dirs) {
    const dir = resolve(dirArg);
    for (const index of completePoints(dir)) {
      const file = pointPath(dir, index);
      const r = readFileSummary(file);
      if (!r.ok) return { ok: false, error: { code: 'EINVAL', message: `${file}: ${r.error.message}` } };
      let meta: PointMeta;
      try {
        meta = JSON.parse(r.summary.meta[POINT_META_KEY] ?? '') as PointMeta;
      } catch {
        return { ok: false, error: { code: 'EINVAL', message: `${file}: not a sweep point file (no ${POINT_META_KEY} meta entry)` } };
      }
      const first = loaded.values().next().value as LoadedPoint | undefined;
      if (first && first.meta.hash !== meta.hash) return { ok: false, error: { code: 'EINVAL', message: `${file} belongs to sweep ${meta.sweep} (hash ${meta.hash}), ${first.file} to ${first.meta.sweep} (hash ${first.meta.hash}): merge one sweep at a time` } };
      if (loaded.has(index)) {
        duplicates++;
        continue;
      }
      const summary = (r.summary.comparisons.at(-1)?.summary ?? null) as ComparisonSummary | null;
      loaded.set(index, { meta, file, summary, statuses: new Map(r.summary.runs.map((run) => [run.id, run.status])) });
    }
  }
  if (loaded.size === 0) return { ok: false, error: { code: 'EINVAL', message: `no point files under ${dirs.join(', ')} (expected DIR/points/p-NNNNNN.sqlite)` } };
  const target = resolve(out);
  if (existsSync(target) && !opts.force) return { ok: false, error: { code: 'EEXIST', message: `${out} exists; give --force to replace it` } };

  const points = [...loaded.values()].sort((a, b) => a.meta.index - b.meta.index);
  const m0 = points[0].meta;
  const params: ParamColumn[] = m0.axes.map((path) => ({ path, unit: m0.units[path] ?? null, type: paramType(points.map((p) => p.meta.params[path])) }));
  const tmp = join(resolve(target, '..'), `.${process.pid}.merge.duckdb`);
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.wal`, { force: true });
  let results = 0;
  let rounds = 0;
  try {
    const w = await ResultsWriter.create(tmp, params);
    const a = await w.appenders();
    for (const [k, v] of [['name', m0.sweep], ['hash', m0.hash], ['count', String(m0.count)], ['engine', m0.engine]] as const) w.sweepRow(a.sweep, k, v);
    // The self-contained sweep file (base and axes), when a directory has it.
    const sweepFile = dirs.map((d) => sweepFilePath(resolve(d))).find((f) => existsSync(f));
    if (sweepFile) w.sweepRow(a.sweep, 'sweep_json', readFileSync(sweepFile, 'utf8'));
    for (const p of points) {
      const m = p.meta;
      const vendors = p.summary?.vendors ?? [];
      w.pointRow(a.points, m.index, m.params, [p.file, vendors.length + m.failed.length, m.failed.length, m.wallMs, m.cpuMs ?? null, m.maxRssBytes, m.host, m.finishedAt]);
      for (const v of vendors) {
        const status = v.runId !== null ? (p.statuses.get(v.runId) ?? 'complete') : 'complete';
        w.resultRow(a.results, m.index, m.params, [v.vendor, status, v.runId, p.file], metricsOf(v), null);
        results++;
        for (const r of v.rounds) {
          w.roundRow(a.rounds, m.index, m.params, v.vendor, [r.round, r.ts, r.dur, r.bytesSent, r.dirtyPages, r.missedPages, r.bitmapReadNs, r.dmaAccesses, r.iotlbMissRate]);
          rounds++;
        }
      }
      for (const f of m.failed) {
        w.resultRow(a.results, m.index, m.params, [f.vendor, 'failed', null, p.file], RESULT_METRICS.map(() => null), f.message);
        results++;
      }
    }
    await w.close([a.sweep, a.points, a.results, a.rounds]);
    rmSync(target, { force: true });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.wal`, { force: true });
    return { ok: false, error: { code: 'EIO', message: `${out}: ${(e as Error).message}` } };
  }
  const missing: number[] = [];
  for (let i = 0; i < m0.count; i++) if (!loaded.has(i)) missing.push(i);
  return { ok: true, report: { sweep: m0.sweep, hash: m0.hash, count: m0.count, points: points.length, missing, duplicates, results, rounds, out: target } };
}
