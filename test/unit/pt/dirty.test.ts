import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import { IOMMU_DIRTY_NO_CLEAR, IOMMU_READ, IOMMU_WRITE, HW_ACCESS } from '../../../core/pt/types';
import { iotlbGatherInit, iotlbGatherIsEmpty } from '../../../core/pt/index';
import { AMDV1_D } from '../../../core/pt/formats/amdv1';
import { DIRTY_FORMATS, PageSetSink, SZ_2M, SZ_4K, SZ_64K, mk, newRef } from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;

/** Map, then (Arm) enable DBM so leaves are writable-clean, like a driver enabling tracking. */
function setup(fmt: (typeof DIRTY_FORMATS)[number]) {
  const t = mk(fmt);
  const { pt } = t;
  expect(pt.mapPages(0x4000_0000, 0x1_0000_0000, SZ_2M, RW)).toBe(0); // one 2M leaf
  expect(pt.mapPages(0x10_0000, 0x20_0000, 0x10_0000, RW)).toBe(0); // 4K (and 64K on amd/arm)
  if (fmt === 'armv8') expect(pt.setDirtyModifier(0, 2 ** 40, true, iotlbGatherInit())).toBe(0);
  return t;
}

function write(pt: ReturnType<typeof mk>['pt'], iova: number): void {
  const ref = newRef();
  expect(pt.lookupLeaf(iova, ref)).toBe(true);
  expect(pt.hwAccess(ref, true, true, true)).not.toBe(HW_ACCESS.PERM_FAULT);
}

describe.each(DIRTY_FORMATS)('%s read_and_clear_dirty', (fmt) => {
  it('reports each dirty leaf whole, clears it, and widens the gather', () => {
    const { pt } = setup(fmt);
    write(pt, 0x4000_5000);
    write(pt, 0x10_3000);
    const bm = new PageSetSink();
    const gather = iotlbGatherInit();
    expect(pt.readAndClearDirty(0, 2 ** 31, 0, { bitmap: bm, gather })).toBe(0);
    const small = pt.leaves().find((l) => l.iova <= 0x10_3000 && l.iova + l.size > 0x10_3000)!;
    expect(bm.records).toEqual([[small.iova, small.size], [0x4000_0000, SZ_2M]]);
    expect(gather.start).toBe(small.iova);
    expect(gather.end).toBe(0x4000_0000 + SZ_2M - 1);
    // Cleared: a second pass finds nothing.
    const bm2 = new PageSetSink();
    const g2 = iotlbGatherInit();
    expect(pt.readAndClearDirty(0, 2 ** 31, 0, { bitmap: bm2, gather: g2 })).toBe(0);
    expect(bm2.records).toEqual([]);
    expect(iotlbGatherIsEmpty(g2)).toBe(true);
  });

  it('NO_CLEAR reports without clearing', () => {
    const { pt } = setup(fmt);
    write(pt, 0x4000_0000);
    for (let k = 0; k < 2; k++) {
      const bm = new PageSetSink();
      expect(pt.readAndClearDirty(0x4000_0000, SZ_4K, IOMMU_DIRTY_NO_CLEAR, { bitmap: bm, gather: iotlbGatherInit() })).toBe(0);
      expect(bm.pages.size).toBe(512);
    }
    const bm = new PageSetSink();
    expect(pt.readAndClearDirty(0x4000_0000, SZ_4K, 0, { bitmap: bm, gather: iotlbGatherInit() })).toBe(0);
    expect(bm.pages.size).toBe(512);
    const ref = newRef();
    pt.lookupLeaf(0x4000_0000, ref);
    expect(pt.leafDirty(ref)).toBe(false);
  });

  it('a null bitmap only clears (the kernel clear-only pass)', () => {
    const { pt } = setup(fmt);
    write(pt, 0x4000_0000);
    expect(pt.readAndClearDirty(0, 2 ** 31, 0, { bitmap: null, gather: iotlbGatherInit() })).toBe(0);
    const bm = new PageSetSink();
    pt.readAndClearDirty(0, 2 ** 31, 0, { bitmap: bm, gather: iotlbGatherInit() });
    expect(bm.records).toEqual([]);
  });

  it('ranges are validated', () => {
    const { pt } = setup(fmt);
    expect(pt.readAndClearDirty(0, 0, 0, { bitmap: null, gather: iotlbGatherInit() })).toBe(-ERRNO.EINVAL);
    expect(pt.readAndClearDirty(pt.vaLimit, SZ_4K, 0, { bitmap: null, gather: iotlbGatherInit() })).toBe(-ERRNO.ERANGE);
  });

  it('write-protect-and-clear collects dirty state and makes leaves read-only', () => {
    const { pt } = setup(fmt);
    write(pt, 0x4000_0000);
    const bm = new PageSetSink();
    const gather = iotlbGatherInit();
    expect(pt.writeProtectAndClear(0x4000_0000, SZ_2M, { bitmap: bm, gather })).toBe(0);
    expect(bm.records).toEqual([[0x4000_0000, SZ_2M]]);
    expect([gather.start, gather.end]).toEqual([0x4000_0000, 0x4000_0000 + SZ_2M - 1]);
    const ref = newRef();
    pt.lookupLeaf(0x4000_0000, ref);
    expect(pt.leafProt(ref)).toBe(IOMMU_READ);
    expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.PERM_FAULT);
    expect(pt.iovaToPhys(0x4000_0123)).toBe(0x1_0000_0123);
  });
});

describe('amdv1 replicated PTEs', () => {
  it('D set on only one replica dirties the whole page; reading clears every replica', () => {
    const { pt, pool } = mk('amdv1');
    expect(pt.mapPages(0x1_0000, 0x9_0000, SZ_64K, RW)).toBe(0); // 16 replicas, NextLevel 7
    const ref = newRef();
    expect(pt.lookupLeaf(0x1_a000, ref)).toBe(true);
    expect(ref.sizeLg2).toBe(16);
    expect(ref.index).toBe(0x1a);
    // Hardware dirties the replica it fetched (item 0x1a) only.
    expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.UPDATED);
    const t = pool.pages[ref.page]!;
    const dirtyItems = [];
    for (let i = 0x10; i < 0x20; i++) if (t[2 * i]! & AMDV1_D) dirtyItems.push(i);
    expect(dirtyItems).toEqual([0x1a]);
    expect(pt.lookupLeaf(0x1_0000, ref)).toBe(true);
    expect(pt.leafDirty(ref)).toBe(true);
    // A read over just the first 4 KiB (a clean replica) reports the whole 64 KiB.
    const bm = new PageSetSink();
    expect(pt.readAndClearDirty(0x1_0000, SZ_4K, 0, { bitmap: bm, gather: iotlbGatherInit() })).toBe(0);
    expect(bm.records).toEqual([[0x1_0000, SZ_64K]]);
    for (let i = 0x10; i < 0x20; i++) expect(t[2 * i]! & AMDV1_D).toBe(0);
    // A read ending on the last replica also sees a dirty first replica.
    expect(pt.lookupLeaf(0x1_0000, ref)).toBe(true);
    pt.hwAccess(ref, true, true, true);
    const bm2 = new PageSetSink();
    pt.readAndClearDirty(0x1_f000, SZ_4K, 0, { bitmap: bm2, gather: iotlbGatherInit() });
    expect(bm2.records).toEqual([[0x1_0000, SZ_64K]]);
  });
});

describe('armv8 DBM modifier', () => {
  it('follows the HTTU encoding and is -EOPNOTSUPP elsewhere', () => {
    const { pt } = mk('armv8');
    expect(pt.mapPages(0, 0x10_0000, SZ_4K, RW)).toBe(0);
    const ref = newRef();
    pt.lookupLeaf(0, ref);
    // Plain writable (DBM=0, AP[2]=0): writes allowed, never dirty.
    expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.OK);
    expect(pt.leafDirty(ref)).toBe(false);
    const g = iotlbGatherInit();
    expect(pt.setDirtyModifier(0, SZ_4K, true, g)).toBe(0);
    expect([g.start, g.end]).toEqual([0, SZ_4K - 1]);
    expect(pt.walk(0).at(-1)!.fields.State).toBe('writable-clean');
    expect(pt.hwAccess(ref, true, true, false)).toBe(HW_ACCESS.PERM_FAULT); // no CD.HD
    expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.UPDATED);
    expect(pt.walk(0).at(-1)!.fields.State).toBe('writable-dirty');
    expect(pt.setDirtyModifier(0, SZ_4K, false, iotlbGatherInit())).toBe(0);
    expect(pt.walk(0).at(-1)!.fields.State).toBe('writable');
    for (const f of ['amdv1', 'vtdss'] as const) {
      expect(mk(f).pt.setDirtyModifier(0, SZ_4K, true, iotlbGatherInit())).toBe(-ERRNO.EOPNOTSUPP);
    }
  });
});

describe('read_and_clear_dirty work counters', () => {
  it('count tables visited, entries read (range-clipped) and entries cleared', () => {
    const { pt } = mk('amdv1');
    expect(pt.mapPages(0x10_0000, 0x20_0000, 0x4_0000, RW)).toBe(0); // 256 KiB replicated page at level 0
    expect(pt.mapPages(0x40_0000, 0x40_0000, 16 * SZ_4K, RW)).toBe(0); // 64 KiB
    const ref = newRef();
    pt.lookupLeaf(0x10_8000, ref);
    pt.hwAccess(ref, true, true, true);
    expect(pt.readAndClearDirty(0x10_0000, 0x40_0000, 0, { bitmap: null, gather: iotlbGatherInit() })).toBe(0);
    // Top, L2 and L1 tables (1 + 1 + 3 entries in range) plus the L0 tables under L1 items 0 and
    // 2 (clipped to 256 entries each: [1 MiB, 2 MiB) and [4 MiB, 5 MiB)); L1 item 1 is empty.
    expect(pt.stats.dirtyTablesVisited).toBe(5);
    expect(pt.stats.dirtyEntriesCleared).toBe(64); // every replica of the 256 KiB page
    expect(pt.stats.dirtyEntriesRead).toBe(1 + 1 + 3 + 256 + 256);
  });
});

describe('multi-item leaves above level 0 straddling the scan range', () => {
  it.each([
    ['armv8', 0x200_0000, 0x200_0000, 0x200_0000, 0x3ff_f000], // 32 MiB contiguous: dirty item 0, read the last 4K
    ['amdv1', 0x40_0000, 0x40_0000, 0x60_0000, 0x40_0000], // 4 MiB replicated: dirty replica 1, read the first 4K
    ['amdv1', 0x40_0000, 0x40_0000, 0x40_0000, 0x7f_f000], // dirty replica 0, read the last 4K
  ] as const)('%s leaf of %s bytes', (fmt, size, iova, dirtyAt, readAt) => {
    const { pt } = mk(fmt, { dbmOnMap: true });
    expect(pt.mapPages(iova, 0x1_0000_0000, size, RW)).toBe(0);
    pt.readAndClearDirty(0, 2 ** 32, 0, { bitmap: null, gather: iotlbGatherInit() });
    const ref = newRef();
    expect(pt.lookupLeaf(dirtyAt, ref)).toBe(true);
    expect(ref.sizeLg2).toBe(Math.log2(size));
    expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.UPDATED);
    const bm = new PageSetSink();
    expect(pt.readAndClearDirty(readAt, SZ_4K, 0, { bitmap: bm, gather: iotlbGatherInit() })).toBe(0);
    expect(bm.records).toEqual([[iova, size]]);
    expect(pt.lookupLeaf(iova, ref)).toBe(true);
    expect(pt.leafDirty(ref)).toBe(false);
  });
});
