/**
 * One writer per database (issue 13): a second process is refused with a message naming the
 * file and the writer's pid (it used to die with "writer worker failed"), a dead writer's
 * claim is taken over and its runs become 'incomplete', each vendor's run is complete as
 * soon as its own events are written, and the UI's jobs refuse a second job on one file
 * and more than MAX_CONCURRENT_JOBS at once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../core/store/db';
import { runComparison, type RunSink } from '../../../core/scenario/runner';
import { parallelExecutor } from '../../../core/run/parallel';
import { parseScenario } from '../../../core/scenario/load';
import { NULL_RECORDER } from '../../../core/trace/types';
import { EngineHost } from '../../../electron/host/engine-host';
import { MAX_CONCURRENT_JOBS } from '../../../electron/host/jobs';
import { cli, recordedDb, snapshot, tempDir } from './helpers';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SMALL = { name: 'small', seed: 3, guest: { memory: '256MiB' }, devices: [{ name: 'nvme0', workload: { kind: 'nvme-read', iops: 50000 } }], migration: { maxRounds: 3, downtimeMs: 5 } };
/** A comparison long enough to still run while the test starts a second job. */
const SLOW = { ...SMALL, name: 'slow', guest: { memory: '2GiB' }, migration: { maxRounds: 200, downtimeMs: 0.001 } };

let tmp: ReturnType<typeof tempDir>;
let child: ChildProcess | null = null;
afterEach(() => {
  child?.kill('SIGKILL');
  child = null;
  tmp?.cleanup();
});

/** Start test/unit/store/crash-child.ts (records forever) on `path`; resolves once it has committed. */
async function writerChild(path: string): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--import', 'tsx', 'test/unit/store/crash-child.ts', path, '1000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    c.stdout!.once('data', () => resolve());
    c.on('exit', (code) => reject(new Error(`writer child exited ${code}`)));
  });
  return c;
}

describe('one writer per database', () => {
  it('a second process is refused (exit 2, BUSY, file and pid named); after a kill -9 the claim is taken over and the dead run is incomplete', async () => {
    tmp = tempDir();
    const db = tmp.path('shared.sqlite');
    const file = tmp.path('small.json');
    writeFileSync(file, JSON.stringify(SMALL));
    child = await writerChild(db);
    const r = await cli(['compare', file, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`error: BUSY: ${db}: being recorded by another process (pid ${child.pid}, since ${r.err.match(/since ([^)]+)\)/)![1]}); one writer at a time: wait for it to finish, or record into another file`);
    child.kill('SIGKILL');
    await new Promise((ok) => child!.once('exit', ok));
    child = null;
    const ok = await cli(['compare', file, '--db', db, '--json']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const rows = new Database(db, { readonly: true }).prepare('SELECT vendor, status FROM run ORDER BY id').all();
    expect(rows).toEqual([
      { vendor: 'intel', status: 'incomplete' },
      { vendor: 'amd', status: 'complete' },
      { vendor: 'intel', status: 'complete' },
      { vendor: 'smmuv3', status: 'complete' },
    ]);
    // The finished writer released its claim.
    expect(new Database(db, { readonly: true }).prepare("SELECT count(*) AS n FROM meta WHERE key = 'writer'").get()).toEqual({ n: 0 });
  }, 60_000);

  it("each vendor's run is finished as soon as that vendor ends, not after the slowest", async () => {
    const p = parseScenario(JSON.stringify(SMALL));
    if (!p.ok) throw new Error('bad scenario');
    const log: string[] = [];
    let next = 1;
    const sink: RunSink = {
      startRun: async () => ({ runId: next++, recorder: NULL_RECORDER }),
      finishRun: async (runId, _ns, status) => void log.push(`finish ${runId} ${status}`),
    };
    // One thread: vendor 2 starts only after vendor 1 ended; its run must be finished by then.
    await runComparison(p.scenario, { sink, executor: parallelExecutor(null, 1), onProgress: (pr) => pr.phase === 'setup' && log.push(`setup ${pr.vendorIndex + 1}`) });
    // (The pool may take the vendors in any order; each is finished before the next starts.)
    expect(log).toHaveLength(6);
    for (let i = 0; i < 6; i += 2) expect(log[i + 1]).toBe(`finish ${log[i].split(' ')[1]} complete`);
    expect(log.filter((l) => l.startsWith('setup')).sort()).toEqual(['setup 1', 'setup 2', 'setup 3']);
  }, 60_000);
});

describe('UI jobs', () => {
  it('refuse a second job on the same database and more than MAX_CONCURRENT_JOBS at once (EBUSY)', async () => {
    tmp = tempDir();
    const host = new EngineHost({ shell: 'web', electronVersion: null, post: () => {} });
    const a = host.handle('1', 'runComparison', { scenarioText: JSON.stringify(SLOW), dbPath: tmp.path('a.sqlite'), jobId: 'a' });
    const same = await host.handle('2', 'runComparison', { scenarioText: JSON.stringify(SMALL), dbPath: tmp.path('a.sqlite'), jobId: 'b' });
    expect(same).toMatchObject({ ok: false, error: { code: 'EBUSY' } });
    if (!same.ok) expect(same.error.message).toContain(`${tmp.path('a.sqlite')}: job a is recording into it`);
    const jobs = [a];
    for (let i = 1; i < MAX_CONCURRENT_JOBS; i++) jobs.push(host.handle(`3${i}`, 'runComparison', { scenarioText: JSON.stringify(SLOW), dbPath: tmp.path(`j${i}.sqlite`), jobId: `j${i}` }));
    const over = await host.handle('4', 'replayTrace', { traceText: 'x', traceName: 't.txt', vendors: ['amd'], flush: 'strict', dma: 'none', dbPath: tmp.path('c.sqlite'), jobId: 'c' });
    expect(over).toMatchObject({ ok: false, error: { code: 'EBUSY' } });
    if (!over.ok) expect(over.error.message).toContain(`at most ${MAX_CONCURRENT_JOBS} at once`);
    await host.handle('5', 'cancelJob', { jobId: 'a' });
    for (let i = 1; i < MAX_CONCURRENT_JOBS; i++) await host.handle('6', 'cancelJob', { jobId: `j${i}` });
    await Promise.all(jobs);
    expect(readdirSync(tmp.dir)).not.toContain('c.sqlite');
    host.dispose();
  }, 120_000);
});

describe('databases that cannot be written', () => {
  it('a validation that refuses a WAL-mode file leaves no -wal/-shm behind', () => {
    tmp = tempDir();
    const foreign = tmp.path('foreign.sqlite');
    const f = new Database(foreign);
    f.pragma('journal_mode = WAL');
    f.exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('app', 'other-tool')");
    f.close();
    const before = snapshot(tmp.dir);
    for (const mode of ['read', 'write'] as const) {
      const r = openStore(foreign, { mode });
      expect(!r.ok && r.error.code).toBe('FOREIGN');
      expect(snapshot(tmp.dir)).toEqual(before);
    }
  });

  it('a locked database gives a one-line BUSY error naming the file', async () => {
    tmp = tempDir();
    const db = tmp.path('locked.sqlite');
    await recordedDb(db);
    const holder = new Database(db);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const file = tmp.path('small.json');
      writeFileSync(file, JSON.stringify(SMALL));
      const r = await cli(['compare', file, '--db', db]);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`^error: BUSY: ${db}: database is locked \\(another program holds a lock on it`));
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  }, 30_000);

  // chattr +i makes a file read-only even for root (the tests may run as root).
  const chattr = process.platform === 'linux' && spawnSync('chattr', ['--help']).error === undefined;
  it.runIf(chattr)('a read-only (immutable) database gives a one-line READONLY error naming the file, and stays as it was', async () => {
    tmp = tempDir();
    const db = tmp.path('ro.sqlite');
    await recordedDb(db);
    const file = tmp.path('small.json');
    writeFileSync(file, JSON.stringify(SMALL));
    const before = snapshot(tmp.dir);
    if (spawnSync('chattr', ['+i', db]).status !== 0) return; // filesystem without the attribute
    try {
      const r = await cli(['compare', file, '--db', db]);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`^error: READONLY: ${db}: cannot write \\(`));
    } finally {
      spawnSync('chattr', ['-i', db]);
    }
    expect(snapshot(tmp.dir)).toEqual(before);
  }, 30_000);
});
