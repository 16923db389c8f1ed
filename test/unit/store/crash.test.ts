import { afterEach, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openStore } from '../../../core/store/db';
import { listRunRows } from '../../../core/store/queries/slices';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

const BATCH = 20_000;

test('SIGKILL while writing loses at most the batch in flight; the file opens, passes integrity_check, run marked incomplete', async () => {
  tmp = tempDir();
  const path = tmp.path('crash.sqlite');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./crash-child.ts', import.meta.url)), path, String(BATCH)], {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Kill once at least 5 batches are committed (read from the child's progress lines).
  const lastCommitted = await new Promise<number>((resolve, reject) => {
    let buf = '';
    let last = 0;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) last = Math.max(last, Number(l));
      if (last >= 5 * BATCH && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
        resolve(last);
      }
    });
    child.on('exit', (code, sig) => {
      if (sig !== 'SIGKILL') reject(new Error(`child exited early (${code}): ${stderr}`));
    });
  });
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on('exit', r)));
  expect(child.signalCode).toBe('SIGKILL');

  // Integrity first, on a raw read-only connection (nothing repaired yet).
  const raw = new Database(path, { readonly: true });
  expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
  const n = (raw.prepare('SELECT count(*) AS n FROM slice_data').get() as { n: number }).n;
  expect(raw.prepare('SELECT status FROM run').get()).toEqual({ status: 'running' });
  raw.close();
  // Committed work is all there, and only whole batches (one transaction per batch).
  expect(n).toBeGreaterThanOrEqual(lastCommitted);
  expect(n % BATCH).toBe(0);

  // Next writable open marks the run incomplete and rebuilds its statistics.
  const o = openStore(path, { mode: 'write', check: 'full' });
  if (!o.ok) throw new Error(o.error.message);
  const [run] = listRunRows(o.db);
  expect(run.status).toBe('incomplete');
  expect(run.simEndNs).toBe((n - 1) * 10 + 5);
  expect(o.db.prepare('SELECT count FROM slice_name_stats WHERE run_id = ?').get(run.id)).toEqual({ count: n });
  o.db.close();
}, 60_000);
