/**
 * The FMT_X86 cut_mapping cases (worked examples E1, E5-E7, E11-E13 and cases T-PT-01..34 of
 * the project's cut_mapping case list; each test title states its case) on the x86_64 format, whose defaults match the preset:
 * 4K/2M/1G leaves, no contiguous sizes, OA_TABLE_XCHG only. T-PT-27/28 (FMT_X86 +
 * DMA_INCOHERENT) run in incoherent.test.ts on x86_64, vtdss and armv8.
 */
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import { IOMMU_READ } from '../../../core/pt/types';
import { FailNth, TablePool, iotlbGatherInit } from '../../../core/pt/index';
import { PageSetSink, SZ_1G, SZ_2M, SZ_4K, mk, sizeHistogram } from './helpers';
import { RW, mapTwice, runCut, shape } from './cut-helpers';

const X = 'x86_64' as const;
const E0 = 0x4000_0000;
const OA = 0x1_0000_0000;

/** Raw leaf entries of [a, a+len) per 4 KiB, to prove that nothing was written. */
function raws(pt: ReturnType<typeof mk>['pt'], a: number, len: number): string[] {
  const out: string[] = [];
  for (let x = a; x < a + len; x += SZ_4K) out.push(pt.walk(x).map((s) => s.raw).join('/'));
  return out;
}

describe('x86_64: FMT_X86 cut_mapping', () => {
  it('defaults to the FMT_X86 features: OA_TABLE_XCHG, no OA_SIZE_CHANGE', () => {
    const { pt } = mk(X);
    expect(pt.features).toEqual({ oaTableXchg: true, oaSizeChange: false });
    expect(pt.caps.cut).toBe(true);
  });

  it('T-PT-01/02 (E1): a 2M leaf cut at +4K becomes 512 x 4K under one new L0 table', () => {
    const r = runCut({ fmt: X, a: E0, size: SZ_2M, oa: OA, c: E0 + SZ_4K });
    expect(r.rc).toBe(0);
    expect(r.allocated).toBe(1);
    expect(r.hitlessOk && r.unchanged).toBe(true);
    expect(sizeHistogram(r.pt)).toEqual({ '0x1000': 512 });
    expect(r.pt.leaves().every((l, i) => l.iova === E0 + i * SZ_4K && l.oa === OA + i * SZ_4K)).toBe(true);
    expect(r.pt.walk(E0 + SZ_4K).map((s) => s.kind)).toEqual(['TABLE', 'TABLE', 'TABLE', 'OA']);
    expect(shape(r.pt)).toEqual(mapTwice(X, E0, E0 + SZ_2M - 1, E0 + SZ_4K, OA));
    expect(r.pt.iovaToPhys(0x4000_1234)).toBe(0x1_0000_1234);
    const g = iotlbGatherInit();
    expect(r.pt.unmapPages(E0, SZ_4K, g)).toBe(SZ_4K);
    expect(r.pt.iovaToPhys(E0)).toBe(0);
    expect(r.pt.iovaToPhys(E0 + SZ_4K)).toBe(OA + SZ_4K);
    expect(r.pt.unmapPages(E0 + SZ_4K, 0x1f_f000, g)).toBe(0x1f_f000);
  });

  it('T-PT-03/04: without a cut, unmap over-unmaps from the start and returns 0 from inside', () => {
    const { pt } = mk(X);
    expect(pt.mapPages(E0, OA, SZ_2M, RW)).toBe(0);
    const g = iotlbGatherInit();
    expect(pt.unmapPages(E0 + SZ_4K, SZ_4K, g)).toBe(0);
    expect(pt.iovaToPhys(E0 + SZ_4K)).toBe(OA + SZ_4K);
    expect(pt.unmapPages(E0, SZ_4K, g)).toBe(SZ_2M);
    expect(pt.iovaToPhys(E0 + SZ_2M - 1)).toBe(0);
  });

  it('T-PT-06 (E12) / T-PT-29: a cut at a leaf start or between two leaves writes nothing', () => {
    for (const [size, c] of [[SZ_2M, E0], [2 * SZ_2M, E0 + SZ_2M]] as const) {
      const r = runCut({ fmt: X, a: E0, size, oa: OA, c });
      expect(r.rc).toBe(0);
      expect(r.allocated + r.steps).toBe(0);
      expect(sizeHistogram(r.pt)).toEqual({ '0x200000': size / SZ_2M });
    }
  });

  it('T-PT-07: cutting the same point twice succeeds; the second cut makes no writes', () => {
    const r = runCut({ fmt: X, a: E0, size: SZ_2M, oa: OA, c: E0 + SZ_4K });
    expect(r.rc).toBe(0);
    const steps = r.steps;
    const allocs = r.pool.allocs;
    const before = raws(r.pt, E0, SZ_2M);
    expect(r.pt.cutMapping(E0 + SZ_4K)).toBe(0);
    expect(r.pool.allocs).toBe(allocs);
    expect(raws(r.pt, E0, SZ_2M)).toEqual(before);
    expect(r.steps).toBe(steps);
  });

  it('T-PT-08 (E13) / T-PT-09 / T-PT-31: -ENOENT after the leaf and on an empty table, -ERANGE at 2^48', () => {
    const r = runCut({ fmt: X, a: E0, size: SZ_2M, oa: OA, c: E0 + SZ_2M });
    expect(r.rc).toBe(-ERRNO.ENOENT);
    expect(r.unchanged).toBe(true);
    expect(sizeHistogram(r.pt)).toEqual({ '0x200000': 1 });
    expect(mk(X).pt.cutMapping(0x1000)).toBe(-ERRNO.ENOENT);
    expect(mk(X).pt.cutMapping(2 ** 48)).toBe(-ERRNO.ERANGE);
    expect(mk(X, { levels: 5 }).pt.cutMapping(2 ** 48)).toBe(-ERRNO.ENOENT);
  });

  it('T-PT-14 (E5): a 1G leaf cut at +4K gives 512 x 4K + 511 x 2M with 2 tables', () => {
    const r = runCut({ fmt: X, a: E0, size: SZ_1G, oa: OA, c: E0 + SZ_4K });
    expect(r.rc).toBe(0);
    expect(sizeHistogram(r.pt)).toEqual({ '0x1000': 512, '0x200000': 511 });
    expect(r.allocated).toBe(2);
    expect(r.hitlessOk && r.unchanged).toBe(true);
    expect(shape(r.pt)).toEqual(mapTwice(X, E0, E0 + SZ_1G - 1, E0 + SZ_4K, OA));
  });

  it('T-PT-16 (E6): a 1G leaf cut at +2M gives 512 x 2M with 1 table', () => {
    const r = runCut({ fmt: X, a: E0, size: SZ_1G, oa: OA, c: E0 + SZ_2M });
    expect(r.rc).toBe(0);
    expect(sizeHistogram(r.pt)).toEqual({ '0x200000': 512 });
    expect(r.allocated).toBe(1);
    expect(r.hitlessOk && r.unchanged).toBe(true);
  });

  it('T-PT-17 (E7) / T-PT-18: cuts finer than 4K fail with -ENXIO, no change, no leaked table', () => {
    let r = runCut({ fmt: X, a: E0, size: SZ_2M, oa: OA, c: 0x4000_0800 });
    expect(r.rc).toBe(-ERRNO.ENXIO);
    expect(sizeHistogram(r.pt)).toEqual({ '0x200000': 1 });
    expect(r.unchanged && r.hitlessOk).toBe(true);
    expect(r.pool.inUse).toBe(r.pt.tablePages());
    expect(r.pool.allocs - r.pool.frees).toBe(r.pool.inUse);
    r = runCut({ fmt: X, a: 0x1000, size: SZ_4K, oa: 0x1000, c: 0x1800 });
    expect(r.rc).toBe(-ERRNO.ENXIO);
    expect(r.allocated).toBe(0);
    expect(r.unchanged).toBe(true);
  });

  it('T-PT-22 (E11): without OA_TABLE_XCHG the cut is refused and nothing changes', () => {
    const r = runCut({ fmt: X, a: E0, size: SZ_2M, oa: OA, c: E0 + SZ_4K, opts: { features: { oaTableXchg: false } } });
    expect(r.rc).toBe(-ERRNO.EOPNOTSUPP);
    expect(r.allocated).toBe(0);
    expect(sizeHistogram(r.pt)).toEqual({ '0x200000': 1 });
    expect(r.pt.caps.cut).toBe(false);
  });

  it('T-PT-24/25: -ENOMEM at either allocation leaves the table unchanged and frees private tables', () => {
    for (const [size, nth] of [[SZ_2M, 1], [SZ_1G, 2]] as const) {
      const fail = new FailNth();
      const pool = new TablePool({ failNth: fail });
      const { pt } = mk(X, { pool });
      expect(pt.mapPages(E0, OA, size, RW)).toBe(0);
      const inUse = pool.inUse;
      const before = raws(pt, E0, SZ_4K * 2);
      fail.arm(nth);
      expect(pt.cutMapping(E0 + SZ_4K)).toBe(-ERRNO.ENOMEM);
      expect(fail.fired).toBe(true);
      expect(sizeHistogram(pt)).toEqual({ ['0x' + size.toString(16)]: 1 });
      expect(raws(pt, E0, SZ_4K * 2)).toEqual(before);
      expect(pool.inUse).toBe(inUse);
      expect(pool.allocs - pool.frees).toBe(inUse);
    }
  });

  it('T-PT-26: a writer changing the parent item before the install makes the cut fail with the WARN', () => {
    const pool = new TablePool();
    const { pt } = mk(X, { pool });
    expect(pt.mapPages(E0, OA, SZ_2M, RW)).toBe(0);
    const inUse = pool.inUse;
    pt.onCutBeforeInstall = () => {
      const g = iotlbGatherInit();
      expect(pt.unmapPages(E0, SZ_2M, g)).toBe(SZ_2M);
      expect(pt.mapPages(E0, 2 * OA, SZ_2M, RW)).toBe(0);
    };
    expect(pt.cutMapping(E0 + SZ_4K)).toBe(-ERRNO.EINVAL);
    expect(pt.warnings).toContain('Locking violating during cut');
    expect(pool.inUse).toBe(inUse);
    expect(sizeHistogram(pt)).toEqual({ '0x200000': 1 });
    expect(pt.iovaToPhys(E0 + SZ_4K)).toBe(2 * OA + SZ_4K);
  });

  it('T-PT-30: two cuts let a middle page be unmapped', () => {
    const { pt } = mk(X);
    expect(pt.mapPages(E0, OA, SZ_2M, RW)).toBe(0);
    expect(pt.cutMapping(E0 + SZ_4K)).toBe(0);
    expect(pt.cutMapping(E0 + 2 * SZ_4K)).toBe(0);
    expect(pt.unmapPages(E0 + SZ_4K, SZ_4K, iotlbGatherInit())).toBe(SZ_4K);
    expect(pt.iovaToPhys(E0 + SZ_4K - 1)).toBe(OA + SZ_4K - 1);
    expect(pt.iovaToPhys(E0 + SZ_4K)).toBe(0);
    expect(pt.iovaToPhys(E0 + 2 * SZ_4K - 1)).toBe(0);
    expect(pt.iovaToPhys(E0 + 2 * SZ_4K)).toBe(OA + 2 * SZ_4K);
  });

  it('T-PT-34: permissions and the preset A/D bits survive the cut (D2 fixed)', () => {
    for (const [prot, low] of [[IOMMU_READ, 0x25n], [RW, 0x67n]] as const) {
      for (const policy of ['carry', 'drop'] as const) {
        const { pt } = mk(X, { cutDirtyPolicy: policy });
        expect(pt.mapPages(E0, OA, SZ_2M, prot)).toBe(0);
        expect(pt.cutMapping(E0 + SZ_4K)).toBe(0);
        expect(pt.leaves().every((l) => (l.attrs & RW) === prot)).toBe(true);
        for (const i of [0, 1, 511]) {
          // P|U|A (+R/W|D): x86_64_pt_attr_from_entry carries R/W, U, A and D into the new PTEs.
          expect(BigInt('0x' + pt.walk(E0 + i * SZ_4K).at(-1)!.raw)).toBe(BigInt(OA + i * SZ_4K) | low);
        }
      }
    }
  });

  it('T-PT-32: FMT_X86 + DIRTY is not available; read-and-clear is refused after the cut too', () => {
    const { pt } = mk(X);
    expect(pt.mapPages(E0, OA, SZ_2M, RW)).toBe(0);
    expect(pt.caps.supportsDirty).toBe(false);
    expect(pt.cutMapping(E0 + SZ_4K)).toBe(0);
    const bm = new PageSetSink();
    expect(pt.readAndClearDirty(E0, SZ_2M, 0, { bitmap: bm, gather: iotlbGatherInit() })).toBe(-ERRNO.EOPNOTSUPP);
    expect(bm.records).toEqual([]);
  });
});
