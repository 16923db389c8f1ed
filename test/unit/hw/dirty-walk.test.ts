/**
 * Walker profiles per vendor × kernel (core/iommu/dirty-walk.ts): the work one
 * read_and_clear_dirty charges on a small table, counted against the kernel code's rules.
 */
import { describe, expect, it } from 'vitest';
import { KERNEL_VERSIONS, type KernelVersion } from '../../../core/iommu/kernel';
import { dirtyWalkWork } from '../../../core/iommu/dirty-walk';
import { HW_VENDORS, map, readDirty, setup } from './helpers';

const BASE = 0x20_0000;
const SZ_4K = 4096;
/** Output addresses 4 KiB-aligned only, so every format maps single 4 KiB leaves. */
const PA = 0x1000_1000;

/** Cost-action counts charged by fn. */
function charged(sys: ReturnType<typeof setup>['sys'], fn: () => void): Record<string, number> {
  const c0 = sys.hw!.cost.countsByAction();
  fn();
  const c1 = sys.hw!.cost.countsByAction();
  const d: Record<string, number> = {};
  for (const k of ['pt_entry_read', 'pt_walk_level', 'pte_locked_rmw', 'pte_plain_rmw', 'indirect_call', 'dirty_record']) d[k] = (c1[k] ?? 0) - (c0[k] ?? 0);
  return d;
}

/** 512 present 4 KiB leaves (one full level-0 table), `dirty` of them written by DMA. */
function table(vendor: (typeof HW_VENDORS)[number], kernel: KernelVersion, dirty: number) {
  const t = setup(vendor, { kernel });
  expect(t.dom.dirtyOps!.setDirtyTracking(t.dom, true)).toBe(0);
  map(t.dom, BASE, PA, 512 * SZ_4K);
  // Writable-clean first (SMMUv3 installs DBM leaves writable-dirty; iommufd's enable clears).
  readDirty(t.dom, BASE, 512 * SZ_4K, true);
  for (let i = 0; i < dirty; i++) expect(t.sys.driver.dma(t.dev, 0, BASE + i * 37 * SZ_4K, 64, true)).toBe(0);
  return t;
}

describe('dirty-read walker profiles on 512 present 4 KiB leaves, 10 dirty', () => {
  for (const vendor of HW_VENDORS) {
    for (const kernel of KERNEL_VERSIONS) {
      it(`${vendor} kernel ${kernel}`, () => {
        const { sys, dom } = table(vendor, kernel, 10);
        const levels = dom.pt.topLevel + 1;
        let recs: [number, number][] = [];
        const w = charged(sys, () => (recs = readDirty(dom, BASE, 512 * SZ_4K, true).records));
        expect(recs).toHaveLength(10);
        const upper = levels - 1; // one entry per upper table on the way down
        const kind = sys.driver.vendor === 'smmuv3' ? 'arm' : kernel === '6.19' ? 'iommupt' : 'rewalk';
        if (kind === 'iommupt') {
          // One descent, plain stores on the 10 dirty leaves only.
          expect(w).toEqual({ pt_entry_read: upper + 512, pt_walk_level: 0, pte_locked_rmw: 0, pte_plain_rmw: 10, indirect_call: 0, dirty_record: 10 });
        } else if (kind === 'rewalk') {
          // fetch_pte / pfn_to_dma_pte from the root per leaf; LOCK BTR on every present leaf.
          expect(w).toEqual({ pt_entry_read: 0, pt_walk_level: 512 * levels, pte_locked_rmw: 512, pte_plain_rmw: 0, indirect_call: 0, dirty_record: 10 });
        } else {
          // io-pgtable-arm: one descent, one visit() per entry, set_bit on dirty leaves.
          expect(w).toEqual({ pt_entry_read: upper + 512, pt_walk_level: 0, pte_locked_rmw: 10, pte_plain_rmw: 0, indirect_call: upper + 512, dirty_record: 10 });
        }
      });
    }
  }

  it('the pre-iommupt walkers are the slower ones on this table at the default costs', () => {
    const ns: Record<string, number> = {};
    for (const vendor of HW_VENDORS) {
      for (const kernel of KERNEL_VERSIONS) {
        const { sys, dom } = table(vendor, kernel, 10);
        const t0 = sys.driver.clock.now;
        const before = dom.scanSnapshot();
        dom.pt.readAndClearDirty(BASE, 512 * SZ_4K, 0, { bitmap: null, gather: { start: 2 ** 53, end: 0, pgsize: 0, freelist: [], queued: false } });
        dom.chargeScan(before, true);
        ns[`${vendor}/${kernel}`] = sys.driver.clock.now - t0;
      }
    }
    expect(ns['amd/6.7-6.18']).toBeGreaterThan(10 * ns['amd/6.19']);
    expect(ns['intel/6.7-6.18']).toBeGreaterThan(10 * ns['intel/6.19']);
    expect(ns['smmuv3/6.19']).toBe(ns['smmuv3/6.7-6.18']);
  });
});

describe('holes and replicated leaves', () => {
  it('a per-leaf walker walks to every hole; iommupt reads it once', () => {
    for (const kernel of KERNEL_VERSIONS) {
      const { sys, dom } = setup('amd', { kernel });
      expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
      map(dom, BASE, PA, 510 * SZ_4K); // 2 empty entries at the end of the level-0 table
      const levels = dom.pt.topLevel + 1;
      const w = charged(sys, () => readDirty(dom, BASE, 512 * SZ_4K, true));
      if (kernel === '6.19') expect(w.pt_entry_read).toBe(levels - 1 + 512);
      else expect([w.pt_walk_level, w.pte_locked_rmw]).toEqual([512 * levels, 510]);
    }
  });

  it('AMD replicated 64 KiB leaf: one walk, every replica cleared (pre-6.19) or one load (6.19)', () => {
    for (const kernel of KERNEL_VERSIONS) {
      const { sys, dev, dom } = setup('amd', { kernel });
      expect(dom.dirtyOps!.setDirtyTracking(dom, true)).toBe(0);
      map(dom, 0x4_0000, 0x10_0000, 0x1_0000, 0x1_0000); // one 64 KiB leaf = 16 replicas
      expect(sys.driver.dma(dev, 0, 0x4_8000, 64, true)).toBe(0);
      const levels = dom.pt.topLevel + 1;
      const w = charged(sys, () => expect(readDirty(dom, 0x4_0000, 0x1_0000, true).records).toEqual([[0x4_0000, 0x1_0000]]));
      if (kernel === '6.19') expect([w.pt_entry_read, w.pte_plain_rmw]).toEqual([levels - 1 + 1, 16]);
      else expect([w.pt_walk_level, w.pte_locked_rmw]).toEqual([levels, 16]);
    }
  });

  it('NO_CLEAR clears nothing in any profile', () => {
    for (const kind of ['iommupt', 'per-leaf-rewalk', 'io-pgtable-arm'] as const) {
      const w = dirtyWalkWork({ kind, source: '' }, { entries: 515, leaves: 512, leafItems: 512, leafDepth: 2048, holes: 0, holeDepth: 0, records: 10, itemsCleared: 0 }, false);
      expect([w.lockedRmw, w.plainRmw, w.records]).toEqual([0, 0, 10]);
    }
  });
});
