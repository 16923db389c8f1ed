import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import { IOMMU_READ, IOMMU_WRITE, HW_ACCESS } from '../../../core/pt/types';
import { FailNth, TablePool, iotlbGatherInit, iotlbGatherAddRange, iotlbGatherIsDisjoint } from '../../../core/pt/index';
import { FORMATS, SZ_1G, SZ_2M, SZ_4K, SZ_64K, mk, newRef, sizeHistogram } from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;

describe.each(FORMATS)('%s map/unmap/iova_to_phys', (fmt) => {
  it('maps with the best page size and translates every offset', () => {
    const { pt } = mk(fmt);
    expect(pt.mapPages(0x4000_0000, 0x1_0000_0000, SZ_2M + SZ_4K, RW)).toBe(0);
    const h = sizeHistogram(pt);
    expect(h['0x200000']).toBe(1);
    expect(h['0x1000']).toBe(1);
    expect(pt.iovaToPhys(0x4000_1234)).toBe(0x1_0000_1234);
    expect(pt.iovaToPhys(0x4020_0fff)).toBe(0x1_0020_0fff);
    expect(pt.iovaToPhys(0x4020_1000)).toBe(0);
  });

  it('rejects overlap with -EADDRINUSE and leaves nothing of the failed call', () => {
    const { pt, pool } = mk(fmt);
    expect(pt.mapPages(0x10_0000, 0x100_0000, SZ_4K, RW)).toBe(0);
    const before = pool.inUse;
    const mapped = { bytes: 0 };
    expect(pt.mapPages(0x8000, 0x200_0000, 0x10_0000, RW, mapped)).toBe(-ERRNO.EADDRINUSE);
    expect(mapped.bytes).toBe(0);
    expect(pt.iovaToPhys(0x8000)).toBe(0);
    expect(pt.iovaToPhys(0x10_0000)).toBe(0x100_0000);
    expect(pool.inUse).toBe(before);
  });

  it('validates arguments', () => {
    const { pt } = mk(fmt);
    expect(pt.mapPages(0, 0x1000, SZ_4K, 0)).toBe(-ERRNO.EINVAL);
    expect(pt.mapPages(0, 0x1000, 0, RW)).toBe(-ERRNO.EINVAL);
    expect(pt.mapPages(0x800, 0x1000, SZ_4K, RW)).toBe(-ERRNO.EINVAL);
    expect(pt.mapPages(0, 0x1800, SZ_4K, RW)).toBe(-ERRNO.EINVAL);
    expect(pt.mapPages(pt.vaLimit - SZ_4K, 0, 2 * SZ_4K, RW)).toBe(-ERRNO.ERANGE);
    expect(pt.mapPages(0, 2 ** 52, SZ_4K, RW)).toBe(-ERRNO.ERANGE);
    expect(pt.mapPages(2 ** 53 - SZ_4K, 0, 2 * SZ_4K, RW)).toBe(-ERRNO.EOVERFLOW);
  });

  it('unmaps a large page whole (over-unmap) and stops inside a leaf', () => {
    const { pt } = mk(fmt);
    expect(pt.mapPages(0x4000_0000, 0x1_0000_0000, SZ_2M, RW)).toBe(0);
    const g = iotlbGatherInit();
    expect(pt.unmapPages(0x4000_1000, SZ_4K, g)).toBe(0);
    expect(pt.unmapPages(0x4000_0000, SZ_4K, g)).toBe(SZ_2M);
    expect(g.start).toBe(0x4000_0000);
    expect(g.end).toBe(0x4000_0000 + SZ_2M - 1);
    expect(g.pgsize).toBe(SZ_2M);
    expect(pt.iovaToPhys(0x4000_1000)).toBe(0);
  });

  it('frees covered tables into the gather and returns the pool to its start after unmap-all + deinit', () => {
    const pool = new TablePool();
    const start = pool.inUse;
    const { pt } = mk(fmt, { pool });
    expect(pt.mapPages(0x7000, 0x9000, 0x30_0000, RW)).toBe(0);
    expect(pt.mapPages(0x1_0000_0000, 0x40_0000, SZ_1G, IOMMU_READ)).toBe(0);
    const g = iotlbGatherInit();
    expect(pt.unmapPages(0, 2 ** 33, g)).toBe(0);
    expect(pt.unmapPages(0x7000, 0x30_0000, g)).toBe(0x30_0000);
    expect(pt.unmapPages(0x1_0000_0000, SZ_1G, g)).toBe(SZ_1G);
    expect(g.freelist.length).toBeGreaterThan(0);
    expect(pt.releaseFreelist(g)).toBeGreaterThan(0);
    pt.deinit();
    expect(pool.inUse).toBe(start);
    expect(pool.allocs).toBe(pool.frees);
  });

  it('replaces an empty table with a large leaf', () => {
    const { pt, pool } = mk(fmt);
    expect(pt.mapPages(0x4000_0000, 0, SZ_4K, RW)).toBe(0);
    const g = iotlbGatherInit();
    expect(pt.unmapPages(0x4000_0000, SZ_4K, g)).toBe(SZ_4K);
    const tables = pt.tablePages();
    expect(pt.mapPages(0x4000_0000, 0, SZ_2M, RW)).toBe(0);
    expect(pt.tablePages()).toBe(tables - 1);
    expect(sizeHistogram(pt)).toEqual({ '0x200000': 1 });
    expect(pool.inUse).toBe(pt.tablePages());
  });

  it('-ENOMEM at every allocation point leaves nothing mapped and no table leaked', () => {
    const fail = new FailNth();
    const pool = new TablePool({ failNth: fail });
    const { pt } = mk(fmt, { pool });
    expect(pt.mapPages(0x4000_0000, 0, SZ_4K, RW)).toBe(0);
    const base = pool.inUse;
    let n = 1;
    for (;; n++) {
      fail.arm(n);
      const rc = pt.mapPages(0x1_0000_0000 - 0x10_0000, 0x1000_0000 - 0x10_0000, SZ_1G + 0x20_0000, RW);
      if (!fail.fired) {
        expect(rc).toBe(0);
        break;
      }
      expect(rc).toBe(-ERRNO.ENOMEM);
      expect(pool.inUse).toBe(base);
      expect(pt.iovaToPhys(0x1_0000_0000 - 0x10_0000)).toBe(0);
      expect(pt.iovaToPhys(0x4000_0000)).toBe(0);
    }
    expect(n).toBeGreaterThan(2);
    expect(pt.iovaToPhys(0x1_0000_0000)).toBe(0x1000_0000);
  });

  it('lookupLeaf + leafProt + hwAccess + leafDirty (the DMA hot path)', () => {
    const { pt } = mk(fmt, { dbmOnMap: true });
    expect(pt.mapPages(0x20_0000, 0x4000_0000, SZ_2M, RW)).toBe(0);
    expect(pt.mapPages(0x1000, 0x5000, SZ_4K, IOMMU_READ)).toBe(0);
    const ref = newRef();
    expect(pt.lookupLeaf(0x3000, ref)).toBe(false);
    expect(pt.lookupLeaf(0x1000, ref)).toBe(true);
    expect(ref.level).toBe(0);
    expect(ref.oa).toBe(0x5000);
    expect(ref.levelsWalked).toBe(pt.topLevel + 1);
    expect(pt.leafProt(ref)).toBe(IOMMU_READ);
    expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.PERM_FAULT);
    expect(pt.lookupLeaf(0x21_2345, ref)).toBe(true);
    expect(ref.sizeLg2).toBe(21);
    expect(ref.oa).toBe(0x4000_0000);
    expect(pt.leafProt(ref)).toBe(RW);
    if (!pt.caps.supportsDirty) {
      // x86_64: the kernel presets A and D on writable leaves (x86_64_pt_iommu_set_prot), so
      // hardware finds nothing to update, and no dirty state is tracked.
      expect(pt.hwAccess(ref, false, true, true)).toBe(HW_ACCESS.OK);
      expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.OK);
      expect(pt.leafDirty(ref)).toBe(false);
      return;
    }
    if (fmt === 'armv8') {
      // dbmOnMap installs writable-dirty (io-pgtable-arm with the HD quirk); clean it first.
      expect(pt.leafDirty(ref)).toBe(true);
      pt.readAndClearDirty(0, 2 ** 30, 0, { bitmap: null, gather: iotlbGatherInit() });
    }
    expect(pt.leafDirty(ref)).toBe(false);
    expect(pt.hwAccess(ref, false, true, true)).toBe(fmt === 'armv8' ? HW_ACCESS.OK : HW_ACCESS.UPDATED);
    expect(pt.leafDirty(ref)).toBe(false);
    expect(pt.hwAccess(ref, true, true, false)).toBe(fmt === 'armv8' ? HW_ACCESS.PERM_FAULT : HW_ACCESS.OK);
    expect(pt.leafDirty(ref)).toBe(false);
    expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.UPDATED);
    expect(pt.leafDirty(ref)).toBe(true);
    expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.OK);
  });

  it('walk() shows one raw step per level', () => {
    const { pt } = mk(fmt);
    expect(pt.mapPages(0x4000_0000, 0x1_0000_0000, SZ_64K, RW)).toBe(0);
    const steps = pt.walk(0x4000_2000);
    expect(steps.length).toBe(pt.topLevel + 1);
    expect(steps.at(-1)!.kind).toBe('OA');
    expect(steps.at(-1)!.raw).toMatch(/^[0-9a-f]{16}$/);
    expect(steps[0]!.tablePhys).toBe(pt.rootPhys);
    expect(pt.walk(0x8000_0000).at(-1)!.kind).toBe('EMPTY');
  });
});

describe('iotlb_gather', () => {
  it('keeps one hull (kernel add_range) and detects disjoint ranges', () => {
    const g = iotlbGatherInit();
    expect(iotlbGatherIsDisjoint(g, 0, SZ_4K)).toBe(false);
    iotlbGatherAddRange(g, 0x10_0000, SZ_4K);
    iotlbGatherAddRange(g, 0x5000, SZ_4K);
    expect([g.start, g.end]).toEqual([0x5000, 0x10_0fff]);
    expect(iotlbGatherIsDisjoint(g, 0x10_1000, SZ_4K)).toBe(false);
    expect(iotlbGatherIsDisjoint(g, 0x10_2000, SZ_4K)).toBe(true);
  });
});

describe('FailNth', () => {
  it('fails exactly the n-th attempt once', () => {
    const f = new FailNth();
    f.arm(3);
    expect([f.shouldFail('a'), f.shouldFail('b'), f.shouldFail('c'), f.shouldFail('d')]).toEqual([false, false, true, false]);
    expect(f.fired).toBe(true);
    expect(f.firedAt).toBe('c');
    expect(f.attempts).toBe(4);
  });
});

describe('kunit iommu_test conformance (drivers/iommu/generic_pt/kunit_iommu_pt.h)', () => {
  it.each(['vtdss', 'armv8', 'x86_64'] as const)('%s test_mixed: 0x3fe400000..0x4c0600000 is 14 x 2M + 3 x 1G + 3 x 2M', (fmt) => {
    const { pt } = mk(fmt);
    expect(pt.mapPages(0x3_fe40_0000, 0x3_fe40_0000, 0x4_c060_0000 - 0x3_fe40_0000, RW)).toBe(0);
    expect(pt.leaves().map((l) => l.size)).toEqual([...Array(14).fill(SZ_2M), SZ_1G, SZ_1G, SZ_1G, SZ_2M, SZ_2M, SZ_2M]);
  });

  it.each(FORMATS)('%s test_pgsize_boundary: 0xfef80000..0xfef9ffff maps and translates', (fmt) => {
    const { pt } = mk(fmt);
    expect(pt.mapPages(0xfef8_0000, 0xfef8_0000, 0x2_0000, RW)).toBe(0);
    expect(pt.leaves().reduce((s, l) => s + l.size, 0)).toBe(0x2_0000);
    expect(pt.iovaToPhys(0xfef9_ffff)).toBe(0xfef9_ffff);
    expect(pt.iovaToPhys(0xfefa_0000)).toBe(0);
  });

  it.each(FORMATS)('%s test_unmap_split: unmapping the first small page of a large page removes it whole and no more', (fmt) => {
    const { pt } = mk(fmt);
    expect(pt.mapPages(0, 0, SZ_2M + SZ_64K, RW)).toBe(0);
    expect(pt.leaves()[0]!.size).toBe(SZ_2M);
    expect(pt.unmapPages(0, SZ_4K, iotlbGatherInit())).toBe(SZ_2M);
    expect(pt.iovaToPhys(SZ_2M)).toBe(SZ_2M);
    expect(pt.iovaToPhys(SZ_2M - 1)).toBe(0);
  });
});

describe('pgsizeBitmap (domain.pgsize_bitmap ANDed with the format sizes, as compute_best_pgsize)', () => {
  it.each(['x86_64', 'vtdss', 'amdv1', 'armv8'] as const)('%s without 1 GiB maps 2 GiB with 2 MiB leaves, and cut respects it', (fmt) => {
    const { pt } = mk(fmt, { pgsizeBitmap: SZ_4K | SZ_2M });
    expect(pt.caps.pgsizeBitmap).toBe(SZ_4K | SZ_2M);
    expect(pt.mapPages(SZ_1G, 4 * SZ_1G, 2 * SZ_1G, RW)).toBe(0);
    expect(sizeHistogram(pt)).toEqual({ '0x200000': 1024 });
    expect(pt.cutMapping(SZ_1G + SZ_4K)).toBe(0);
    expect(sizeHistogram(pt)).toEqual({ '0x1000': 512, '0x200000': 1023 });
    expect(pt.iovaToPhys(SZ_1G + 0x1234)).toBe(4 * SZ_1G + 0x1234);
    // Without the limit the same map uses 1 GiB leaves.
    const full = mk(fmt).pt;
    expect(full.mapPages(SZ_1G, 4 * SZ_1G, 2 * SZ_1G, RW)).toBe(0);
    expect(sizeHistogram(full)).toEqual({ '0x40000000': 2 });
  });

  it('a bitmap without 4 KiB is refused', () => {
    expect(() => mk('x86_64', { pgsizeBitmap: SZ_2M })).toThrow(RangeError);
  });
});
