/**
 * SMMUv3 dirty-tracking design switch (caps.dirtyDesign): mainline v2 (always DBM) vs the
 * 2022 RFC v1 range-op design, intended and faithful (errata E3, E4, E6, E20).
 * Source: docs/rfc-errata.md (D3, E3, E4, E6, E20).
 */
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import type { PagingDomain } from '../../../core/iommu/paging-domain';
import type { SmmuDirtyDesign, SmmuV3Driver } from '../../../core/iommu/smmuv3/driver';
import { SMMU_DIRTY_DESIGNS, smmuDirtyDesignCaps, smmuMappedRanges } from '../../../core/iommu/smmuv3/driver';
import { iotlbGatherInit } from '../../../core/pt';
import { IOMMU_READ } from '../../../core/pt/types';
import { makeSystem, map, readDirty, setup } from './helpers';

const raw = (dom: PagingDomain, iova: number): bigint => BigInt('0x' + dom.pt.walk(iova).at(-1)!.raw);
const DBM = 1n << 51n;
const AP2 = 1n << 7n;
const state = (dom: PagingDomain, iova: number): bigint => raw(dom, iova) & (DBM | AP2);

function rig(design: SmmuDirtyDesign, caps: Record<string, number | boolean> = {}) {
  const r = setup('smmuv3', { caps: { ...smmuDirtyDesignCaps(design), ...caps } });
  return { ...r, drv: r.sys.driver as SmmuV3Driver };
}

/** What iommufd's IOMMU_HWPT_SET_DIRTY_TRACKING does (v6.7): clearing read + one flush, then the op. */
function enable(dom: PagingDomain, on = true): number {
  if (on) {
    const r = readDirty(dom, 0, 2 ** 32, true);
    if (r.rc) return r.rc;
  }
  return dom.dirtyOps!.setDirtyTracking(dom, on);
}

describe('SMMUv3 dirty design switch', () => {
  it('default (no cap) is v2: DBM installed at map, set_dirty_tracking issues no command', () => {
    const { sys, dom } = setup('smmuv3');
    const drv = sys.driver as SmmuV3Driver;
    expect(drv.dirtyDesign).toBe('v2');
    map(dom, 0x10000, 0x80000000, 0x2000);
    expect(state(dom, 0x10000)).toBe(DBM);
    const c0 = drv.hw.commands.total;
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    expect(drv.hw.commands.total).toBe(c0);
    // An explicit caps.dirtyDesign = 0 is the same design.
    expect((makeSystem('smmuv3', { caps: smmuDirtyDesignCaps('v2') }).driver as SmmuV3Driver).dirtyDesign).toBe('v2');
  });

  it('rejects an unknown design index', () => {
    expect(() => makeSystem('smmuv3', { caps: { dirtyDesign: 3 } })).toThrow(RangeError);
    expect(SMMU_DIRTY_DESIGNS).toEqual(['v2', 'rfc-v1', 'rfc-v1-faithful']);
  });

  it('mapped ranges are maximal runs of contiguous leaves', () => {
    const { dom } = rig('rfc-v1');
    map(dom, 0x10000, 0x80000000, 0x3000);
    map(dom, 0x13000, 0x90000000, 0x1000);
    map(dom, 0x40000, 0xa0000000, 0x2000);
    expect(smmuMappedRanges(dom.pt).map((r) => [r.iova, r.size, r.leaves.length])).toEqual([
      [0x10000, 0x4000, 4],
      [0x40000, 0x2000, 2],
    ]);
  });
});

describe("SMMUv3 'rfc-v1' (range op, intended)", () => {
  it('maps writable leaves without DBM; enable makes existing writable leaves writable-clean, read-only untouched', () => {
    const { dom } = rig('rfc-v1');
    map(dom, 0x10000, 0x80000000, 0x4000);
    map(dom, 0x20000, 0x90000000, 0x1000, 0x1000, IOMMU_READ);
    expect(state(dom, 0x10000)).toBe(0n); // plain writable, untracked
    const ro = raw(dom, 0x20000);
    expect(ro & (DBM | AP2)).toBe(AP2);
    expect(enable(dom)).toBe(0);
    expect(dom.dirtyTracking).toBe(true);
    for (let a = 0x10000; a < 0x14000; a += 0x1000) expect(state(dom, a)).toBe(DBM | AP2);
    expect(raw(dom, 0x20000)).toBe(ro);
  });

  it('writes to tracked leaves are reported (intended callback: DBM=1 ∧ AP[2]=0, then set AP[2])', () => {
    const { sys, dev, dom } = rig('rfc-v1');
    map(dom, 0x10000, 0x80000000, 0x4000);
    expect(enable(dom)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x11000, 8, true)).toBe(0);
    expect(state(dom, 0x11000)).toBe(DBM);
    expect(readDirty(dom, 0x10000, 0x4000, true).records).toEqual([[0x11000, 0x1000]]);
    expect(state(dom, 0x11000)).toBe(DBM | AP2);
  });

  it('a map made after enabling gets no DBM: its writes are never reported (E20)', () => {
    const { sys, dev, dom } = rig('rfc-v1');
    map(dom, 0x10000, 0x80000000, 0x1000);
    expect(enable(dom)).toBe(0);
    map(dom, 0x50000, 0x90000000, 0x1000);
    expect(state(dom, 0x50000)).toBe(0n);
    expect(sys.driver.dma(dev, 0, 0x50000, 8, true)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x10000, 8, true)).toBe(0);
    expect(readDirty(dom, 0, 0x100000, true).records).toEqual([[0x10000, 0x1000]]);
  });

  it('v2 for contrast: a map after enabling is tracked', () => {
    const { sys, dev, dom } = setup('smmuv3');
    expect(enable(dom)).toBe(0);
    map(dom, 0x50000, 0x90000000, 0x1000);
    readDirty(dom, 0, 0x100000, true); // installed writable-dirty: first read reports it
    expect(sys.driver.dma(dev, 0, 0x50000, 8, true)).toBe(0);
    expect(readDirty(dom, 0, 0x100000, true).records).toEqual([[0x50000, 0x1000]]);
  });

  it('enable costs a walk plus one gather flush (TLBI_NH_VA + CMD_SYNC); v2 enable issues none', () => {
    const { drv, dom } = rig('rfc-v1');
    map(dom, 0x10000, 0x80000000, 0x4000);
    map(dom, 0x40000, 0x90000000, 0x2000);
    const c0 = drv.hw.commands.total;
    const read0 = drv.hw.counters.dirty_entries_read;
    const clr0 = drv.hw.counters.dirty_entries_cleared;
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    const issued = drv.hw.commands.toArray().slice(c0).map((c) => c.name);
    expect(issued.length).toBeGreaterThan(1);
    expect(issued.at(-1)).toBe('CMD_SYNC');
    expect(issued.filter((n) => n === 'CMD_TLBI_NH_VA').length).toBeGreaterThan(0);
    expect(drv.hw.counters.dirty_entries_read - read0).toBe(6); // every leaf walked
    expect(drv.hw.counters.dirty_entries_cleared - clr0).toBe(6); // every leaf changed
    // Enabling again changes nothing but still walks and flushes the ranges (the RFC adds
    // each range to the gather whatever the walk did).
    const c1 = drv.hw.commands.total;
    const clr1 = drv.hw.counters.dirty_entries_cleared;
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
    expect(drv.hw.counters.dirty_entries_cleared).toBe(clr1);
    expect(drv.hw.commands.total).toBeGreaterThan(c1);
  });

  it('disable clears DBM (dirty state forgotten): later writes are not reported', () => {
    const { sys, dev, dom } = rig('rfc-v1');
    map(dom, 0x10000, 0x80000000, 0x2000);
    expect(enable(dom)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x10000, 8, true)).toBe(0);
    expect(state(dom, 0x10000)).toBe(DBM);
    expect(enable(dom, false)).toBe(0);
    expect(dom.dirtyTracking).toBe(false);
    expect(state(dom, 0x10000)).toBe(0n);
    expect(state(dom, 0x11000)).toBe(0n);
    expect(sys.driver.dma(dev, 0, 0x11000, 8, true)).toBe(0);
    expect(readDirty(dom, 0x10000, 0x2000, true).records).toEqual([]);
  });

  it('the range op works on any mapped size (no pgsize_bitmap size check in the intended mode)', () => {
    const { drv, dom } = rig('rfc-v1');
    map(dom, 0x10000, 0x80000000, 0x3000);
    const g = iotlbGatherInit();
    expect(drv.setDirtyTrackingRange(dom, 0x10000, 0x3000, g, true)).toBe(0);
    expect(g.start).toBe(0x10000);
    expect(g.end).toBe(0x12fff);
    expect(state(dom, 0x12000)).toBe(DBM | AP2);
  });
});

describe("SMMUv3 'rfc-v1-faithful' (RFC v1 code as posted)", () => {
  it('E6: iommufd passes length − 1, the range op fails the pgsize_bitmap check → -EINVAL; the gather is still flushed', () => {
    const { drv, dom } = rig('rfc-v1-faithful');
    map(dom, 0x10000, 0x80000000, 0x1000);
    const c0 = drv.hw.commands.total;
    expect(enable(dom)).toBe(-ERRNO.EINVAL);
    expect(dom.dirtyTracking).toBe(false);
    expect(state(dom, 0x10000)).toBe(0n);
    expect(drv.hw.commands.toArray().slice(c0).map((c) => c.name).at(-1)).toBe('CMD_SYNC');
    // The same op with a pgsize-made size passes the check (E6 is the caller's length − 1).
    expect(drv.setDirtyTrackingRange(dom, 0x10000, 0x1000 - 1, iotlbGatherInit(), true)).toBe(-ERRNO.EINVAL);
    expect(drv.setDirtyTrackingRange(dom, 0x10000, 0x1000, iotlbGatherInit(), true)).toBe(0);
  });

  it('E4: enabling skips PTEs without DBM, disabling skips PTEs with DBM (tracking never toggles)', () => {
    const { sys, dev, drv, dom } = rig('rfc-v1-faithful');
    map(dom, 0x10000, 0x80000000, 0x1000);
    expect(drv.setDirtyTrackingRange(dom, 0x10000, 0x1000, iotlbGatherInit(), true)).toBe(0);
    expect(state(dom, 0x10000)).toBe(0n); // still untracked
    // A PTE that has DBM (set behind the RFC's back with the intended modifier) keeps it on disable.
    expect(dom.pt.setDirtyModifier(0x10000, 0x1000, true, iotlbGatherInit())).toBe(0);
    expect(state(dom, 0x10000)).toBe(DBM | AP2);
    expect(drv.setDirtyTrackingRange(dom, 0x10000, 0x1000, iotlbGatherInit(), false)).toBe(0);
    expect(state(dom, 0x10000)).toBe(DBM | AP2);
    // Enable on a DBM PTE only re-cleans it (writable-dirty → writable-clean).
    expect(sys.driver.dma(dev, 0, 0x10000, 8, true)).toBe(0);
    dom.ops.flushIotlbAll(dom);
    expect(state(dom, 0x10000)).toBe(DBM);
    expect(drv.setDirtyTrackingRange(dom, 0x10000, 0x1000, iotlbGatherInit(), true)).toBe(0);
    expect(state(dom, 0x10000)).toBe(DBM | AP2);
  });

  it('the RFC modifier returns -EINVAL on a read-only leaf', () => {
    const { drv, dom } = rig('rfc-v1-faithful');
    map(dom, 0x20000, 0x90000000, 0x1000, 0x1000, IOMMU_READ);
    expect(drv.setDirtyTrackingRange(dom, 0x20000, 0x1000, iotlbGatherInit(), true)).toBe(-ERRNO.EINVAL);
  });

  it('E3: the read callback skips every DBM PTE, so a writable-dirty leaf is never reported', () => {
    const { sys, dev, dom } = rig('rfc-v1-faithful');
    map(dom, 0x10000, 0x80000000, 0x1000);
    expect(dom.pt.setDirtyModifier(0x10000, 0x1000, true, iotlbGatherInit())).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x10000, 8, true)).toBe(0);
    expect(state(dom, 0x10000)).toBe(DBM); // writable-dirty in the table
    const r = readDirty(dom, 0x10000, 0x1000, true);
    expect(r.rc).toBe(0);
    expect(r.records).toEqual([]);
    expect(state(dom, 0x10000)).toBe(DBM); // not cleared either
    // The intended design reports the same table state.
    const ok = rig('rfc-v1');
    map(ok.dom, 0x10000, 0x80000000, 0x1000);
    expect(ok.dom.pt.setDirtyModifier(0x10000, 0x1000, true, iotlbGatherInit())).toBe(0);
    expect(ok.sys.driver.dma(ok.dev, 0, 0x10000, 8, true)).toBe(0);
    expect(readDirty(ok.dom, 0x10000, 0x1000, true).records).toEqual([[0x10000, 0x1000]]);
  });

  it('with no mapped range the RFC loop returns -EOPNOTSUPP (E7); without BBML2 the op is -ENODEV', () => {
    const { dom } = rig('rfc-v1-faithful');
    expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(-ERRNO.EOPNOTSUPP);
    const b = rig('rfc-v1-faithful', { bbml: 1 });
    map(b.dom, 0x10000, 0x80000000, 0x1000);
    expect(b.drv.setDirtyTrackingRange(b.dom, 0x10000, 0x1000, iotlbGatherInit(), true)).toBe(-ERRNO.ENODEV);
  });
});
