/**
 * Layout of a sweep's output directory:
 *
 *   DIR/sweep.json                    the sweep, self-contained (base inlined), with its hash
 *   DIR/points/p-000012.sqlite        point 12, complete: a sealed trace database
 *   DIR/points/.p-000012.HOST.PID.partial   point 12 being recorded by process PID on HOST
 *
 * A point file appears under its final name only by an atomic rename after it was sealed
 * (core/store/sealed-file.ts), so "the final file exists" means "the point is complete"; a
 * partial left by a killed process is removed and the point redone.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { selfContained, type SweepPlan } from './plan';
import { planFromText } from './sweep-file';

/** Name of the meta entry a point file carries ({@link PointMeta} as JSON). */
export const POINT_META_KEY = 'sweep_point';

/** The `sweep_point` meta entry of a point file. */
export interface PointMeta {
  sweep: string;
  /** SweepPlan.hash of the sweep the point belongs to. */
  hash: string;
  index: number;
  /** Number of points of the sweep. */
  count: number;
  /** Axis paths in grid order. */
  axes: string[];
  /** Axis path → 'bytes' for size axes. */
  units: Record<string, 'bytes'>;
  /** Axis path → value in the validated scenario (sizes in bytes). */
  params: Record<string, unknown>;
  /** Vendors whose run failed, with the engine's message (a result, not an error of the sweep). */
  failed: { vendor: string; message: string }[];
  /** Wall-clock time of the point, ms (machine-dependent; for estimates and benchmarks). */
  wallMs: number;
  /** Peak resident set of the process that ran the point, bytes (process.resourceUsage().maxRSS). */
  maxRssBytes: number;
  /** CPU time (user + system) of the point's process up to sealing, ms: unlike wallMs, barely changed by other load on the machine. */
  cpuMs: number;
  host: string;
  finishedAt: string;
  engine: string;
}

/** File name of point `index` (zero-padded to 6 digits so names sort by index). */
export function pointFileName(index: number): string {
  return `p-${String(index).padStart(6, '0')}.sqlite`;
}

/** Index of a point file name, or null when the name is not one. */
export function pointIndexOf(name: string): number | null {
  const m = /^p-(\d{6,7})\.sqlite$/.exec(name);
  return m ? Number(m[1]) : null;
}

export const pointsDir = (dir: string): string => join(dir, 'points');
export const pointPath = (dir: string, index: number): string => join(pointsDir(dir), pointFileName(index));

/** Path of the partial file of point `index` recorded by process `pid` on this host (default: this process). */
export function partialPath(dir: string, index: number, pid: number = process.pid): string {
  return join(pointsDir(dir), `.${pointFileName(index).replace(/\.sqlite$/, '')}.${hostname().replace(/[^A-Za-z0-9-]/g, '_')}.${pid}.partial`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove partial files of point `index` left by processes that are gone (any host's partial
 * counts as gone unless it is this host's and its pid is alive). Returns the names removed.
 */
export function removeStalePartials(dir: string, index: number): string[] {
  const stem = `.${pointFileName(index).replace(/\.sqlite$/, '')}.`;
  const host = hostname().replace(/[^A-Za-z0-9-]/g, '_');
  const removed: string[] = [];
  if (!existsSync(pointsDir(dir))) return removed;
  for (const name of readdirSync(pointsDir(dir))) {
    if (!name.startsWith(stem)) continue;
    const m = /^\.p-\d+\.(.+)\.(\d+)\.partial(-wal|-shm|-journal)?$/.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    if (m[1] === host && pid !== process.pid && pidAlive(pid)) continue;
    rmSync(join(pointsDir(dir), name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Remove the partial of point `index` written by `pid` (default: this process) and its WAL/SHM files. */
export function removeOwnPartial(dir: string, index: number, pid: number = process.pid): void {
  const p = partialPath(dir, index, pid);
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${p}${suffix}`, { force: true });
}

/**
 * Move a sealed partial into place without ever replacing a final file: link(2) fails with
 * EEXIST when another process completed the point first (then this partial is dropped). On file
 * systems without hard links, an atomic rename.
 * @returns 'committed', or 'exists' when the final file was already there.
 */
export function commitPartial(dir: string, index: number): 'committed' | 'exists' {
  const from = partialPath(dir, index);
  const to = pointPath(dir, index);
  try {
    linkSync(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      removeOwnPartial(dir, index);
      return 'exists';
    }
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw e;
    renameSync(from, to);
    return 'committed';
  }
  rmSync(from, { force: true });
  return 'committed';
}

/** Indexes of complete points in `dir` (their final files exist), ascending. */
export function completePoints(dir: string): number[] {
  if (!existsSync(pointsDir(dir))) return [];
  return readdirSync(pointsDir(dir))
    .map(pointIndexOf)
    .filter((i): i is number => i !== null)
    .sort((a, b) => a - b);
}

/** Path of the self-contained sweep file in `dir` (a valid sweep file: `sweep run-point DIR/sweep.json`). */
export const sweepFilePath = (dir: string): string => join(dir, 'sweep.json');

/**
 * Create `dir` (and points/) for `plan`, writing DIR/sweep.json (the sweep with its base
 * inlined), or check that an existing one expands to the same points (same hash).
 * @returns an EEXIST error when `dir` holds another sweep's results.
 */
export function prepareOutDir(plan: SweepPlan, dir: string): { ok: true } | { ok: false; code: 'EEXIST' | 'EIO'; message: string } {
  try {
    mkdirSync(pointsDir(dir), { recursive: true });
    const file = sweepFilePath(dir);
    if (existsSync(file)) {
      const other = planFromText(readFileSync(file, 'utf8'), file, dir);
      const hash = other.ok ? other.plan.hash : '(unreadable)';
      if (hash !== plan.hash) return { ok: false, code: 'EEXIST', message: `${dir} holds the results of another sweep (hash ${hash}, this one ${plan.hash}); use another --out` };
      return { ok: true };
    }
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(selfContained(plan), null, 2)}\n`);
    renameSync(tmp, file);
    return { ok: true };
  } catch (e) {
    return { ok: false, code: 'EIO', message: `${dir}: ${(e as Error).message}` };
  }
}
