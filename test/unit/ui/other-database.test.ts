/**
 * Runs of a second database (API attachDatabase, electron/host/other-database.ts): its runs
 * get ids OTHER_RUN_BASE + their own, every per-run method answers for them from that file,
 * and the strip's table for a pair across the two files joins both files' rows.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiMethods, ApiResult } from '../../../electron/api';
import { EngineHost } from '../../../electron/host/engine-host';
import { OTHER_RUN_BASE } from '../../../electron/host/other-database';
import { writeFixture, type FixtureInfo } from './fixture';

const dir = mkdtempSync(join(tmpdir(), 'wb-other-'));
const host = new EngineHost({ shell: 'web', electronVersion: null, post: () => {} });
let a: FixtureInfo;
let b: FixtureInfo;
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
  a = await writeFixture(join(dir, 'a.sqlite'), { steps: 1500, seed: 7 });
  b = await writeFixture(join(dir, 'b.sqlite'), { steps: 1700, seed: 9, vendors: ['intel', 'smmuv3'] });
});

describe('a second database for cross-database diffs', () => {
  it('lists the other runs with offset ids, their own ids and their file', async () => {
    await ok('openDatabase', { path: a.path });
    const att = await ok('attachDatabase', { path: b.path });
    expect(att.runs.map((r) => [r.id, r.localId, r.vendor, r.databaseName])).toEqual(b.runIds.map((id, i) => [OTHER_RUN_BASE + id, id, b.vendors[i], 'b.sqlite']));
    // The main database's runs are unchanged.
    expect((await ok('listRuns', {})).map((r) => r.id)).toEqual(a.runIds);
  });

  it('answers every per-run method for an other run from its own file', async () => {
    const other = OTHER_RUN_BASE + b.runIds[0]!;
    // The same data as opening b.sqlite itself and asking for its run.
    const viaAttach = {
      counters: await ok('listCounters', { runId: other }),
      series: await ok('counterSeries', { runId: other, counters: ['dirty_pages'], t0: 0, t1: b.simEndNs, buckets: 50 }),
      faults: await ok('faults', { runId: other }),
      names: await ok('eventNames', { runId: other }),
      page: await ok('eventsPage', { runId: other, limit: 20 }),
    };
    expect(viaAttach.series.runId).toBe(other);
    const mainOnly = new EngineHost({ shell: 'web', electronVersion: null, post: () => {} });
    const direct = async <M extends keyof ApiMethods>(m: M, q: unknown): Promise<ApiMethods[M]['res']> => {
      const r = (await mainOnly.handle('x', m, q)) as ApiResult<ApiMethods[M]['res']>;
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    };
    await direct('openDatabase', { path: b.path });
    const id = b.runIds[0]!;
    expect(viaAttach.counters).toEqual(await direct('listCounters', { runId: id }));
    expect({ ...viaAttach.series, runId: id }).toEqual(await direct('counterSeries', { runId: id, counters: ['dirty_pages'], t0: 0, t1: b.simEndNs, buckets: 50 }));
    expect(viaAttach.faults).toEqual(await direct('faults', { runId: id }));
    expect(viaAttach.names).toEqual(await direct('eventNames', { runId: id }));
    expect(viaAttach.page).toEqual(await direct('eventsPage', { runId: id, limit: 20 }));
    // A run id of a's own still answers from a (intel is a's 2nd run, b's 1st: different data).
    expect((await ok('faults', { runId: a.runIds[1] })).total).toBe(a.faults[1]);
    expect(viaAttach.faults.total).toBe(b.faults[0]);
    expect(a.faults[1]).not.toBe(b.faults[0]);
  });

  it('joins the two files\' tables for a pair across them, values from each file', async () => {
    const mine = a.runIds[1]!;
    const theirs = OTHER_RUN_BASE + b.runIds[0]!;
    const pair = (await ok('comparisonNotes', { runIds: [mine, theirs] }))!;
    expect(pair.table.vendors.map((v) => v.runId)).toEqual([mine, theirs]);
    const aloneA = (await ok('comparisonNotes', { runIds: [mine] }))!;
    const aloneB = (await ok('comparisonNotes', { runIds: [theirs] }))!;
    expect(aloneB.table.vendors.map((v) => v.runId)).toEqual([theirs]);
    for (const row of pair.table.rows) {
      const va = aloneA.table.rows.find((r) => r.key === row.key)!.cells[aloneA.table.vendors.findIndex((v) => v.runId === mine)]!.value;
      const vb = aloneB.table.rows.find((r) => r.key === row.key)!.cells[0]!.value;
      expect(row.cells.map((c) => c.value), row.key).toEqual([va, vb]);
    }
    expect(pair.table.rows.some((r) => r.key === 'dirtyPages' && r.cells[0]!.value !== r.cells[1]!.value)).toBe(true);
  });

  it('after detaching, other run ids are ENODEV; a bad path leaves nothing attached', async () => {
    await ok('detachDatabase', {});
    const r = await call('faults', { runId: OTHER_RUN_BASE + b.runIds[0]! });
    expect(r.ok ? null : r.error.code).toBe('ENODEV');
    const bad = await call('attachDatabase', { path: join(dir, 'missing.sqlite') });
    expect(bad.ok ? null : bad.error.code).toBe('ENOENT');
  });
});
