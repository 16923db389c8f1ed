import { describe, expect, it } from 'vitest';
import { SimClock } from '../../../core/base/clock';
import { createGenerator } from '../../../core/workload/generators';
import { BITMAP_PAGE, runPrecopy, SAMPLES_PER_ROUND, type MigrationTarget } from '../../../core/workload/migration';
import { workloadSchema } from '../../../core/scenario/schema';

/** A target whose "hardware" records dirty pages exactly (a test double of the engine). */
function exactTarget(readCostNs: number): MigrationTarget & { writes: number } {
  const dirty = new Set<number>();
  const t = {
    clock: new SimClock(),
    writes: 0,
    dma(_dev: number, iova: number, _len: number, write: boolean) {
      if (write) {
        dirty.add(Math.floor(iova / BITMAP_PAGE));
        t.writes++;
      }
    },
    readDirty() {
      t.clock.advance(readCostNs);
      const n = dirty.size;
      dirty.clear();
      return { dirty: n, missed: 0 };
    },
    switchover() {
      return t.readDirty();
    },
    counters: () => ({ dma_write: t.writes }),
  };
  return t;
}

const GiB = 2 ** 30;

describe('pre-copy driver', () => {
  it('round 0 sends all memory, later rounds send what the previous read found, and it converges', () => {
    const target = exactTarget(1000);
    const gen = createGenerator(workloadSchema.parse({ kind: 'nic-rx', ringBuffers: 64, packetsPerSec: 10_000 }), GiB, 1);
    const rounds: number[] = [];
    const samples: number[] = [];
    const m = runPrecopy(target, [gen], { guestBytes: GiB, maxRounds: 10, linkGbps: 8, downtimeMs: 300, switchover: 'get-dirty-bitmap' }, {
      onRound: (r) => rounds.push(r.round),
      onSample: (_a, _b, d) => samples.push(d.dma_write ?? 0),
    });
    expect(m.rounds[0].bytesSent).toBe(GiB);
    // 1 GiB at 1 GB/s = 1.07 s: 10 kpps touch all 64 buffers.
    expect(m.rounds[0].dirtyPages).toBe(64);
    expect(m.rounds[0].bitmapReadNs).toBe(1000);
    expect(m.converged).toBe(true);
    expect(m.rounds).toHaveLength(1);
    expect(rounds).toEqual([0]);
    expect(samples).toHaveLength(SAMPLES_PER_ROUND + 1);
    expect(samples.reduce((a, b) => a + b, 0)).toBe(m.rounds[0].counters.dma_write);
    // Downtime = final read + 64 pages at 1 GB/s.
    expect(m.downtimeNs).toBe(1000 + Math.ceil((64 * BITMAP_PAGE) / 1));
  });

  it('stops after maxRounds when the dirty set never fits the downtime budget', () => {
    const target = exactTarget(0);
    const gen = createGenerator(workloadSchema.parse({ kind: 'hot-set', distribution: 'uniform', hotSetBytes: '512MiB', writePagesPerSec: 1_000_000 }), GiB, 2);
    const m = runPrecopy(target, [gen], { guestBytes: GiB, maxRounds: 3, linkGbps: 8, downtimeMs: 1, switchover: 'get-dirty-bitmap' });
    expect(m.converged).toBe(false);
    expect(m.rounds.map((r) => r.round)).toEqual([0, 1, 2, 3]);
    for (let i = 1; i < m.rounds.length; i++) expect(m.rounds[i].bytesSent).toBe(m.rounds[i - 1].dirtyPages * BITMAP_PAGE);
  });

  it('is deterministic for a seed', () => {
    const run = (): unknown => {
      const gen = createGenerator(workloadSchema.parse({ kind: 'nvme-read', iops: 50_000 }), GiB, 5);
      return runPrecopy(exactTarget(10), [gen], { guestBytes: GiB, maxRounds: 5, linkGbps: 10, downtimeMs: 50, switchover: 'get-dirty-bitmap' });
    };
    expect(run()).toEqual(run());
  });
});

describe('headline metric and downtime parts', () => {
  it('pre-copy time runs from the start of pre-copy to switch-over; downtime parts add up', async () => {
    const { scenarioSchema } = await import('../../../core/scenario/schema');
    const { simulateVendor } = await import('../../../core/scenario/simulate');
    const { vendorResult } = await import('../../../core/scenario/compare');
    const { NULL_RECORDER } = await import('../../../core/trace/types');
    const s = scenarioSchema.parse({ name: 't', seed: 2, guest: { memory: '256MiB' }, devices: [{ name: 'n', workload: { kind: 'nvme-read', iops: 50000 } }], migration: { maxRounds: 3, downtimeMs: 5 } });
    for (const v of ['amd', 'intel', 'smmuv3'] as const) {
      const { report } = simulateVendor(s, v, NULL_RECORDER);
      const t = vendorResult(v, null, report).totals;
      expect(t.setupNs).toBeGreaterThan(0);
      expect(t.enableNs).toBeGreaterThan(0);
      expect(t.migrationNs).toBe(report.rounds.reduce((a, r) => a + r.dur, 0));
      expect(t.downtimeFinalReadNs + t.downtimeFlushNs + t.downtimeTransferNs).toBe(t.downtimeNs);
      expect(t.downtimeFlushNs).toBeGreaterThan(0);
      expect(t.setupNs + t.enableNs + t.migrationNs + t.downtimeNs).toBe(t.totalNs);
    }
  });
});
