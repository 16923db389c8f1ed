import { afterEach, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { importFtraceFile } from '../../../core/store/import';
import { exportTrace } from '../../../core/store/export';
import { openStore } from '../../../core/store/db';
import { openWriter } from '../../../core/store/writer';
import { parseFtrace, type FtraceEvent } from '../../../core/trace/ftrace';
import { listRunRows } from '../../../core/store/queries/slices';
import { tempDir } from './helpers';

const FIXTURES = new URL('../../fixtures/', import.meta.url);
let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

const strip = (evs: FtraceEvent[]) => evs.map(({ line: _line, ...rest }) => rest);

describe('ftrace round trip', () => {
  test.each(['intel-vtd-nvme.trace.txt', 'smmuv3-nvme.trace.txt'])('%s: import → store → export ftrace → re-import gives the same events', async (name) => {
    tmp = tempDir();
    const trace = new URL(name, FIXTURES).pathname;
    const db = tmp.path('t.sqlite');
    const imp = await importFtraceFile(trace, db, { inProcess: true });
    if (!imp.ok) throw new Error(imp.error.message);
    expect(imp.errors).toEqual([]);
    const out = tmp.path('out.txt');
    const ex = await exportTrace(db, { format: 'ftrace', out });
    expect(ex).toEqual({ ok: true, rows: imp.events });
    const again = parseFtrace(readFileSync(out, 'utf8'));
    expect(again.errors).toEqual([]);
    const orig = parseFtrace(readFileSync(trace, 'utf8'));
    expect(strip(again.events)).toEqual(strip(orig.events));
  });
});

describe('exports', () => {
  async function smallDb(path: string) {
    const w = await openWriter(path, { inProcess: true });
    if (!w.ok) throw new Error(w.error.message);
    for (const vendor of ['amd', 'smmuv3']) {
      const run = await w.writer.startRun({ scenario: {}, vendor, seed: 1, versions: {} }, { bucketNs: 1000 });
      run.recorder.slice('domain', 'iotlb_sync', 1500, 250, { iova: 0x1000, length: 4096, pgsize: 4096 });
      run.recorder.instant('hw.cmdq', 'smmuv3_cmdq_sync', 2000);
      run.recorder.count('dirty_pages', 2500, 3);
      await run.finish(3000);
    }
    await w.writer.close();
  }

  test('chrome-json: X slices and C counters in µs, one process per run', async () => {
    tmp = tempDir();
    const db = tmp.path('c.sqlite');
    await smallDb(db);
    const out = tmp.path('c.json');
    const r = await exportTrace(db, { format: 'chrome-json', out });
    expect(r.ok).toBe(true);
    const j = JSON.parse(readFileSync(out, 'utf8')) as { displayTimeUnit: string; traceEvents: Record<string, unknown>[] };
    expect(j.displayTimeUnit).toBe('ns');
    const procs = j.traceEvents.filter((e) => e.name === 'process_name').map((e) => (e.args as { name: string }).name);
    expect(procs).toEqual(['amd run 1', 'smmuv3 run 2']);
    const x = j.traceEvents.find((e) => e.ph === 'X' && e.name === 'iotlb_sync' && e.pid === 1);
    expect(x).toMatchObject({ ts: 1.5, dur: 0.25, cat: 'domain_op', args: { iova: 0x1000, length: 4096, pgsize: 4096 } });
    const cs = j.traceEvents.filter((e) => e.ph === 'C' && e.pid === 2);
    expect(cs.map((c) => [c.name, c.ts, c.args])).toEqual([
      ['dirty_pages', 2, { value: 3 }],
      ['inv.smmuv3_cmdq_sync', 2, { value: 1 }],
      ['invalidations', 2, { value: 1 }],
    ]);
  });

  test('csv of events and of a bucketed counter', async () => {
    tmp = tempDir();
    const db = tmp.path('c.sqlite');
    await smallDb(db);
    const out = tmp.path('e.csv');
    expect(await exportTrace(db, { format: 'csv', out, runIds: [2] })).toEqual({ ok: true, rows: 2 });
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual([
      'run_id,id,ts,dur,track_id,name,iova,length,errno',
      '2,3,1500,250,6,iotlb_sync,4096,4096,',
      '2,4,2000,0,7,smmuv3_cmdq_sync,,,',
    ]);
    const cout = tmp.path('k.csv');
    await exportTrace(db, { format: 'csv', out: cout, csv: { kind: 'counter', runId: 1, counter: 'dirty_pages', t0: 0, t1: 4000, buckets: 2 } });
    expect(readFileSync(cout, 'utf8').trim().split('\n')).toEqual(['bucket_ts,min,max,avg,sum,count', '0,,,,0,0', '2000,3,3,3,3,1']);
  });

  test('sqlite backup is a complete, openable copy; refuses to overwrite the input', async () => {
    tmp = tempDir();
    const db = tmp.path('c.sqlite');
    await smallDb(db);
    const out = tmp.path('copy.sqlite');
    expect(await exportTrace(db, { format: 'sqlite', out })).toEqual({ ok: true, rows: 4 });
    const o = openStore(out, { check: 'full' });
    if (!o.ok) throw new Error(o.error.message);
    expect(listRunRows(o.db).map((r) => r.vendor)).toEqual(['amd', 'smmuv3']);
    o.db.close();
    const same = await exportTrace(db, { format: 'sqlite', out: db });
    expect(same.ok).toBe(false);
  });
});
