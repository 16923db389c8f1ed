/**
 * The vendor pool (core/run/parallel.ts, piscina): the same runs as the sequential executor
 * (`--threads 1`), event for event, and cancellation that drops queued vendors and stops
 * running ones, whose runs the runner marks failed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CANCELLED, parallelExecutor } from '../../../core/run/parallel';
import { runComparison, sequentialExecutor, type VendorExecutor } from '../../../core/scenario/runner';
import { scenarioSchema } from '../../../core/scenario/schema';
import { openRunSink } from '../../../core/store/run-sink';

const dir = mkdtempSync(join(tmpdir(), 'wb-pool-'));
const SMALL = scenarioSchema.parse({ name: 'pool', seed: 11, guest: { memory: '256MiB' }, devices: [{ name: 'nic0', workload: { kind: 'nic-rx', ringBuffers: 4096, packetsPerSec: 200000 } }], migration: { maxRounds: 4, downtimeMs: 1 } });

/** Run SMALL into a new database with `executor(sink)`; returns the summary and each run's events (ts, track, name, iova, length, errno, dur) and counters. */
async function record(name: string, executor: (sink: Parameters<typeof parallelExecutor>[0]) => VendorExecutor | undefined) {
  const path = join(dir, `${name}.sqlite`);
  const s = await openRunSink(path);
  if (!s.ok) throw new Error(s.error.message);
  const r = await runComparison(SMALL, { sink: s.sink, executor: executor(s.sink) });
  await s.sink.close();
  const db = new Database(path, { readonly: true });
  const runs = db.prepare('SELECT id, vendor, status, sim_end_ns FROM run ORDER BY id').all() as { id: number }[];
  const events = runs.map((run) => ({
    slices: db.prepare('SELECT s.ts, s.dur, t.name AS track, s.name, s.iova, s.length, s.errno FROM slice s JOIN track t ON t.id = s.track_id WHERE s.run_id = ? ORDER BY s.ts, t.name, s.name, s.iova, s.dur').all(run.id),
    counters: db.prepare("SELECT t.name, c.ts, c.value FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? ORDER BY t.name, c.ts").all(run.id),
  }));
  db.close();
  return { summary: r.summary, failed: r.failed, runs, events };
}

describe('vendor pool (piscina)', () => {
  it('records the same runs as the sequential executor, event for event', async () => {
    const seq = await record('seq', () => sequentialExecutor);
    const par = await record('par', (sink) => parallelExecutor(sink, 3));
    expect(par.failed).toEqual([]);
    expect(par.summary).toEqual(seq.summary);
    expect(par.runs).toEqual(seq.runs);
    expect(par.events.map((e) => e.slices.length)).toEqual(seq.events.map((e) => e.slices.length));
    expect(par.events[0].slices.length).toBeGreaterThan(20);
    expect(par.events[0].counters.length).toBeGreaterThan(20);
    expect(par.events).toEqual(seq.events);
  }, 120_000);

  it('on abort, drops queued vendors and stops the running one; their runs are marked failed', async () => {
    const path = join(dir, 'cancel.sqlite');
    const s = await openRunSink(path);
    if (!s.ok) throw new Error(s.error.message);
    const abort = new AbortController();
    const big = { ...SMALL, migration: { ...SMALL.migration, maxRounds: 200, downtimeMs: 0.000001 } };
    let maxRound = 0;
    // One thread: the first vendor runs, the other two wait in the queue.
    const r = await runComparison(big, {
      sink: s.sink,
      signal: abort.signal,
      executor: parallelExecutor(s.sink, 1),
      onProgress: (p) => {
        maxRound = Math.max(maxRound, p.round);
        if (p.round >= 1) abort.abort();
      },
    });
    await s.sink.close();
    expect(r.failed).toEqual(['amd', 'intel', 'smmuv3'].map((vendor) => ({ vendor, message: CANCELLED })));
    expect(maxRound).toBeLessThan(200);
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT vendor, status FROM run ORDER BY id').all()).toEqual(['amd', 'intel', 'smmuv3'].map((vendor) => ({ vendor, status: 'failed' })));
    db.close();
  }, 120_000);
});
