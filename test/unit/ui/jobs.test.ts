import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ComparisonView, ComparisonResult, PageTableMap, PageTableWalk, ProgressEvent, RunSummary } from '../../../electron/api';
import { EngineHost, type HostOutbound } from '../../../electron/host/engine-host';
import { SMALL_SCENARIO } from './scenarios';

const dir = mkdtempSync(join(tmpdir(), 'wb-jobs-'));

function hostWithEvents(): { host: EngineHost; events: ProgressEvent[] } {
  const events: ProgressEvent[] = [];
  const host = new EngineHost({ shell: 'web', electronVersion: null, post: (m: HostOutbound) => m.type === 'progress' && events.push(m.event) });
  return { host, events };
}

describe('runComparison job (worker thread, progress, cancel)', () => {
  it('records one run per vendor with per-vendor round progress and stores the explanations', async () => {
    const { host, events } = hostWithEvents();
    const dbPath = join(dir, 'small.sqlite');
    writeFileSync(dbPath, ''); // an empty file, as "create if missing" leaves it
    const r = await host.handle('1', 'runComparison', { scenarioText: SMALL_SCENARIO, dbPath, jobId: 'job1' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value as ComparisonResult;
    expect(v.cancelled).toBe(false);
    expect(v.runIds).toHaveLength(3);
    expect(v.failed).toEqual([]);
    expect(v.explanations.length).toBeGreaterThan(0);
    const labels = [...new Set(events.map((e) => e.label))];
    expect(labels.sort()).toEqual(['AMD-Vi', 'Arm SMMUv3', 'Intel VT-d']);
    expect(events.every((e) => e.callId === 'job1' && e.total <= 4 && e.done <= e.total)).toBe(true);
    // Each vendor ends with done === total (the rounds it ran).
    for (const l of labels) {
      const last = events.filter((e) => e.label === l).at(-1);
      expect(last && last.done === last.total && last.done > 0).toBe(true);
    }

    expect(await host.handle('2', 'openDatabase', { path: dbPath })).toMatchObject({ ok: true, value: { ours: true, runs: 3 } });
    const runs = (await host.handle('3', 'listRuns', {})) as { ok: true; value: RunSummary[] };
    expect(runs.value.map((x) => [x.vendor, x.status, x.scenario])).toEqual([
      ['amd', 'complete', 'ui-small'],
      ['intel', 'complete', 'ui-small'],
      ['smmuv3', 'complete', 'ui-small'],
    ]);
    const notes = (await host.handle('4', 'comparisonNotes', { runIds: v.runIds.slice(0, 2) })) as { ok: true; value: ComparisonView | null };
    expect(notes.value?.explanations).toEqual(v.explanations);

    // Page tables at the end of each run, rebuilt by re-simulation and checked against the recording.
    const formats: string[] = [];
    for (const id of v.runIds) {
      const w = (await host.handle('5', 'pageTableWalk', { runId: id, iova: 0x1000 })) as { ok: true; value: PageTableWalk };
      expect(w.ok).toBe(true);
      expect(w.value.matchesRecording).toBe(true);
      formats.push(w.value.format);
      const leaf = w.value.levels.at(-1)!;
      expect(leaf.kind).toBe('OA');
      expect(w.value.levels.slice(0, -1).every((l) => l.kind === 'TABLE')).toBe(true);
      const m = (await host.handle('6', 'pageTableMap', { runId: id, start: 0, end: w.value.guestBytes, cells: 16 })) as { ok: true; value: PageTableMap };
      expect(m.value.sizeLg2).toEqual(new Array(16).fill(12));
      expect(m.value.cellBytes).toBe(w.value.guestBytes / 16);
      const out = (await host.handle('7', 'pageTableMap', { runId: id, start: w.value.guestBytes, end: w.value.guestBytes * 2, cells: 4 })) as { ok: true; value: PageTableMap };
      expect(out.value.sizeLg2).toEqual([0, 0, 0, 0]);
    }
    expect(formats).toEqual(['amdv1', 'vtdss', 'armv8']);
    host.dispose();
  }, 60_000);

  it('stops its vendors when cancelled (the pool terminates them) and keeps what was recorded', async () => {
    const { host, events } = hostWithEvents();
    const dbPath = join(dir, 'cancel.sqlite');
    const big = JSON.parse(SMALL_SCENARIO) as { migration: { maxRounds: number; downtimeMs: number } };
    big.migration = { maxRounds: 200, downtimeMs: 0.000001 };
    const pending = host.handle('1', 'runComparison', { scenarioText: JSON.stringify(big), dbPath, jobId: 'job2' });
    await expect.poll(() => events.some((e) => e.done >= 1), { timeout: 30_000 }).toBe(true);
    expect(await host.handle('2', 'cancelJob', { jobId: 'job2' })).toEqual({ ok: true, value: { cancelled: true } });
    const r = await pending;
    // Vendors stopped by the cancel are not reported as failures.
    expect(r).toMatchObject({ ok: true, value: { cancelled: true, failed: [] } });
    // Every vendor stopped well before its 200 rounds; no run is marked complete.
    expect(Math.max(...events.map((e) => e.done))).toBeLessThan(200);
    const db = new Database(dbPath, { readonly: true });
    const runs = db.prepare('SELECT vendor, status FROM run ORDER BY id').all();
    db.close();
    expect(runs).toEqual(['amd', 'intel', 'smmuv3'].map((vendor) => ({ vendor, status: 'failed' })));
    host.dispose();
  }, 60_000);

  it('refuses a page-table rebuild for a run without a complete scenario', async () => {
    const { host } = hostWithEvents();
    const { writeFixture } = await import('./fixture');
    const fx = await writeFixture(join(dir, 'fx.sqlite'), { steps: 50, vendors: ['amd'] });
    await host.handle('1', 'openDatabase', { path: fx.path });
    expect(await host.handle('2', 'pageTableWalk', { runId: fx.runIds[0], iova: 0 })).toMatchObject({ ok: false, error: { code: 'EMEDIUMTYPE' } });
    expect(await host.handle('3', 'pageTableWalk', { runId: 99, iova: 0 })).toMatchObject({ ok: false, error: { code: 'ENOENT' } });
    host.dispose();
  });

  it('refuses a bad scenario with its line and column, and an unknown preset', async () => {
    const { host } = hostWithEvents();
    const bad = await host.handle('1', 'runComparison', { scenarioText: '{\n  "name": "x",\n  "guest": { "memory": "lots" }\n}', dbPath: join(dir, 'x.sqlite'), jobId: 'j3' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(JSON.stringify(bad)).toMatch(/scenario:3:\d+ guest\.memory/);
    expect(await host.handle('2', 'runComparison', { preset: 'nope', dbPath: join(dir, 'x.sqlite'), jobId: 'j4' })).toMatchObject({ ok: false, error: { code: 'ENOENT' } });
    expect(await host.handle('3', 'runComparison', { preset: 'nic-rx-16g', dbPath: '/nonexistent/dir/x.sqlite', jobId: 'j5' })).toMatchObject({ ok: false, error: { code: 'ENOENT' } });
  });
});
