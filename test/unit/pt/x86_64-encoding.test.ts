/**
 * x86_64 format (kernel drivers/iommu/generic_pt/fmt/x86_64.h): bit-exact entries read back as
 * raw 64-bit hex through walk(), geometry, hardware access and the missing dirty support.
 * Positions: P 0, R/W 1, U/S 2, A 5, D 6, PS 7 (levels 1-2), address 51:12, XD 63.
 */
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import { HW_ACCESS, IOMMU_READ, IOMMU_WRITE } from '../../../core/pt/types';
import { ENTRY_EMPTY, ENTRY_OA, ENTRY_TABLE } from '../../../core/pt/format';
import { PT_ATTR, iotlbGatherInit, iotlbGatherIsEmpty } from '../../../core/pt/index';
import {
  X86_64_FMT_A, X86_64_FMT_D, X86_64_FMT_HI_XD, X86_64_FMT_P, X86_64_FMT_PS, X86_64_FMT_RW, X86_64_FMT_U, x86_64,
} from '../../../core/pt/formats/x86_64';
import { PageSetSink, SZ_1G, SZ_2M, SZ_4K, mk, newRef } from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;
const bit = (n: number) => 1n << BigInt(n);
const P = bit(0), W = bit(1), U = bit(2), A = bit(5), D = bit(6), PS = bit(7);

function raw(pt: ReturnType<typeof mk>['pt'], iova: number, step = -1): bigint {
  return BigInt('0x' + pt.walk(iova).at(step)!.raw);
}

describe('x86_64 encodings', () => {
  it('exports the kernel X86_64_FMT_* bit positions', () => {
    expect([X86_64_FMT_P, X86_64_FMT_RW, X86_64_FMT_U, X86_64_FMT_A, X86_64_FMT_D, X86_64_FMT_PS])
      .toEqual([1, 2, 4, 0x20, 0x40, 0x80]);
    expect(X86_64_FMT_HI_XD >>> 0).toBe(0x8000_0000); // bit 63 = bit 31 of the high word
  });

  it('leaves are P|U|A (+R/W|D when writable, +PS at levels 1-2); XD is never set', () => {
    const { pt } = mk('x86_64');
    expect(pt.mapPages(0x1000, 0xabc_d000, SZ_4K, RW)).toBe(0);
    expect(raw(pt, 0x1000)).toBe(0xabc_d000n | P | W | U | A | D);
    expect(pt.mapPages(0x4000_0000, 0x4_0000_0000, SZ_2M, IOMMU_READ)).toBe(0);
    expect(raw(pt, 0x4000_0000)).toBe(0x4_0000_0000n | P | U | A | PS);
    // IOMMU_WRITE alone: x86_64_pt_iommu_set_prot has no read bit, present means readable.
    expect(pt.mapPages(0x80_0000_0000, 0x40_0000_0000, SZ_1G, IOMMU_WRITE)).toBe(0);
    expect(raw(pt, 0x80_0000_0000)).toBe(0x40_0000_0000n | P | W | U | A | D | PS);
    const ref = newRef();
    expect(pt.lookupLeaf(0x80_0000_1000, ref)).toBe(true);
    expect([ref.level, ref.sizeLg2]).toEqual([2, 30]);
    expect(pt.leafProt(ref)).toBe(RW);
    for (const iova of [0x1000, 0x4000_0000, 0x80_0000_0000]) expect(raw(pt, iova) & bit(63)).toBe(0n);
  });

  it('the address uses bits 51:12 (largest 52-bit OA)', () => {
    const { pt } = mk('x86_64');
    const oa = 2 ** 52 - SZ_4K;
    expect(pt.mapPages(0x5000, oa, SZ_4K, RW)).toBe(0);
    expect(raw(pt, 0x5000)).toBe(0xf_ffff_ffff_f000n | P | W | U | A | D);
    expect(pt.iovaToPhys(0x5abc)).toBe(oa + 0xabc);
    expect(pt.mapPages(0x6000, 2 ** 52, SZ_4K, RW)).toBe(-ERRNO.ERANGE);
  });

  it('tables are P|R/W|U|A pointing at the next table', () => {
    const { pt } = mk('x86_64');
    expect(pt.mapPages(0x1000, 0x2000, SZ_4K, RW)).toBe(0);
    const steps = pt.walk(0x1000);
    expect(steps.map((s) => s.kind)).toEqual(['TABLE', 'TABLE', 'TABLE', 'OA']);
    for (let k = 0; k < 3; k++) {
      const e = BigInt('0x' + steps[k]!.raw);
      expect(e & 0xfffn).toBe(P | W | U | A);
      expect(e >> 52n).toBe(0n);
      expect(Number(e & 0xf_ffff_ffff_f000n)).toBe(steps[k + 1]!.tablePhys);
    }
    expect(steps[0]!.fields).toMatchObject({ P: true, 'R/W': true, 'U/S': true, A: true, D: false, PS: false, XD: false });
    expect(steps[3]!.fields).toMatchObject({ P: true, 'R/W': true, A: true, D: true, PAT: false, G: false, ADDR: '0x2000' });
    expect(steps[3]!.fields).not.toHaveProperty('PS');
  });

  it('PS selects a leaf only at levels 1 and 2; level 0 is always a leaf; P=0 is empty', () => {
    const ps = X86_64_FMT_P | X86_64_FMT_PS;
    expect([0, 1, 2, 3, 4].map((l) => x86_64.entryType(ps, 0, l))).toEqual([ENTRY_OA, ENTRY_OA, ENTRY_OA, ENTRY_TABLE, ENTRY_TABLE]);
    expect([0, 1, 2, 3].map((l) => x86_64.entryType(X86_64_FMT_P, 0, l))).toEqual([ENTRY_OA, ENTRY_TABLE, ENTRY_TABLE, ENTRY_TABLE]);
    expect(x86_64.entryType(0xffff_fffe, 0xffff_ffff, 1)).toBe(ENTRY_EMPTY);
    expect(x86_64.possibleSizes(3, 3)).toEqual([]);
    expect(x86_64.possibleSizes(2, 3)).toEqual([30]);
  });

  it('4-level is 48-bit, 5-level is 57-bit (capped at 2^53); 4K|2M|1G page sizes', () => {
    const four = mk('x86_64').pt;
    expect(four.vaLimit).toBe(2 ** 48);
    expect(four.caps).toEqual({ supportsDirty: false, cut: true, contiguous: false, replicated: false, pgsizeBitmap: SZ_4K + SZ_2M + SZ_1G });
    expect(four.mapPages(2 ** 48 - SZ_4K, 0, SZ_4K, RW)).toBe(0);
    expect(four.mapPages(2 ** 48, 0, SZ_4K, RW)).toBe(-ERRNO.ERANGE);
    const { pt } = mk('x86_64', { levels: 5 });
    expect(pt.topLevel).toBe(4);
    expect(pt.vaLimit).toBe(2 ** 53);
    expect(pt.mapPages(2 ** 50, 0x2000, SZ_4K, RW)).toBe(0);
    expect(pt.walk(2 ** 50).length).toBe(5);
    expect(pt.iovaToPhys(2 ** 50 + 5)).toBe(0x2005);
    expect(() => mk('x86_64', { levels: 3 })).toThrow(RangeError);
    expect(() => mk('x86_64', { levels: 6 })).toThrow(RangeError);
  });
});

describe('x86_64 hardware access', () => {
  it('read-only leaves fault on write, are readable, and stay unchanged', () => {
    const { pt } = mk('x86_64');
    expect(pt.mapPages(0x1000, 0x8000, SZ_4K, IOMMU_READ)).toBe(0);
    const before = raw(pt, 0x1000);
    const ref = newRef();
    expect(pt.lookupLeaf(0x1000, ref)).toBe(true);
    expect(pt.leafProt(ref)).toBe(IOMMU_READ);
    expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.PERM_FAULT);
    expect(pt.hwAccess(ref, false, true, true)).toBe(HW_ACCESS.OK);
    expect(raw(pt, 0x1000)).toBe(before);
  });

  it('kernel-installed leaves need no A/D update, also with OA bit 31 set', () => {
    const { pt } = mk('x86_64');
    expect(pt.mapPages(0x4000_0000, 0x3_8000_2000, SZ_4K, RW)).toBe(0);
    const before = raw(pt, 0x4000_0000);
    const ref = newRef();
    expect(pt.lookupLeaf(0x4000_0000, ref)).toBe(true);
    expect(pt.hwAccess(ref, false, true, true)).toBe(HW_ACCESS.OK);
    expect(pt.hwAccess(ref, true, true, true)).toBe(HW_ACCESS.OK);
    expect(raw(pt, 0x4000_0000)).toBe(before);
    expect(pt.iovaToPhys(0x4000_0000)).toBe(0x3_8000_2000);
  });

  it('sets A on access and D on write when they are clear and the update is enabled (SDM 4.8)', () => {
    const t = new Uint32Array(1024);
    x86_64.writeLeaf(t, 3, 1, 0x8000_0000 + SZ_2M, 21, PT_ATTR.READ | PT_ATTR.WRITE);
    expect(t[6]! >>> 0).toBe((0x8020_0000 | 0xe7) >>> 0);
    t[6] = (t[6]! & ~(X86_64_FMT_A | X86_64_FMT_D)) >>> 0;
    expect(x86_64.hwAccess(t, 3, true, true, false)).toBe(HW_ACCESS.UPDATED);
    expect(t[6]! & 0xff).toBe(0xa7); // A set, D still clear
    expect(x86_64.hwAccess(t, 3, false, true, true)).toBe(HW_ACCESS.OK); // a read never sets D
    expect(x86_64.hwAccess(t, 3, true, false, true)).toBe(HW_ACCESS.UPDATED);
    expect(t[6]! & 0xff).toBe(0xe7);
    expect(x86_64.leafAttrs(t[6]!, t[7]!)).toBe(PT_ATTR.READ | PT_ATTR.WRITE | PT_ATTR.ACCESSED | PT_ATTR.DIRTY);
    expect(x86_64.leafOa(t[6]!, t[7]!, 1)).toBe(0x8020_0000);
  });
});

describe('x86_64 has no dirty tracking (no pt_entry_is_write_dirty in fmt/x86_64.h)', () => {
  it('read_and_clear_dirty, write-protect-and-clear and DBM are refused and change nothing', () => {
    const { pt } = mk('x86_64');
    expect(pt.mapPages(0x4000_0000, 0x1_0000_0000, SZ_2M, RW)).toBe(0);
    const ref = newRef();
    pt.lookupLeaf(0x4000_1000, ref);
    pt.hwAccess(ref, true, true, true);
    expect(pt.leafDirty(ref)).toBe(false);
    const before = raw(pt, 0x4000_0000);
    const bm = new PageSetSink();
    const g = iotlbGatherInit();
    expect(pt.readAndClearDirty(0x4000_0000, SZ_2M, 0, { bitmap: bm, gather: g })).toBe(-ERRNO.EOPNOTSUPP);
    expect(pt.writeProtectAndClear(0x4000_0000, SZ_2M, { bitmap: bm, gather: g })).toBe(-ERRNO.EOPNOTSUPP);
    expect(pt.setDirtyModifier(0x4000_0000, SZ_2M, true, g)).toBe(-ERRNO.EOPNOTSUPP);
    expect(bm.records).toEqual([]);
    expect(iotlbGatherIsEmpty(g)).toBe(true);
    expect(raw(pt, 0x4000_0000)).toBe(before);
    expect(pt.leafProt(ref)).toBe(RW);
  });
});
