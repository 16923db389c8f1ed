/**
 * Queries of the Sweep view over a merged results database (core/sweep/results-db.ts): what a
 * sweep holds (axes with their values, vendors, metrics) and a metric over one axis per vendor,
 * the other axes fixed or pooled into a min–max band (seed repeats). Axis paths and metric names
 * are checked against the database's own `axes` table and {@link SWEEP_METRICS} before they are
 * quoted into SQL; values are bound parameters.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { mergeSweep } from './merge';
import { pointsDir } from './point-files';
import { ident, openResults } from './results-db';
import type { SweepAxisInfo, SweepInfo, SweepMetric, SweepSeries, SweepSeriesRequest } from './view-types';

/** Metrics the view offers (columns of `results`). */
export const SWEEP_METRICS: readonly SweepMetric[] = [
  { key: 'bitmap_read_ns', label: 'bitmap-read time', unit: 'ns' },
  { key: 'downtime_ns', label: 'downtime', unit: 'ns' },
  { key: 'migration_ns', label: 'migration time (enable to switch-over)', unit: 'ns' },
  { key: 'total_ns', label: 'total time incl. set-up', unit: 'ns' },
  { key: 'invalidations', label: 'invalidation commands', unit: 'count' },
  { key: 'missed_pages', label: 'dirty pages lost', unit: 'count' },
  { key: 'rounds', label: 'pre-copy rounds', unit: 'count' },
  { key: 'dirty_pages', label: 'dirty pages reported', unit: 'count' },
  { key: 'pte_reads', label: 'PTE reads', unit: 'count' },
  { key: 'pte_writes_atomic', label: 'atomic A/D updates', unit: 'count' },
  { key: 'dma_accesses', label: 'DMA accesses', unit: 'count' },
  { key: 'bytes_sent', label: 'bytes sent', unit: 'bytes' },
  { key: 'iotlb_miss_rate', label: 'IOTLB miss rate', unit: 'rate' },
  { key: 'switchover_ns', label: 'switch-over collection', unit: 'ns' },
  { key: 'enable_ns', label: 'enable dirty tracking', unit: 'ns' },
];

/** A view query failure: ENOENT (no such file/dir), EINVAL (not a sweep result, unknown axis or metric). */
export interface ViewError {
  code: 'ENOENT' | 'EINVAL' | 'EIO';
  message: string;
}

type Result<T> = { ok: true; value: T } | { ok: false; error: ViewError };

async function withResults<T>(path: string, fn: (c: DuckDBConnection) => Promise<T>): Promise<Result<T>> {
  if (!existsSync(path)) return { ok: false, error: { code: 'ENOENT', message: `${path}: no such file` } };
  let db: Awaited<ReturnType<typeof openResults>>;
  try {
    db = await openResults(path);
  } catch (e) {
    return { ok: false, error: { code: 'EINVAL', message: `${path}: not a DuckDB results database (${(e as Error).message.split('\n')[0]})` } };
  }
  try {
    return { ok: true, value: await fn(db.conn) };
  } catch (e) {
    return { ok: false, error: { code: 'EINVAL', message: `${path}: ${(e as Error).message.split('\n')[0]}` } };
  } finally {
    db.conn.closeSync();
    db.instance.closeSync();
  }
}

async function rows(c: DuckDBConnection, sql: string, values: (number | string | boolean)[] = []): Promise<Record<string, unknown>[]> {
  return (await c.runAndReadAll(sql, values)).getRowObjectsJson() as Record<string, unknown>[];
}

async function readAxes(c: DuckDBConnection): Promise<(SweepAxisInfo & { type: string })[]> {
  const axes = (await rows(c, 'SELECT path, unit, type FROM axes ORDER BY position')) as { path: string; unit: string | null; type: string }[];
  const out: (SweepAxisInfo & { type: string })[] = [];
  for (const a of axes) {
    const numeric = a.type === 'BIGINT' || a.type === 'DOUBLE';
    const vals = await rows(c, `SELECT DISTINCT ${numeric ? `${ident(a.path)}::DOUBLE` : `${ident(a.path)}::VARCHAR`} AS v FROM points WHERE ${ident(a.path)} IS NOT NULL ORDER BY 1`);
    out.push({ path: a.path, unit: a.unit === 'bytes' ? 'bytes' : null, numeric, type: a.type, values: vals.map((r) => r.v as number | string) });
  }
  return out;
}

/** Newest modification time of the point files under `dir`, ms (0 when none). */
function newestPoint(dir: string): number {
  const p = pointsDir(dir);
  if (!existsSync(p)) return 0;
  return Math.max(0, ...readdirSync(p).filter((n) => n.endsWith('.sqlite')).map((n) => statSync(join(p, n)).mtimeMs));
}

/**
 * Open a sweep result: a results.duckdb file, or a sweep output directory (its
 * results.duckdb, merged first when missing or older than a point file).
 */
export async function openSweepResult(pathArg: string): Promise<Result<SweepInfo>> {
  let path = resolve(pathArg);
  let merged = false;
  if (existsSync(path) && statSync(path).isDirectory()) {
    const dir = path;
    path = join(dir, 'results.duckdb');
    if (!existsSync(path) || statSync(path).mtimeMs < newestPoint(dir)) {
      const m = await mergeSweep([dir], path, { force: true });
      if (!m.ok) return { ok: false, error: { code: m.error.code === 'EEXIST' ? 'EIO' : m.error.code, message: m.error.message } };
      merged = true;
    }
  }
  return withResults(path, async (c) => {
    const meta = Object.fromEntries(((await rows(c, 'SELECT key, value FROM sweep')) as { key: string; value: string }[]).map((r) => [r.key, r.value]));
    const axes = (await readAxes(c)).map(({ type: _t, ...a }) => a);
    const vendors = (await rows(c, 'SELECT DISTINCT vendor FROM results ORDER BY vendor')).map((r) => r.vendor as string);
    const points = Number((await rows(c, 'SELECT count(*)::INTEGER AS n FROM points'))[0].n);
    return { path, name: meta.name ?? '', hash: meta.hash ?? '', count: Number(meta.count ?? points), points, vendors, axes, metrics: [...SWEEP_METRICS], merged };
  });
}

/** A metric over one axis per vendor: mean, min and max of the pooled points at each x. */
export async function sweepSeries(q: SweepSeriesRequest): Promise<Result<SweepSeries>> {
  const metric = SWEEP_METRICS.find((m) => m.key === q.metric);
  if (!metric) return { ok: false, error: { code: 'EINVAL', message: `unknown metric ${JSON.stringify(q.metric)} (${SWEEP_METRICS.map((m) => m.key).join(', ')})` } };
  return withResults(resolve(q.path), async (c) => {
    const axes = await readAxes(c);
    const x = axes.find((a) => a.path === q.x);
    if (!x) throw new Error(`no axis ${JSON.stringify(q.x)} (axes: ${axes.map((a) => a.path).join(', ')})`);
    const where = [`status <> 'failed'`];
    const values: (number | string | boolean)[] = [];
    for (const [path, v] of Object.entries(q.filters)) {
      const a = axes.find((ax) => ax.path === path);
      if (!a || a.path === x.path) throw new Error(`filter on ${JSON.stringify(path)}: not an axis other than x`);
      where.push(`${a.numeric ? `${ident(path)}::DOUBLE` : `${ident(path)}::VARCHAR`} = ?`);
      values.push(a.numeric ? Number(v) : String(v));
    }
    const xExpr = x.numeric ? `${ident(x.path)}::DOUBLE` : `${ident(x.path)}::VARCHAR`;
    const m = `${ident(metric.key)}::DOUBLE`;
    const r = (await rows(
      c,
      `SELECT ${xExpr} AS x, vendor, avg(${m}) AS mean, min(${m}) AS lo, max(${m}) AS hi, count(*)::INTEGER AS n,
              list(struct_pack(point := point, file := file, run_id := run_id, value := ${m}) ORDER BY point) AS runs
       FROM results WHERE ${where.join(' AND ')} GROUP BY ALL ORDER BY x, vendor`,
      values,
    )) as { x: number | string; vendor: string; mean: number | null; lo: number | null; hi: number | null; n: number; runs: { point: number; file: string; run_id: number | null; value: number | null }[] }[];
    const xs = x.values;
    const vendors = [...new Set(r.map((row) => row.vendor))].sort();
    return {
      x: { path: x.path, unit: x.unit, numeric: x.numeric, values: xs },
      metric,
      vendors: vendors.map((vendor) => {
        const at = (v: number | string): (typeof r)[number] | undefined => r.find((row) => row.vendor === vendor && row.x === v);
        return {
          vendor,
          mean: xs.map((v) => at(v)?.mean ?? null),
          min: xs.map((v) => at(v)?.lo ?? null),
          max: xs.map((v) => at(v)?.hi ?? null),
          n: xs.map((v) => at(v)?.n ?? 0),
          runs: xs.map((v) => (at(v)?.runs ?? []).map((k) => ({ point: k.point, file: k.file, runId: k.run_id, value: k.value }))),
        };
      }),
    };
  });
}
