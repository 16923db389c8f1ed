/**
 * Shared helpers of the cut_mapping tests (docs/threads.md, docs/pt.md):
 * the hitless probe, map-twice comparison and a cut runner that counts table allocations.
 */
import { expect } from 'vitest';
import { IOMMU_READ, IOMMU_WRITE, type PtFormatName } from '../../../core/pt/types';
import { PT_ATTR, TablePool, type GenericPt, type GenericPtOptions } from '../../../core/pt/index';
import { SZ_4K, mk } from './helpers';

export const RW = IOMMU_READ | IOMMU_WRITE;

/** Leaves (without A/D state) of a table, for map-twice comparisons. */
export function shape(pt: GenericPt) {
  return pt.leaves().map((l) => [l.iova, l.size, l.oa, l.attrs & (PT_ATTR.READ | PT_ATTR.WRITE)]);
}

/** The leaves of mapping [a, c-1] and [c, b] separately into an empty table. */
export function mapTwice(fmt: PtFormatName, a: number, b: number, c: number, oa: number, prot = RW) {
  const { pt } = mk(fmt);
  expect(pt.mapPages(a, oa, c - a, prot)).toBe(0);
  expect(pt.mapPages(c, oa + (c - a), b + 1 - c, prot)).toBe(0);
  return shape(pt);
}

/** Probe translations at every 4K of [a, b] plus the edges of the cut. */
export function probe(pt: GenericPt, a: number, b: number, c: number): number[] {
  const out: number[] = [];
  for (let x = a; x <= b; x += SZ_4K) out.push(pt.iovaToPhys(x));
  for (const x of [a, b, c - 1, c, c + 0x123]) out.push(pt.iovaToPhys(x));
  return out;
}

export interface Case {
  fmt: PtFormatName;
  a: number;
  size: number;
  oa: number;
  c: number;
  opts?: Partial<GenericPtOptions>;
}

/** Map, cut with the hitless probe after every live write; returns rc and table allocations. */
export function runCut({ fmt, a, size, oa, c, opts }: Case) {
  const pool = new TablePool();
  let steps = 0;
  let hitlessOk = true;
  let before: number[] = [];
  const { pt } = mk(fmt, {
    pool,
    ...opts,
    onCutStep: () => {
      steps++;
      if (probe(pt, a, a + size - 1, c).join() !== before.join()) hitlessOk = false;
    },
  });
  expect(pt.mapPages(a, oa, size, RW)).toBe(0);
  before = probe(pt, a, a + size - 1, c);
  const allocs = pool.allocs;
  const rc = pt.cutMapping(c);
  const after = probe(pt, a, a + size - 1, c);
  return { pt, pool, rc, steps, hitlessOk, allocated: pool.allocs - allocs, unchanged: after.join() === before.join() };
}
