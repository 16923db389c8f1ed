/**
 * PT_FEAT_DMA_INCOHERENT (core/pt/incoherent.ts): write-back of new tables before they become
 * reachable, one write-back per level walk for written items, and cut_mapping cases T-PT-27/28
 * (the private table is written back before the parent write; docs/threads.md). FMT_X86
 * is x86_64 (vtdss has the same 4K/2M/1G geometry and runs them too).
 */
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import { IOMMU_READ, IOMMU_WRITE, type IommuDirtyBitmap } from '../../../core/pt/types';
import { TablePool, iotlbGatherInit, type GenericPt } from '../../../core/pt/index';
import type { IncoherentStats } from '../../../core/pt/incoherent';
import { PageSetSink, SZ_2M, SZ_4K, mk, newRef } from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;
const A = 0x4000_0000;
const OA = 0x1_0000_0000;

function stats(pt: GenericPt): IncoherentStats {
  if (!pt.incoherent) throw new Error('table is coherent');
  return { ...pt.incoherent.stats };
}

function delta(a: IncoherentStats, b: IncoherentStats): Partial<IncoherentStats> {
  return { flushes: b.flushes - a.flushes, lines: b.lines - a.lines, tablesStarted: b.tablesStarted - a.tablesStarted };
}

/** Translations at every 4 KiB of [a, a + size) plus a sub-page offset. */
function probe(pt: GenericPt, a: number, size: number): number[] {
  const out: number[] = [];
  for (let x = a; x < a + size; x += SZ_4K) out.push(pt.iovaToPhys(x));
  out.push(pt.iovaToPhys(a + 0x1234));
  return out;
}

describe('DMA-incoherent page tables', () => {
  it('the top table is written back at creation; a coherent table keeps no write-back state', () => {
    const { pt } = mk('vtdss', { dmaIncoherent: true });
    expect(stats(pt)).toMatchObject({ flushes: 1, lines: 64, bytes: 4096, tablesStarted: 1 });
    expect(mk('vtdss').pt.incoherent).toBeNull();
  });

  it('map: each new table is written back whole before its parent item, then items once per level', () => {
    const { pt } = mk('vtdss', { dmaIncoherent: true });
    const s0 = stats(pt);
    // 2 MiB of 4 KiB pages at 0: new L2, L1, L0 tables under the L3 root.
    expect(pt.mapPages(0, OA + SZ_4K, SZ_2M, RW)).toBe(0);
    // 3 whole tables (3 x 64 lines) + 3 parent items (1 line each) + 512 leaves (64 lines).
    expect(delta(s0, stats(pt))).toEqual({ tablesStarted: 3, flushes: 3 + 3 + 1, lines: 3 * 64 + 3 + 64 });
    expect(pt.iovaToPhys(0x1234)).toBe(OA + SZ_4K + 0x1234);
    expect(pt.incoherent!.stats.unflushedWalks).toBe(0);
  });

  it('single-page maps take the full walk and write back one item each (no __map_single_page)', () => {
    const { pt } = mk('vtdss', { dmaIncoherent: true });
    expect(pt.mapPages(0, OA, SZ_4K, RW)).toBe(0);
    for (let k = 1; k < 64; k++) {
      const s = stats(pt);
      expect(pt.mapPages(k * SZ_4K, OA + k * SZ_4K, SZ_4K, RW)).toBe(0);
      expect(delta(s, stats(pt))).toEqual({ tablesStarted: 0, flushes: 1, lines: 1 });
    }
  });

  it('unmap: cleared items written back once per table; a freed table stops being visible', () => {
    const { pt } = mk('vtdss', { dmaIncoherent: true });
    expect(pt.mapPages(0, OA + SZ_4K, SZ_2M, RW)).toBe(0); // 512 x 4K in one L0 table
    const l0 = pt.walk(0).at(-1)!;
    expect(l0.level).toBe(0);
    const l0Page = l0.page;
    expect(pt.incoherent!.isFlushed(l0Page)).toBe(true);
    const s = stats(pt);
    const g = iotlbGatherInit();
    expect(pt.unmapPages(0, SZ_2M, g)).toBe(SZ_2M);
    // L0: 512 cleared items, one write-back of 64 lines; L1: the freed table's item, 1 line.
    expect(delta(s, stats(pt))).toEqual({ tablesStarted: 0, flushes: 2, lines: 65 });
    expect(g.freelist).toEqual([l0Page]);
    expect(pt.incoherent!.isFlushed(l0Page)).toBe(false);
    pt.releaseFreelist(g);
  });

  it('an entry pointing at a table never written back is a translation fault for the walker', () => {
    const pool = new TablePool();
    const { pt } = mk('vtdss', { pool, dmaIncoherent: true });
    expect(pt.mapPages(A, OA, SZ_4K, RW)).toBe(0);
    expect(pt.iovaToPhys(A)).toBe(OA);
    // Link a fresh table under the root without start_incoherent (a driver bug the model must expose).
    const page = pt.allocTable('test');
    const root = pool.pages[pt.rootPage]!;
    const idx = pt.index(0x80_0000_0000, pt.topLevel);
    pt.fmt.writeTable(root, idx, pt.topLevel, pool.phys(page));
    expect(pt.lookupLeaf(0x80_0000_0000, newRef())).toBe(false);
    expect(pt.incoherent!.stats.unflushedWalks).toBe(1);
    // The same walk on a coherent table just finds an empty table (no error counted).
    const c = mk('vtdss', { pool }).pt;
    const p2 = c.allocTable('test');
    c.fmt.writeTable(pool.pages[c.rootPage]!, idx, c.topLevel, pool.phys(p2));
    expect(c.lookupLeaf(0x80_0000_0000, newRef())).toBe(false);
    expect(c.incoherent).toBeNull();
  });

  it('a write-back failure while mapping returns its error and leaves the table unchanged', () => {
    const { pt, pool } = mk('vtdss', { dmaIncoherent: true });
    expect(pt.mapPages(A, OA, SZ_4K, RW)).toBe(0);
    const inUse = pool.inUse;
    pt.incoherent!.failStart.arm(2); // the L0 table of a new 1 GiB region
    expect(pt.mapPages(2 * A, OA, SZ_4K, RW)).toBe(-ERRNO.EINVAL);
    expect(pool.inUse).toBe(inUse);
    expect(pt.iovaToPhys(2 * A)).toBe(0);
    expect(pt.iovaToPhys(A)).toBe(OA);
    expect(pt.mapPages(2 * A, OA, SZ_4K, RW)).toBe(0);
  });

  it('dirty tracking is refused: DMA incoherence and atomic dirty bits cannot work together', () => {
    const { pt } = mk('vtdss', { dmaIncoherent: true });
    expect(pt.caps.supportsDirty).toBe(false);
    expect(pt.mapPages(A, OA, SZ_2M, RW)).toBe(0);
    const dirty: IommuDirtyBitmap = { bitmap: new PageSetSink(), gather: iotlbGatherInit() };
    expect(pt.readAndClearDirty(A, SZ_2M, 0, dirty)).toBe(-ERRNO.EOPNOTSUPP);
    expect(pt.writeProtectAndClear(A, SZ_2M, dirty)).toBe(-ERRNO.EOPNOTSUPP);
    const arm = mk('armv8', { dmaIncoherent: true }).pt;
    expect(arm.setDirtyModifier(A, SZ_2M, true, iotlbGatherInit())).toBe(-ERRNO.EOPNOTSUPP);
    const coherent = mk('vtdss').pt;
    expect(coherent.mapPages(A, OA, SZ_2M, RW)).toBe(0);
    expect(coherent.readAndClearDirty(A, SZ_2M, 0, dirty)).toBe(0);
  });
});

describe.each(['x86_64', 'vtdss', 'armv8'] as const)('%s: cut_mapping with DMA_INCOHERENT', (fmt) => {
  it('T-PT-27: the private table is written back once, before the parent write (hitless throughout)', () => {
    let hitless = true;
    let before: number[] = [];
    const { pt, pool } = mk(fmt, {
      dmaIncoherent: true,
      onCutStep: () => {
        if (probe(pt, A, SZ_2M).join() !== before.join()) hitless = false;
      },
    });
    expect(pt.mapPages(A, OA, SZ_2M, RW)).toBe(0);
    before = probe(pt, A, SZ_2M);
    const s = stats(pt);
    const allocs = pool.allocs;
    expect(pt.cutMapping(A + SZ_4K)).toBe(0);
    expect(pool.allocs - allocs).toBe(1);
    // One whole-table write-back of the private L0 table + the parent item: nothing per item.
    expect(delta(s, stats(pt))).toEqual({ tablesStarted: 1, flushes: 2, lines: 65 });
    expect(hitless).toBe(true);
    expect(pt.incoherent!.stats.unflushedWalks).toBe(0);
    expect(probe(pt, A, SZ_2M)).toEqual(before);
  });

  it('T-PT-28: a write-back failure returns its error; private tables are freed, nothing changes', () => {
    const { pt, pool } = mk(fmt, { dmaIncoherent: true });
    expect(pt.mapPages(A, OA, SZ_2M, RW)).toBe(0);
    const before = probe(pt, A, SZ_2M);
    const inUse = pool.inUse;
    const leaves = pt.leaves().length;
    pt.incoherent!.failStart.arm(1);
    expect(pt.cutMapping(A + SZ_4K)).toBe(-ERRNO.EINVAL);
    expect(pool.inUse).toBe(inUse);
    expect(pt.leaves().length).toBe(leaves);
    expect(probe(pt, A, SZ_2M)).toEqual(before);
    // Nothing was left half-done: the same cut now succeeds.
    expect(pt.cutMapping(A + SZ_4K)).toBe(0);
    expect(probe(pt, A, SZ_2M)).toEqual(before);
  });
});
