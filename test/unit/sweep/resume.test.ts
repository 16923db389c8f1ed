import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeSweep } from '../../../core/sweep/merge';
import { completePoints, pointPath, pointsDir } from '../../../core/sweep/point-files';
import { readPointMeta, runPoint } from '../../../core/sweep/run-point';
import { exited, runToEnd, CLI, startCli, waitFor } from './cli-child';
import { SMALL_BASE, tempDir, writeSweep } from './helpers';

const POINT_CHILD = fileURLToPath(new URL('../../../core/sweep/point-child.ts', import.meta.url));

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

const partials = (dir: string): string[] => (existsSync(pointsDir(dir)) ? readdirSync(pointsDir(dir)).filter((n) => n.includes('.partial')) : []);

/** PIDs of the processes recording the partial files in `dir` (the name ends `.HOST.PID.partial`). */
const partialWriters = (dir: string): number[] => partials(dir).flatMap((n) => /\.(\d+)\.partial$/.exec(n)?.[1] ?? []).map(Number);

/** True while `pid` runs (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('sweep run resumes after SIGKILL', () => {
  it('killing `sweep run` mid-sweep and running it again gives every point exactly once', async () => {
    tmp = tempDir();
    const N = 6;
    const { file, plan } = writeSweep(tmp.dir, { name: 'resume', base: SMALL_BASE, axes: [{ path: 'seed', range: { from: 1, to: N, step: 1 } }] });
    const out = tmp.path('out');
    const child = startCli(['sweep', 'run', file, '--out', out, '--jobs', '1', '--json']);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => completePoints(out).length >= 2 || child.exitCode !== null, 120_000, `two complete points (${stderr})`);
    child.kill('SIGKILL');
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    const before = completePoints(out);
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.length).toBeLessThan(N);
    const inodes = new Map(before.map((i) => [i, statSync(pointPath(out, i)).ino]));

    const again = await runToEnd(CLI[0], [...CLI.slice(1), 'sweep', 'run', file, '--out', out, '--jobs', '2', '--json']);
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
    const r = JSON.parse(again.out) as { done: number; skipped: number; failed: unknown[]; total: number };
    expect(r.failed).toEqual([]);
    // The orphaned worker of the killed run may have finished the point it was on.
    expect(r.skipped).toBeGreaterThanOrEqual(before.length);
    expect(r.done + r.skipped).toBe(N);

    // The killed run's worker for the point in progress is orphaned (it may not even have
    // created its partial at the kill); it stops at its next round boundary and must leave
    // nothing behind, so wait for the writers of any partial still there to end.
    await waitFor(() => !partialWriters(out).some(alive), 120_000, `orphaned point workers ${partialWriters(out).join(', ')} to stop`);
    // Every point once, named by its index, recorded for its own parameters; nothing partial.
    expect(completePoints(out)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(partials(out)).toEqual([]);
    for (let i = 0; i < N; i++) {
      expect(readPointMeta(pointPath(out, i))).toMatchObject({ index: i, hash: plan.hash, params: { seed: i + 1 } });
      const db = new Database(pointPath(out, i), { readonly: true });
      expect(db.prepare('SELECT vendor, seed, status FROM run ORDER BY id').all()).toEqual([
        { vendor: 'amd', seed: i + 1, status: 'complete' },
        { vendor: 'smmuv3', seed: i + 1, status: 'complete' },
      ]);
      db.close();
    }
    // Points complete before the kill were not redone.
    for (const [i, ino] of inodes) expect(statSync(pointPath(out, i)).ino).toBe(ino);
    const m = await mergeSweep([out], tmp.path('r.duckdb'));
    expect(m.ok && m.report).toMatchObject({ points: N, missing: [], results: 2 * N });
  }, 240_000);

  it('a point whose process was killed mid-run leaves only a partial file, which the next run removes and redoes', async () => {
    tmp = tempDir();
    // Large enough that the partial exists for a while (1 GiB of 4 KiB pages per vendor).
    const { file, plan } = writeSweep(tmp.dir, { name: 'kill', base: { ...SMALL_BASE, guest: { memory: '1GiB' } }, axes: [{ path: 'seed', values: [1] }] });
    const out = tmp.path('out');
    const child = startCli(['sweep', 'run-point', file, '--out', out], { SLURM_ARRAY_TASK_ID: '0' });
    await waitFor(() => partials(out).some((n) => n.endsWith('.partial')) || child.exitCode !== null, 120_000, 'the partial file');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    expect(completePoints(out)).toEqual([]);
    expect(partials(out).length).toBeGreaterThan(0);

    const r = await runPoint(plan, 0, out);
    expect(r.ok && r.outcome.status).toBe('done');
    expect(partials(out)).toEqual([]);
    expect(completePoints(out)).toEqual([0]);
    const db = new Database(pointPath(out, 0), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare('SELECT count(*) AS n FROM run').get() as { n: number }).n).toBe(2);
    db.close();
  }, 240_000);
});

describe('a point worker whose parent is already gone', () => {
  it('does not run the point when the pid it was given is not its parent (parent killed before the worker started)', async () => {
    tmp = tempDir();
    const { file } = writeSweep(tmp.dir, { name: 'orphan', base: SMALL_BASE, axes: [{ path: 'seed', values: [1] }] });
    const out = tmp.path('out');
    mkdirSync(pointsDir(out), { recursive: true });
    // pid 1 stands for a parent that died before the worker started (the worker's ppid differs).
    const child = await runToEnd(process.execPath, ['--import', 'tsx', POINT_CHILD, file, '0', out, '1']);
    expect(child.code).toBe(1);
    const lines = child.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; error?: { code: string } });
    expect(lines.at(-1)).toMatchObject({ type: 'error', error: { code: 'ECANCELED' } });
    expect(completePoints(out)).toEqual([]);
    expect(partials(out)).toEqual([]);
  }, 60_000);
});
