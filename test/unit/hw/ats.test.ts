/**
 * PCIe ATS: the device's ATC, translation requests that set D when write permission is
 * granted, translated requests that bypass the IOMMU, device-TLB invalidations that drop ATC
 * entries, and the what-if that skips them (lost dirty pages).
 */
import { describe, expect, it } from 'vitest';
import { devtlbRange } from '../../../core/hw/intel/model';
import { scenarioSchema } from '../../../core/scenario/schema';
import { simulateVendor } from '../../../core/scenario/simulate';
import { NULL_RECORDER } from '../../../core/trace/types';
import { HW_VENDORS, map, readDirty, setup } from './helpers';

const PA = 0x1000_1000;
const IOVA = 0x20_0000;

function atsDomain(vendor: (typeof HW_VENDORS)[number]) {
  const t = setup(vendor, {}, { ats: true });
  expect(t.dom.dirtyOps!.setDirtyTracking(t.dom, true)).toBe(0);
  map(t.dom, IOVA, PA, 0x4000);
  readDirty(t.dom, IOVA, 0x4000, true); // start clean (SMMUv3 installs writable-dirty leaves)
  return t;
}

describe.each(HW_VENDORS)('%s ATS', (vendor) => {
  it('a write misses the ATC, the translation request sets D; the next write is a translated request that bypasses the IOMMU', () => {
    const { sys, dev, dom } = atsDomain(vendor);
    const s0 = sys.stats();
    expect(sys.driver.dma(dev, 0, IOVA + 0x1000, 64, true)).toBe(0);
    const s1 = sys.stats();
    expect([s1.atc_miss - (s0.atc_miss ?? 0), s1.pte_write_atomic - s0.pte_write_atomic]).toEqual([1, 1]);
    expect(sys.driver.dma(dev, 0, IOVA + 0x1000, 64, true)).toBe(0);
    const s2 = sys.stats();
    expect(s2.atc_hit - (s1.atc_hit ?? 0)).toBe(1);
    expect([s2.iotlb_hit - s1.iotlb_hit, s2.iotlb_miss - s1.iotlb_miss, s2.pte_read - s1.pte_read]).toEqual([0, 0, 0]);
    expect(sys.hw!.lastDmaNs).toBe(600); // one round trip, no translation
    expect(readDirty(dom, IOVA, 0x4000, true).records).toEqual([[IOVA + 0x1000, 0x1000]]);
  });

  it('the dirty-read flush invalidates the device TLB, so a later write asks again and sets D; skipping it loses the write', () => {
    for (const skip of [false, true]) {
      const { sys, dev, dom } = atsDomain(vendor);
      expect(sys.driver.dma(dev, 0, IOVA, 64, true)).toBe(0);
      const inv0 = sys.stats().inv_devtlb;
      dom.devtlbFlush = !skip;
      expect(readDirty(dom, IOVA, 0x4000, true).records).toEqual([[IOVA, 0x1000]]);
      dom.devtlbFlush = true;
      expect(sys.stats().inv_devtlb - inv0).toBe(skip ? 0 : 1);
      expect(sys.driver.dma(dev, 0, IOVA, 64, true)).toBe(0); // the device writes again
      expect(readDirty(dom, IOVA, 0x4000, true).records).toEqual(skip ? [] : [[IOVA, 0x1000]]);
    }
  });

  it('a read is granted read permission only: a later write sends another translation request', () => {
    const { sys, dev } = atsDomain(vendor);
    expect(sys.driver.dma(dev, 0, IOVA + 0x2000, 64, false)).toBe(0);
    const a = sys.stats().atc_miss;
    expect(sys.driver.dma(dev, 0, IOVA + 0x2000, 64, true)).toBe(0);
    expect(sys.stats().atc_miss - a).toBe(1);
  });
});

describe('device-TLB invalidation ranges', () => {
  it('VT-d QI_DIOTLB address/size encoding', () => {
    expect(devtlbRange(0x20_0000n, false)).toEqual([0x20_0000, 0x20_0fff]);
    expect(devtlbRange(0x20_0000n | 0x1000n | 1n, true)).toEqual([0x20_0000, 0x20_3fff]); // one trailing 1: 4 pages
    expect(devtlbRange(0x20_0000n | 1n, true)).toEqual([0x20_0000, 0x20_1fff]);
  });

  it.each(HW_VENDORS)('%s: a flush of one page drops that ATC entry and keeps the others', (vendor) => {
    const { sys, dev, dom } = atsDomain(vendor);
    for (const off of [0, 0x1000, 0x2000, 0x3000]) expect(sys.driver.dma(dev, 0, IOVA + off, 8, false)).toBe(0);
    expect(sys.hw!.atc(dev.sid)!.size()).toBe(4);
    dom.ops.iotlbSync(dom, { start: IOVA + 0x2000, end: IOVA + 0x2fff, pgsize: 4096, freelist: [], queued: false });
    expect(sys.hw!.atc(dev.sid)!.entries().map((e) => e.iova - IOVA).sort((x, y) => x - y)).toEqual([0, 0x1000, 0x3000]);
  });
});

describe('what-if: skip the device-TLB invalidation after clearing D', () => {
  it('an ATS device writing the same buffers loses pages; with the invalidation none', () => {
    const base = { name: 't', seed: 6, guest: { memory: '256MiB' }, migration: { maxRounds: 3, downtimeMs: 1 } };
    const run = (devtlbFlushAfterClear: boolean) => {
      const s = scenarioSchema.parse({ ...base, migration: { ...base.migration, devtlbFlushAfterClear }, devices: [{ name: 'nic', ats: true, workload: { kind: 'nic-rx', ringBuffers: 32, packetsPerSec: 200_000 } }] });
      return simulateVendor(s, 'intel', NULL_RECORDER).report.missedPages;
    };
    expect(run(true)).toBe(0);
    expect(run(false)).toBeGreaterThan(0);
  });
});
