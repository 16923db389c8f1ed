/**
 * The merged results of a sweep: one DuckDB file (`sweep merge`), queryable with SQL
 * (`sweep query`) and read by the Sweep view. DuckDB's own sqlite extension would ATTACH the
 * per-point files directly, but it is downloaded on first use (INSTALL sqlite) and this project
 * must work offline, so the per-point files are read with better-sqlite3 (core/store) and
 * appended here with DuckDB's appender.
 *
 * Tables (times in simulated ns, sizes in bytes; one column per swept path, named by the path,
 * e.g. "guest.memory" — quote it in SQL):
 *   sweep(key, value)                 name, hash, point count, description, base scenario JSON
 *   axes(position, path, unit, type)  the swept paths in grid order ('bytes' for sizes)
 *   points(point, <paths>, file, vendors, failed, wall_ms, cpu_ms, max_rss_bytes, host, finished_at)
 *   results(point, <paths>, vendor, status, run_id, file, <summary metrics>, message)
 *   rounds(point, <paths>, vendor, round, ts, dur, bytes_sent, dirty_pages, …)
 */
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';

/** SQL type of a swept column, from the values it takes. */
export type ParamType = 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'VARCHAR';

/** One swept column. */
export interface ParamColumn {
  path: string;
  unit: 'bytes' | null;
  type: ParamType;
}

/** Summary metrics of a vendor run, in `results` column order (VendorTotals of core/scenario/compare.ts). */
export const RESULT_METRICS = [
  ['rounds', 'INTEGER'],
  ['converged', 'BOOLEAN'],
  ['dirty_pages', 'BIGINT'],
  ['missed_pages', 'BIGINT'],
  ['bitmap_read_ns', 'DOUBLE'],
  ['pte_reads', 'BIGINT'],
  ['pte_writes_atomic', 'BIGINT'],
  ['invalidations', 'BIGINT'],
  ['iotlb_miss_rate', 'DOUBLE'],
  ['faults', 'BIGINT'],
  ['dma_accesses', 'BIGINT'],
  ['bytes_sent', 'BIGINT'],
  ['downtime_ns', 'DOUBLE'],
  ['switchover_ns', 'DOUBLE'],
  ['total_ns', 'DOUBLE'],
  ['enable_ns', 'DOUBLE'],
  // The headline of issue 14: enable to switch-over (VendorTotals.migrationNs), and the set-up
  // (mapping the guest, attach) total_ns includes; null in point files recorded before them.
  ['migration_ns', 'DOUBLE'],
  ['setup_ns', 'DOUBLE'],
] as const;

/** Per-round series columns (RoundReport of core/workload/migration.ts). */
export const ROUND_METRICS = [
  ['round', 'INTEGER'],
  ['ts', 'DOUBLE'],
  ['dur', 'DOUBLE'],
  ['bytes_sent', 'BIGINT'],
  ['dirty_pages', 'BIGINT'],
  ['missed_pages', 'BIGINT'],
  ['bitmap_read_ns', 'DOUBLE'],
  ['dma_accesses', 'BIGINT'],
  ['iotlb_miss_rate', 'DOUBLE'],
] as const;

type Cell = number | string | boolean | null;

/** Quote an SQL identifier. */
export const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** The type of a column holding `values`. */
export function paramType(values: unknown[]): ParamType {
  if (values.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (values.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) return 'BIGINT';
  if (values.every((v) => typeof v === 'number' && Number.isFinite(v))) return 'DOUBLE';
  return 'VARCHAR';
}

/** A parameter value as stored in a column of `type`. */
export function paramCell(v: unknown, type: ParamType): Cell {
  if (v === undefined || v === null) return null;
  if (type === 'VARCHAR') return typeof v === 'string' ? v : JSON.stringify(v);
  return v as number | boolean;
}

function append(a: DuckDBAppender, types: readonly string[], row: readonly Cell[]): void {
  for (let i = 0; i < types.length; i++) {
    const v = row[i];
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) a.appendNull();
    else if (types[i] === 'BIGINT') a.appendBigInt(BigInt(Math.round(v as number)));
    else if (types[i] === 'INTEGER') a.appendInteger(v as number);
    else if (types[i] === 'DOUBLE') a.appendDouble(v as number);
    else if (types[i] === 'BOOLEAN') a.appendBoolean(v as boolean);
    else a.appendVarchar(String(v));
  }
  a.endRow();
}

/** A results database being written: create the tables, then append rows table by table. */
export class ResultsWriter {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly params: ParamColumn[],
  ) {}

  /** Create `path` (must not exist) with the tables for these swept columns. */
  static async create(path: string, params: ParamColumn[]): Promise<ResultsWriter> {
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    const p = params.map((c) => `${ident(c.path)} ${c.type}`);
    const cols = (defs: readonly (readonly [string, string])[]): string[] => defs.map(([n, t]) => `${n} ${t}`);
    await conn.run(`CREATE TABLE sweep(key VARCHAR PRIMARY KEY, value VARCHAR)`);
    await conn.run(`CREATE TABLE axes(position INTEGER, path VARCHAR, unit VARCHAR, type VARCHAR)`);
    await conn.run(`CREATE TABLE points(${['point INTEGER PRIMARY KEY', ...p, 'file VARCHAR', 'vendors INTEGER', 'failed INTEGER', 'wall_ms BIGINT', 'cpu_ms BIGINT', 'max_rss_bytes BIGINT', 'host VARCHAR', 'finished_at VARCHAR'].join(', ')})`);
    await conn.run(`CREATE TABLE results(${['point INTEGER', ...p, 'vendor VARCHAR', 'status VARCHAR', 'run_id INTEGER', 'file VARCHAR', ...cols(RESULT_METRICS), 'message VARCHAR'].join(', ')})`);
    await conn.run(`CREATE TABLE rounds(${['point INTEGER', ...p, 'vendor VARCHAR', ...cols(ROUND_METRICS)].join(', ')})`);
    const w = new ResultsWriter(instance, conn, params);
    const a = await conn.createAppender('axes');
    params.forEach((c, i) => append(a, ['INTEGER', 'VARCHAR', 'VARCHAR', 'VARCHAR'], [i, c.path, c.unit, c.type]));
    a.closeSync();
    return w;
  }

  /** Appenders of the row tables, in column order. */
  async appenders(): Promise<{ sweep: DuckDBAppender; points: DuckDBAppender; results: DuckDBAppender; rounds: DuckDBAppender }> {
    return {
      sweep: await this.conn.createAppender('sweep'),
      points: await this.conn.createAppender('points'),
      results: await this.conn.createAppender('results'),
      rounds: await this.conn.createAppender('rounds'),
    };
  }

  private paramCells(params: Record<string, unknown>): Cell[] {
    return this.params.map((c) => paramCell(params[c.path], c.type));
  }

  sweepRow(a: DuckDBAppender, key: string, value: string): void {
    append(a, ['VARCHAR', 'VARCHAR'], [key, value]);
  }

  pointRow(a: DuckDBAppender, point: number, params: Record<string, unknown>, rest: [file: string, vendors: number, failed: number, wallMs: number, cpuMs: number | null, maxRss: number, host: string, finishedAt: string]): void {
    append(a, ['INTEGER', ...this.params.map((c) => c.type), 'VARCHAR', 'INTEGER', 'INTEGER', 'BIGINT', 'BIGINT', 'BIGINT', 'VARCHAR', 'VARCHAR'], [point, ...this.paramCells(params), ...rest]);
  }

  resultRow(a: DuckDBAppender, point: number, params: Record<string, unknown>, head: [vendor: string, status: string, runId: number | null, file: string], metrics: Cell[], message: string | null): void {
    append(a, ['INTEGER', ...this.params.map((c) => c.type), 'VARCHAR', 'VARCHAR', 'INTEGER', 'VARCHAR', ...RESULT_METRICS.map(([, t]) => t), 'VARCHAR'], [point, ...this.paramCells(params), ...head, ...metrics, message]);
  }

  roundRow(a: DuckDBAppender, point: number, params: Record<string, unknown>, vendor: string, metrics: Cell[]): void {
    append(a, ['INTEGER', ...this.params.map((c) => c.type), 'VARCHAR', ...ROUND_METRICS.map(([, t]) => t)], [point, ...this.paramCells(params), vendor, ...metrics]);
  }

  /** Flush the appenders, checkpoint and close the file. */
  async close(appenders: DuckDBAppender[]): Promise<void> {
    for (const a of appenders) a.closeSync();
    await this.conn.run('CHECKPOINT');
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** Open a results database read-only. */
export async function openResults(path: string): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  return { instance, conn: await instance.connect() };
}

/** Run SQL on a results database (read-only) and return the column names and rows as JSON values. */
export async function queryResults(path: string, sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  const { instance, conn } = await openResults(path);
  try {
    const r = await conn.runAndReadAll(sql);
    return { columns: r.columnNames(), rows: r.getRowObjectsJson() as Record<string, unknown>[] };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
