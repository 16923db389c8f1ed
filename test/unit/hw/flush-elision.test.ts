import { describe, expect, it } from 'vitest';
import { iotlbGatherInit } from '../../../core/pt';
import { HW_VENDORS, map, readDirty, setup } from './helpers';

/**
 * The IOTLB caches "already dirty" (docs/architecture.md "Engine rules"). Clearing D without an IOTLB
 * flush loses later dirtying (the page is never reported again); the flushed path does not.
 */
describe.each(HW_VENDORS)('%s: flush elision', (vendor) => {
  function tracked() {
    const s = setup(vendor);
    map(s.dom, 0x100000, 0x4000_0000, 0x1000);
    // iommufd enable order (iopt_set_dirty_tracking): clear with no bitmap, one flush, then set.
    const g = iotlbGatherInit();
    expect(s.dom.dirtyOps!.readAndClearDirty(s.dom, 0x100000, 0x1000, 0, { bitmap: null, gather: g })).toBe(0);
    s.dom.ops.iotlbSync(s.dom, g);
    expect(s.dom.dirtyOps!.setDirtyTracking(s.dom, true)).toBe(0);
    return s;
  }

  it('read-and-clear without the flush loses the next write', () => {
    const { sys, dev, dom } = tracked();
    expect(sys.driver.dma(dev, 0, 0x100000, 64, true)).toBe(0);
    expect(readDirty(dom, 0x100000, 0x1000, false).records).toEqual([[0x100000, 0x1000]]);
    const atomics = sys.hw!.counters.pte_write_atomic;
    expect(sys.driver.dma(dev, 0, 0x100000, 64, true)).toBe(0); // IOTLB hit, cached dirty: PTE untouched
    expect(sys.hw!.counters.pte_write_atomic).toBe(atomics);
    expect(readDirty(dom, 0x100000, 0x1000, true).records).toEqual([]); // lost dirty page
  });

  it('read-and-clear followed by the iotlb_sync sees the next write', () => {
    const { sys, dev, dom } = tracked();
    expect(sys.driver.dma(dev, 0, 0x100000, 64, true)).toBe(0);
    expect(readDirty(dom, 0x100000, 0x1000, true).records).toEqual([[0x100000, 0x1000]]);
    const hits = sys.hw!.counters.iotlb_hit;
    expect(sys.driver.dma(dev, 0, 0x100000, 64, true)).toBe(0); // miss after the flush: re-walk, set D
    expect(sys.hw!.counters.iotlb_hit).toBe(hits);
    expect(readDirty(dom, 0x100000, 0x1000, true).records).toEqual([[0x100000, 0x1000]]);
  });

  it('write-protect-and-clear collects dirty, flushes, and later writes fault', () => {
    const { sys, dev, dom } = tracked();
    expect(sys.driver.dma(dev, 0, 0x100000, 64, true)).toBe(0);
    const recs: [number, number][] = [];
    const rc = dom.ops.writeProtectAndClear(dom, 0x100000, 0x1000, { bitmap: { set: (i, l) => recs.push([i, l]) }, gather: iotlbGatherInit() });
    expect(rc).toBe(0);
    expect(recs).toEqual([[0x100000, 0x1000]]);
    expect(sys.driver.dma(dev, 0, 0x100000, 64, true)).toBeLessThan(0);
    expect(sys.hw!.counters.faults).toBe(1);
  });

  it('unmap_read_dirty reports the dirty leaf and removes it', () => {
    const { sys, dev, dom } = tracked();
    expect(sys.driver.dma(dev, 0, 0x100000, 64, true)).toBe(0);
    const recs: [number, number][] = [];
    const g = iotlbGatherInit();
    expect(dom.ops.unmapReadDirty(dom, 0x100000, 0x1000, g, { bitmap: { set: (i, l) => recs.push([i, l]) }, gather: g })).toBe(0x1000);
    dom.ops.iotlbSync(dom, g);
    expect(recs).toEqual([[0x100000, 0x1000]]);
    expect(dom.ops.iovaToPhys(dom, 0x100000)).toBe(0);
  });
});
