import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiMethods, ApiResult, CounterSeries, EventsPage, FaultsReport, RunSummary } from '../../../electron/api';
import { EngineHost } from '../../../electron/host/engine-host';
import { writeFixture, KNOWN_IOVA, type FixtureInfo } from './fixture';

const dir = mkdtempSync(join(tmpdir(), 'wb-ui-'));
const host = new EngineHost({ shell: 'web', electronVersion: null, post: () => {} });
let fx: FixtureInfo;
let sql: Database.Database;
let n = 0;

async function call<M extends keyof ApiMethods>(method: M, req: unknown): Promise<ApiResult<ApiMethods[M]['res']>> {
  return (await host.handle(String(++n), method, req)) as ApiResult<ApiMethods[M]['res']>;
}
async function ok<M extends keyof ApiMethods>(method: M, req: unknown): Promise<ApiMethods[M]['res']> {
  const r = await call(method, req);
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

beforeAll(async () => {
  fx = await writeFixture(join(dir, 'cmp.sqlite'), { steps: 3000 });
  sql = new Database(fx.path, { readonly: true });
  await ok('openDatabase', { path: fx.path, readOnly: true });
});

describe('run data API (host side)', () => {
  it('lists runs of one comparison group with vendor titles and event counts', async () => {
    const runs: RunSummary[] = await ok('listRuns', {});
    expect(runs.map((r) => r.vendor)).toEqual(['amd', 'intel', 'smmuv3']);
    expect(runs.map((r) => r.vendorTitle)).toEqual(['AMD-Vi', 'Intel VT-d', 'Arm SMMUv3']);
    expect(new Set(runs.map((r) => r.group)).size).toBe(1);
    expect(runs.map((r) => r.events)).toEqual(fx.events);
    expect(runs.every((r) => r.status === 'complete' && r.scenario === 'ui-fixture' && r.simEndNs === fx.simEndNs)).toBe(true);
  });

  it('lists counters with totals equal to a direct SQL sum', async () => {
    const runId = fx.runIds[1];
    const counters = await ok('listCounters', { runId });
    const byName = new Map(counters.map((c) => [c.name, c]));
    for (const name of ['dirty_pages', 'pte_read', 'iotlb_miss', 'faults', 'inv.vtd_inv_desc_iotlb_pages']) {
      const row = sql.prepare(`SELECT sum(c.value) AS s FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? AND t.name = ?`).get(runId, name) as { s: number };
      expect(byName.get(name)?.total, name).toBe(row.s);
    }
    expect(byName.get('dirty_pages')?.unit).toBe('pages');
    expect(byName.get('faults')?.total).toBe(fx.faults[1]);
  });

  it('aggregates counter buckets that add up to the total and re-query finer on a sub-range', async () => {
    const runId = fx.runIds[0];
    const all: CounterSeries = await ok('counterSeries', { runId, counters: ['dirty_pages', 'pte_write_atomic'], t0: 0, t1: fx.simEndNs, buckets: 30 });
    expect(all.ts).toHaveLength(30);
    const total = (sql.prepare(`SELECT sum(c.value) AS s FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? AND t.name = 'dirty_pages'`).get(runId) as { s: number }).s;
    expect(all.series[0].sum.reduce((a, b) => a + b, 0)).toBe(total);
    expect(all.series[0].unit).toBe('pages');
    const i = all.series[0].sum.findIndex((v) => v > 0);
    expect(all.series[0].max[i]).toBeGreaterThanOrEqual(all.series[0].min[i] as number);
    // Zoom: the first third at the same bucket count has narrower buckets.
    const zoom: CounterSeries = await ok('counterSeries', { runId, counters: ['dirty_pages'], t0: 0, t1: Math.floor(fx.simEndNs / 3), buckets: 30 });
    expect(zoom.bucketNs).toBeLessThan(all.bucketNs);
    const part = (sql.prepare(`SELECT sum(c.value) AS s FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? AND t.name = 'dirty_pages' AND c.ts < ?`).get(runId, zoom.t1) as { s: number }).s;
    expect(zoom.series[0].sum.reduce((a, b) => a + b, 0)).toBe(part);
  });

  it('pages events with a keyset cursor and no gaps or repeats', async () => {
    const runId = fx.runIds[2];
    const seen: number[] = [];
    let after: EventsPage['next'] = null;
    for (let p = 0; p < 5; p++) {
      const page: EventsPage = await ok('eventsPage', { runId, limit: 97, ...(after ? { after } : {}) });
      seen.push(...page.rows.map((r) => r.id));
      after = page.next;
    }
    const expected = (sql.prepare('SELECT id FROM slice_data WHERE run_id = ? ORDER BY ts, id LIMIT 485').all(runId) as { id: number }[]).map((r) => r.id);
    expect(seen).toEqual(expected);
  });

  it('filters events by name, category, IOVA range, errno and device', async () => {
    const runId = fx.runIds[0];
    const failed: EventsPage = await ok('eventsPage', { runId, errno: 'any', limit: 1000 });
    const nFailed = (sql.prepare('SELECT count(*) AS n FROM slice_data WHERE run_id = ? AND errno > 0').get(runId) as { n: number }).n;
    expect(failed.rows).toHaveLength(nFailed);
    expect(failed.rows.every((r) => r.name === 'IOMMU_IOAS_MAP' && r.errno === 22)).toBe(true);
    const inv: EventsPage = await ok('eventsPage', { runId, category: 'invalidation', limit: 50 });
    expect(inv.rows.every((r) => r.name.startsWith('amdvi_') && r.track === 'hw.cmdq')).toBe(true);
    const one: EventsPage = await ok('eventsPage', { runId, iovaMin: KNOWN_IOVA, iovaMax: KNOWN_IOVA, names: ['IOMMU_IOAS_MAP'], limit: 10 });
    expect(one.rows[0]).toMatchObject({ ts: 0, iova: KNOWN_IOVA, length: 4096, args: { ioas_id: 1 } });
    const dev: EventsPage = await ok('eventsPage', { runId, device: '2', names: ['dma_write'], limit: 20 });
    expect(dev.rows).toHaveLength(20);
    expect(dev.rows.every((r) => r.args.sid === 2)).toBe(true);
    const late: EventsPage = await ok('eventsPage', { runId, fromTs: fx.simEndNs / 2, limit: 5 });
    expect(late.rows[0].ts).toBeGreaterThanOrEqual(fx.simEndNs / 2);
  });

  it('reports faults with a histogram by type and page requests paired with responses', async () => {
    const r: FaultsReport = await ok('faults', { runId: fx.runIds[1] });
    expect(r.total).toBe(fx.faults[1]);
    expect(r.faults).toHaveLength(fx.faults[1]);
    expect(r.byType.reduce((a, b) => a + b.count, 0)).toBe(r.total);
    expect(r.byType.map((t) => t.type).sort()).toEqual(['vtd_dmar_fault: fault=DMA_PTE_NOT_PRESENT', 'vtd_dmar_fault: fault=WRITE_DENIED']);
    expect(r.faults[0]).toMatchObject({ name: 'vtd_dmar_fault', device: '1' });
    expect(r.pageRequests.length).toBe(30);
    const unanswered = r.pageRequests.filter((p) => p.response === null);
    expect(unanswered.length).toBe(10);
    for (const p of r.pageRequests.filter((x) => x.response)) expect(p.response?.args.grpid).toBe(p.request.args.grpid);
  });

  it('exports the open database as SQLite, Chrome JSON and CSV that parse', async () => {
    const out = join(dir, 'copy.sqlite');
    const r = await ok('exportDatabase', { format: 'sqlite', path: out });
    expect(r.bytes).toBeGreaterThan(0);
    const copy = new Database(out, { readonly: true });
    expect((copy.prepare('SELECT count(*) AS n FROM run').get() as { n: number }).n).toBe(3);
    copy.close();
    expect(await call('exportDatabase', { format: 'sqlite', path: out })).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    const json = join(dir, 'trace.json');
    await ok('exportDatabase', { format: 'chrome-json', path: json, runIds: [fx.runIds[0]] });
    const trace = JSON.parse(readFileSync(json, 'utf8')) as { traceEvents: { ph: string; pid: number }[] };
    expect(trace.traceEvents.filter((e) => e.ph === 'X').length).toBe(fx.events[0]);
    expect(new Set(trace.traceEvents.map((e) => e.pid))).toEqual(new Set([fx.runIds[0]]));
    const csv = join(dir, 'events.csv');
    await ok('exportDatabase', { format: 'csv', path: csv, runIds: [fx.runIds[2]] });
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(fx.events[2] + 1);
    expect(await call('exportDatabase', { format: 'csv', path: fx.path, overwrite: true })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
  });

  it('lists presets with descriptions and vendors', async () => {
    const presets = await ok('listPresets', {});
    expect(presets.map((p) => p.name)).toContain('nic-rx-16g');
    const p = presets.find((x) => x.name === 'nic-rx-16g');
    expect(p?.vendors).toEqual(['amd', 'intel', 'smmuv3']);
    expect(JSON.parse(p?.text ?? '')).toMatchObject({ name: 'nic-rx-16g' });
  });

  it('validates requests and answers with error values', async () => {
    expect(await call('counterSeries', { runId: 1, counters: ['x'], t0: 10, t1: 5, buckets: 10 })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await call('eventsPage', { runId: 1, limit: 5000 })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await call('eventsPage', { runId: 1, limit: 5, iovaMin: -1 })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await call('runComparison', { dbPath: 'x.sqlite', jobId: 'a b' })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await call('exportDatabase', { format: 'pdf', path: '/tmp/x' })).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(await call('cancelJob', { jobId: 'nothing' })).toEqual({ ok: true, value: { cancelled: false } });
  });

  it('answers ENODEV without a database and EMEDIUMTYPE for a foreign file', async () => {
    const other = new EngineHost({ shell: 'web', electronVersion: null, post: () => {} });
    expect(await other.handle('x', 'listCounters', { runId: 1 })).toMatchObject({ ok: false, error: { code: 'ENODEV' } });
    const foreign = join(dir, 'foreign.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t(x)');
    db.close();
    expect(await other.handle('y', 'openDatabase', { path: foreign })).toMatchObject({ ok: true });
    expect(await other.handle('z', 'faults', { runId: 1 })).toMatchObject({ ok: false, error: { code: 'EMEDIUMTYPE' } });
    expect(await other.handle('w', 'listRuns', {})).toEqual({ ok: true, value: [] });
    other.dispose();
    expect(existsSync(foreign)).toBe(true);
    writeFileSync(join(dir, 'keep'), '');
  });
});
