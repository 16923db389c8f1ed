import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import type { CounterName, EventName, TrackOf } from '../../../core/trace/events';
import type { Recorder } from '../../../core/trace/types';
import { COST_ACTIONS } from '../../../core/hw/cost/model';
import { HW_VENDORS, map, readDirty, setup } from './helpers';

class CaptureRecorder implements Recorder {
  readonly enabled = true;
  readonly traceDma = false;
  readonly names: string[] = [];
  readonly counters = new Map<string, number>();
  slice<E extends EventName>(track: TrackOf<E>, name: E): void {
    this.names.push(`${track}:${name}`);
  }
  instant<E extends EventName>(track: TrackOf<E>, name: E): void {
    this.names.push(`${track}:${name}`);
  }
  count(c: CounterName, _ts: number, d: number): void {
    this.counters.set(c, (this.counters.get(c) ?? 0) + d);
  }
  countSpan(c: string, _t0: number, _t1: number, d: number): void {
    this.counters.set(c, (this.counters.get(c) ?? 0) + d);
  }
}

describe.each(HW_VENDORS)('%s: DMA path', (vendor) => {
  it('multi-page DMA translates page by page; the IOTLB capacity bounds the hit rate', () => {
    const small = setup(vendor, { iotlbEntries: 4 });
    map(small.dom, 0, 0x10_0000_0000, 8 * 4096);
    for (let round = 0; round < 3; round++) for (let p = 0; p < 8; p++) expect(small.sys.driver.dma(small.dev, 0, p * 4096, 64, false)).toBe(0);
    const s = small.sys.stats();
    expect(s.translations).toBe(24);
    expect(s.iotlb_hit).toBe(0); // 8 pages cycled through 4 entries: CLOCK thrashes
    const big = setup(vendor, { iotlbEntries: 16 });
    map(big.dom, 0, 0x10_0000_0000, 8 * 4096);
    for (let round = 0; round < 3; round++) for (let p = 0; p < 8; p++) big.sys.driver.dma(big.dev, 0, p * 4096, 64, false);
    expect([big.sys.stats().iotlb_hit, big.sys.stats().iotlb_miss]).toEqual([16, 8]);
    expect(big.sys.driver.dma(big.dev, 0, 4000, 3 * 4096, true)).toBe(0);
    expect(big.sys.stats().translations).toBe(24 + 4);
    expect(big.sys.driver.dma(big.dev, 0, 0, 0, true)).toBe(-ERRNO.EINVAL);
  });

  it('costs advance the shared clock; with every cost overridden to 0 the counts are unchanged', () => {
    const run = (zero: boolean) => {
      const costOverrides = zero ? Object.fromEntries(COST_ACTIONS.map((a) => [a, 0])) : undefined;
      const { sys, dev, dom } = setup(vendor, { costOverrides });
      map(dom, 0, 0x10_0000_0000, 16 * 4096);
      for (let p = 0; p < 16; p++) sys.driver.dma(dev, 0, p * 4096, 64, true);
      readDirty(dom, 0, 16 * 4096, true);
      return { now: sys.driver.clock.now, stats: { ...sys.stats(), sim_ns: 0 } };
    };
    const a = run(false);
    const b = run(true);
    expect(a.now).toBeGreaterThan(0);
    expect(b.now).toBe(0);
    expect(b.stats).toEqual(a.stats);
  });

  it('a PRI-capable device turns translation faults into page requests', () => {
    const { sys, dev } = setup(vendor, {}, { pri: true });
    expect(sys.driver.dma(dev, 0, 0x5000, 4, true)).toBe(-ERRNO.EFAULT);
    expect(sys.hw!.pageRequests.toArray().map((p) => [p.sid, p.iova, p.write])).toEqual([[0x10, 0x5000, true]]);
    expect(sys.hw!.events.length).toBe(0);
    // The page response completes the request exactly once.
    const drv = sys.driver as unknown as { pageResponse(d: typeof dev, pasid: number, grpid: number, code: number): number };
    const grpid = sys.hw!.pageRequests.toArray()[0]!.grpid;
    expect(drv.pageResponse(dev, 0, grpid, 0)).toBe(0);
    const name = { amd: 'COMPLETE_PPR_REQUEST', intel: 'QI_PGRP_RESP', smmuv3: 'CMD_PRI_RESP' }[vendor];
    expect(sys.hw!.commands.toArray().some((c) => c.name === name && c.fields.rc === 0)).toBe(true);
    expect(sys.stats().page_responses).toBe(1);
    expect(drv.pageResponse(dev, 0, grpid, 0)).toBe(-ERRNO.EINVAL);
    expect(sys.stats().page_responses).toBe(1);
  });

  it('records driver steps, invalidation commands, table writes and faults', () => {
    const rec = new CaptureRecorder();
    const { sys, dev, dom } = setup(vendor, { recorder: rec });
    map(dom, 0, 0x10_0000_0000, 4096);
    dom.dirtyOps!.setDirtyTracking(dom, true);
    sys.driver.dma(dev, 0, 0, 8, true);
    sys.driver.dma(dev, 0, 0x9000, 8, true);
    readDirty(dom, 0, 4096, true);
    const tracks = new Set(rec.names.map((n) => n.split(':')[0]));
    expect([...tracks].sort()).toEqual(['driver', 'hw.cmdq', 'hw.fault', 'hw.table']);
    const expected = { amd: 'hw.cmdq:amdvi_invalidate_iommu_pages', intel: 'hw.cmdq:qi_submit', smmuv3: 'hw.cmdq:smmuv3_cmdq_tlbi_nh_va' }[vendor];
    expect(rec.names).toContain(expected);
    expect(rec.counters.get('faults')).toBe(1);
    expect(rec.counters.get('dma_write_bytes')).toBe(16);
  });
});

describe('IOTLB entry sizes', () => {
  it('AMD caches a 64 KiB replicated page as 4 KiB entries; SMMUv3 maps 64 KiB as sixteen 4 KiB leaves (no contiguous bit)', () => {
    const amd = setup('amd');
    map(amd.dom, 0x100000, 0x4000_0000, 0x10000, 0x10000);
    expect(amd.dom.pt.leaves().map((l) => l.size)).toEqual([0x10000]);
    expect(amd.sys.driver.dma(amd.dev, 0, 0x100000, 0x10000, false)).toBe(0);
    expect([amd.sys.stats().translations, amd.sys.stats().iotlb_entries]).toEqual([16, 16]);
    const arm = setup('smmuv3');
    map(arm.dom, 0x100000, 0x4000_0000, 0x10000);
    expect(arm.dom.pt.leaves().map((l) => l.size)).toEqual(new Array(16).fill(4096));
    expect(arm.sys.driver.dma(arm.dev, 0, 0x100000, 0x10000, false)).toBe(0);
    expect([arm.sys.stats().translations, arm.sys.stats().iotlb_entries]).toEqual([16, 16]);
  });
});

describe('domain lifetime', () => {
  it.each(HW_VENDORS)('%s: free blocks attached devices, releases tables, and later ops fail cleanly', (vendor) => {
    const { sys, dev, dom } = setup(vendor);
    map(dom, 0, 0x10_0000_0000, 0x4000);
    expect(sys.driver.dma(dev, 0, 0, 8, true)).toBe(0);
    dom.ops.free(dom);
    expect(dom.devices.size).toBe(0);
    expect(sys.driver.dma(dev, 0, 0, 8, true)).toBeLessThan(0); // blocked now
    expect(dom.ops.mapPages(dom, 0, 0, 4096, 1, 3, { bytes: 0 })).toBe(-ERRNO.EINVAL);
    expect(dom.ops.iovaToPhys(dom, 0)).toBe(0);
    expect(dom.ops.attachDev(dom, dev)).toBe(-ERRNO.EINVAL);
  });
});

describe('tag reuse', () => {
  it.each(HW_VENDORS)('%s: a freed domain tag reused by a new domain never hits the old translations', (vendor) => {
    const { sys, dev, dom } = setup(vendor);
    map(dom, 0x7000, 0x10_0000_0000, 0x1000);
    expect(sys.driver.dma(dev, 0, 0x7000, 8, false)).toBe(0);
    const tag = dom.tag;
    dom.ops.free(dom);
    const b = sys.driver.domainAllocPagingFlags(dev, 0) as typeof dom;
    expect(b.tag).toBe(tag);
    expect(b.ops.attachDev(b, dev)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x7000, 8, false)).toBe(-ERRNO.EFAULT);
  });
});
