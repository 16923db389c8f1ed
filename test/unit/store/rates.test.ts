/**
 * Rates read from the store are events ÷ bucket width in simulated time at every zoom: a
 * counter's delta is spread over the interval it accrued in (BufferedRecorder.countSpan,
 * counter.dur), so the integral of a rate series equals the counter's total at any bucket
 * width and alignment, and no bucket exceeds the physical limit (the migration link speed,
 * the device's DMA rate).
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runComparison } from '../../../core/scenario/runner';
import { parseScenario } from '../../../core/scenario/load';
import { openRunSink } from '../../../core/store/run-sink';
import { counterBuckets } from '../../../core/store/queries/slices';
import { openWriter } from '../../../core/store/writer';
import { tempDir } from './helpers';

const LINK_GBPS = 25;
const PPS = 200_000;
const PACKET = 1500;
const SCENARIO = {
  name: 'rates',
  seed: 3,
  vendors: ['amd', 'smmuv3'],
  guest: { memory: '256MiB' },
  devices: [{ name: 'nic0', workload: { kind: 'nic-rx', ringBuffers: 4096, packetsPerSec: PPS, packetBytes: PACKET } }],
  migration: { maxRounds: 4, downtimeMs: 1, linkGbps: LINK_GBPS },
};

const tmp = tempDir();
let db: Database.Database;
let runIds: number[] = [];
const simEnd: Record<number, number> = {};
const bytesSent: Record<number, number> = {};

beforeAll(async () => {
  const parsed = parseScenario(JSON.stringify(SCENARIO));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const sink = await openRunSink(tmp.path('rates.sqlite'));
  if (!sink.ok) throw new Error(sink.error.message);
  const r = await runComparison(parsed.scenario, { sink: sink.sink });
  await sink.sink.close();
  db = new Database(tmp.path('rates.sqlite'), { readonly: true });
  runIds = r.summary.vendors.map((v) => v.runId!);
  for (const v of r.summary.vendors) {
    simEnd[v.runId!] = v.totals.totalNs;
    bytesSent[v.runId!] = v.totals.bytesSent;
  }
});
afterAll(() => {
  db?.close();
  tmp.cleanup();
});

const total = (runId: number, name: string): number =>
  (db.prepare(`SELECT coalesce(sum(c.value), 0) AS s FROM counter c JOIN track t ON t.id = c.track_id WHERE t.run_id = ? AND t.name = ?`).get(runId, name) as { s: number }).s;

/** Windows of the whole run and zooms at odd widths and offsets (not aligned to the recorder's 1 ms). */
function windows(end: number): { t0: number; t1: number; buckets: number }[] {
  return [
    { t0: 0, t1: end, buckets: 240 },
    { t0: 0, t1: end, buckets: 7 },
    { t0: Math.floor(end * 0.1) + 333, t1: Math.floor(end * 0.45) + 77, buckets: 240 },
    { t0: Math.floor(end * 0.3) + 1, t1: Math.floor(end * 0.3) + 3_700_001, buckets: 240 },
    { t0: Math.floor(end / 3), t1: Math.floor(end / 3) + 250_000, buckets: 240 },
  ];
}

describe('counter rates from the store', () => {
  it('the integral of the rate series equals the total at every zoom (bytes sent include the stop-and-copy)', () => {
    for (const id of runIds) {
      // The counter holds every byte the CLI reports as sent, the stop-and-copy included.
      expect(total(id, 'migration_bytes')).toBe(bytesSent[id]);
      for (const name of ['migration_bytes', 'dma_bytes', 'dirty_pages', 'pte_read', 'iotlb_miss']) {
        const all = total(id, name);
        expect(all, name).toBeGreaterThan(0);
        const whole = counterBuckets(db, { runId: id, counter: name, t0: 0, t1: simEnd[id] + 1, buckets: 240 });
        // rate × width summed over the buckets = the total.
        const integral = Array.from(whole.sum).reduce((a, v) => a + (v / whole.width) * whole.width, 0);
        expect(integral / all, name).toBeCloseTo(1, 9);
        // A zoom holds exactly the part of the total accrued inside it: the parts of a split add up.
        for (const w of windows(simEnd[id])) {
          const mid = Math.floor((w.t0 + w.t1) / 2);
          const a = counterBuckets(db, { runId: id, counter: name, t0: w.t0, t1: mid, buckets: w.buckets });
          const b = counterBuckets(db, { runId: id, counter: name, t0: mid, t1: w.t1, buckets: w.buckets });
          const c = counterBuckets(db, { runId: id, counter: name, t0: w.t0, t1: w.t1, buckets: w.buckets });
          const sum = (x: { sum: Float64Array }): number => Array.from(x.sum).reduce((p, v) => p + v, 0);
          expect(sum(a) + sum(b)).toBeCloseTo(sum(c), 3);
        }
      }
    }
  });

  it('no bucket exceeds the physical limit at any zoom: link speed for migration bytes, the NIC rate for DMA', () => {
    const linkBytesPerNs = (LINK_GBPS * 1e9) / 8 / 1e9;
    const dmaBytesPerNs = (PPS * PACKET) / 1e9;
    for (const id of runIds) {
      for (const w of windows(simEnd[id])) {
        const m = counterBuckets(db, { runId: id, counter: 'migration_bytes', t0: w.t0, t1: w.t1, buckets: w.buckets });
        let peak = 0;
        m.sum.forEach((v, i) => {
          const width = Math.min(m.width, w.t1 - m.ts[i]);
          expect(v / width).toBeLessThanOrEqual(linkBytesPerNs * 1.000001);
          peak = Math.max(peak, v / width);
        });
        // The link is busy in every window that holds a transfer: the peak is the link speed.
        if (w.buckets === 240 && w.t1 - w.t0 > 1e7) expect(peak / linkBytesPerNs).toBeGreaterThan(0.99);
        const d = counterBuckets(db, { runId: id, counter: 'dma_bytes', t0: w.t0, t1: w.t1, buckets: w.buckets });
        // Packets arrive at discrete times: allow one packet per bucket over the mean rate.
        d.sum.forEach((v, i) => expect(v).toBeLessThanOrEqual(dmaBytesPerNs * Math.min(d.width, w.t1 - d.ts[i]) * 1.05 + PACKET * 2));
      }
    }
  });

  it('a DMA rate is steady for a steady NIC: the same rate at every zoom, no bursts at sample boundaries', () => {
    const id = runIds[0];
    const round = db.prepare(`SELECT ts, dur FROM slice WHERE run_id = ? AND name = 'migration_round' ORDER BY ts LIMIT 1`).get(id) as { ts: number; dur: number };
    const expected = (PPS * PACKET) / 1e9;
    for (const buckets of [240, 97, 16]) {
      const d = counterBuckets(db, { runId: id, counter: 'dma_bytes', t0: round.ts, t1: round.ts + Math.floor(round.dur * 0.9), buckets });
      for (let i = 0; i < buckets; i++) expect(d.sum[i] / d.width / expected).toBeCloseTo(1, 1);
    }
  });

  it('old point rows (dur 0) and recorder bucket rows still bucket by their timestamp', async () => {
    const w = await openWriter(tmp.path('points.sqlite'), { inProcess: true });
    if (!w.ok) throw new Error(w.error.message);
    const run = await w.writer.startRun({ scenario: { name: 'p' }, vendor: 'amd', seed: 1, versions: {} }, { bucketNs: 1_000_000 });
    for (let i = 0; i < 10; i++) run.recorder.count('faults', i * 1_000_000 + 10, 1);
    run.recorder.countSpan('dma_bytes', 500_000, 2_500_000, 2000);
    await run.finish(10_000_000);
    await w.writer.close();
    const p = new Database(tmp.path('points.sqlite'), { readonly: true });
    const f = counterBuckets(p, { runId: run.runId, counter: 'faults', t0: 0, t1: 10_000_000, buckets: 10 });
    expect(Array.from(f.sum)).toEqual(new Array(10).fill(1));
    const d = counterBuckets(p, { runId: run.runId, counter: 'dma_bytes', t0: 0, t1: 4_000_000, buckets: 4 });
    expect(Array.from(d.sum)).toEqual([500, 1000, 500, 0]);
    p.close();
  });
});
