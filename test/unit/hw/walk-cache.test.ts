/**
 * Walk (paging-structure) caches and what each vendor's invalidation drops; DMA latency on
 * the device side; device throughput bounded by latency and walkers.
 */
import { describe, expect, it } from 'vitest';
import { deviceScale, walkerFactor } from '../../../core/workload/device';
import { scenarioSchema } from '../../../core/scenario/schema';
import { simulateVendor } from '../../../core/scenario/simulate';
import { vendorResult } from '../../../core/scenario/compare';
import { NULL_RECORDER } from '../../../core/trace/types';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '../../../core/uapi/iommufd';
import { map, readDirty, setup } from './helpers';

const PA = 0x1000_1000; // 4 KiB-aligned only: 4 KiB leaves
const reads = (sys: ReturnType<typeof setup>['sys']): number => sys.stats().pte_read;

describe('walk caches', () => {
  it('a second miss under the same 2 MiB reads only the leaf; without walk caches every miss reads every level', () => {
    for (const entries of [64, 0]) {
      const { sys, dev, dom } = setup('intel', { walkCacheEntries: entries });
      map(dom, 0x20_0000, PA, 0x4000);
      const r0 = reads(sys);
      expect(sys.driver.dma(dev, 0, 0x20_0000, 8, false)).toBe(0);
      expect(reads(sys) - r0).toBe(4); // 4-level table, nothing cached yet
      const r1 = reads(sys);
      expect(sys.driver.dma(dev, 0, 0x20_1000, 8, false)).toBe(0);
      expect(reads(sys) - r1).toBe(entries ? 1 : 4);
    }
  });

  it('what a dirty-read flush leaves: VT-d DSI and AMD PDE=1 drop the walk cache, SMMUv3 LEAF=1 keeps it', () => {
    const after: Record<string, number> = {};
    for (const vendor of ['amd', 'intel', 'smmuv3'] as const) {
      const { sys, dev, dom } = setup(vendor);
      expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
      map(dom, 0x20_0000, PA, 0x4000);
      const levels = dom.pt.topLevel + 1;
      expect(sys.driver.dma(dev, 0, 0x20_0000, 8, true)).toBe(0);
      readDirty(dom, 0, 2 ** 30, true); // read-and-clear + iotlb_sync of the hull
      const r = reads(sys);
      expect(sys.driver.dma(dev, 0, 0x20_1000, 8, true)).toBe(0);
      after[vendor] = (reads(sys) - r) / levels;
    }
    expect(after).toEqual({ amd: 1, intel: 1, smmuv3: 1 / 4 });
  });

  it('VT-d PSI with IH=0 drops the range only; with ihDomainWide (Xeon E7 v2) the whole domain', () => {
    for (const ihDomainWide of [false, true]) {
      const { sys, dev, dom } = setup('intel', { caps: { ihDomainWide } }, {}, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
      map(dom, 0x20_0000, PA, 0x4000);
      map(dom, 0x4000_0000, PA, 0x4000); // another 1 GiB region
      expect(sys.driver.dma(dev, 0, 0x20_0000, 8, false)).toBe(0);
      expect(sys.driver.dma(dev, 0, 0x4000_0000, 8, false)).toBe(0);
      dom.ops.iotlbSync(dom, { start: 0x20_0000, end: 0x20_0fff, pgsize: 4096, freelist: [], queued: false });
      const r = reads(sys);
      expect(sys.driver.dma(dev, 0, 0x4000_1000, 8, false)).toBe(0);
      expect(reads(sys) - r).toBe(ihDomainWide ? 4 : 1);
    }
  });
});

describe('DMA latency is device time', () => {
  it('an IOTLB miss adds miss handling + table reads + A/D update to the round trip; the CPU clock does not move', () => {
    const { sys, dev, dom } = setup('smmuv3');
    map(dom, 0x20_0000, PA, 0x1000);
    const t0 = sys.driver.clock.now;
    expect(sys.driver.dma(dev, 0, 0x20_0000, 8, false)).toBe(0);
    expect(sys.driver.clock.now).toBe(t0);
    const hw = sys.hw!;
    // Round trip, the context-cache miss (STE + CD), miss handling, 4 table reads.
    expect(hw.lastDmaNs).toBe(600 + 2 * 140 + 140 + 4 * 140);
    expect(sys.driver.dma(dev, 0, 0x20_0000, 8, false)).toBe(0);
    expect(hw.lastDmaNs).toBe(600); // IOTLB hit
  });
});

describe('device throughput', () => {
  it("Little's law and the walkers' bound", () => {
    expect(deviceScale(1e6, 64e9 / 1000, Infinity)).toBe(1); // 64 in flight at 1 µs: 64 M/s ≫ 1 M/s
    expect(deviceScale(100e6, 64e9 / 1000, Infinity)).toBeCloseTo(0.64);
    // 6 walkers, 420 ns per miss: 14.3 M misses/s; 20 M misses/s demanded at scale 1.
    expect(walkerFactor(6, 2000, 2000 * 420, 100_000, 1)).toBeCloseTo(6 / 420 / 0.02);
    expect(deviceScale(1e6, Infinity, 0.5)).toBe(0.5);
  });

  it('a device with one request in flight cannot keep 2 M writes/s at µs latencies: it issues fewer and dirties less', () => {
    const base = { name: 't', seed: 4, guest: { memory: '1GiB' }, migration: { maxRounds: 2, downtimeMs: 1 } };
    const run = (outstanding: number) => {
      const s = scenarioSchema.parse({ ...base, devices: [{ name: 'n', outstanding, workload: { kind: 'hot-set', distribution: 'uniform', hotSetBytes: '512MiB', writePagesPerSec: 2_000_000 } }] });
      return vendorResult('intel', null, simulateVendor(s, 'intel', NULL_RECORDER).report).totals;
    };
    const slow = run(1);
    const fast = run(64);
    expect(fast.dmaAccesses).toBeGreaterThan(0.99 * fast.dmaDemanded);
    expect(slow.dmaAccesses).toBeLessThan(0.9 * slow.dmaDemanded);
    expect(slow.avgDmaLatencyNs).toBeGreaterThan(600);
  });
});
