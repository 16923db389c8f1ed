import { describe, expect, it } from 'vitest';
import { createGenerator, type DmaSink } from '../../../core/workload/generators';
import { Zipf } from '../../../core/workload/zipf';
import { Rng } from '../../../core/base/rng';
import { workloadSchema } from '../../../core/scenario/schema';

const GUEST = 2 ** 30;

function collect(kind: unknown, t1 = 1e9, seed = 1): { iova: number; len: number; ts: number }[] {
  const w = workloadSchema.parse(kind);
  const g = createGenerator(w, GUEST, seed);
  const out: { iova: number; len: number; ts: number }[] = [];
  const sink: DmaSink = { dma: (iova, len, _w, ts) => out.push({ iova, len, ts }) };
  g.run(0, t1 / 2, sink);
  g.run(t1 / 2, t1, sink);
  return out;
}

describe('DMA workload generators', () => {
  it('emit the configured rate over simulated time, inside the guest, in time order', () => {
    const a = collect({ kind: 'nvme-read', iops: 1000, blockBytes: 4096 });
    expect(a.length).toBe(1000);
    for (let i = 1; i < a.length; i++) expect(a[i].ts).toBeGreaterThanOrEqual(a[i - 1].ts);
    for (const x of a) expect(x.iova % 4096 === 0 && x.iova + x.len <= GUEST).toBe(true);
  });

  it('are deterministic for a seed and differ across seeds', () => {
    const w = { kind: 'hot-set', distribution: 'zipfian', hotSetBytes: '64MiB', writePagesPerSec: 5000 };
    expect(collect(w, 1e9, 9)).toEqual(collect(w, 1e9, 9));
    expect(collect(w, 1e9, 9)).not.toEqual(collect(w, 1e9, 10));
  });

  it('nic-rx cycles through its ring buffers', () => {
    const a = collect({ kind: 'nic-rx', ringBuffers: 8, packetsPerSec: 24 });
    expect(a.length).toBe(24);
    expect(new Set(a.map((x) => x.iova)).size).toBeLessThanOrEqual(8);
    expect(a[0].iova).toBe(a[8].iova);
  });

  it('gpu-bulk writes sequential chunks that wrap inside its region', () => {
    const a = collect({ kind: 'gpu-bulk', bytesPerSec: 64 * 65536, chunkBytes: 65536, regionBytes: 4 * 65536 });
    expect(a.length).toBe(64);
    expect(a[1].iova - a[0].iova).toBe(65536);
    expect(a[4].iova).toBe(a[0].iova);
  });

  it('zipfian ranks are skewed toward rank 0 and stay in range', () => {
    const z = new Zipf(1000, 0.99, new Rng(3));
    const counts = new Uint32Array(1000);
    for (let i = 0; i < 100_000; i++) counts[z.next()]++;
    expect(counts[0]).toBeGreaterThan(counts[500] * 20);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100_000);
  });
});
