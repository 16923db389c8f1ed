/**
 * Bit-exact entry encodings against the manuals' positions (AMD IOMMU spec 2.2.3, VT-d spec
 * 9.8, Arm ARM D8 / io-pgtable-arm.c), read back as raw 64-bit hex through walk().
 */
import { describe, expect, it } from 'vitest';
import { IOMMU_READ, IOMMU_WRITE } from '../../../core/pt/types';
import { TABLE_PHYS_BASE, iotlbGatherInit } from '../../../core/pt/index';
import { SZ_2M, SZ_4K, SZ_64K, mk, newRef } from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;

function leafRaw(pt: ReturnType<typeof mk>['pt'], iova: number): string {
  return pt.walk(iova).at(-1)!.raw;
}

function rawAt(pt: ReturnType<typeof mk>['pt'], page: number, i: number, pool: ReturnType<typeof mk>['pool']): bigint {
  const t = pool.pages[page]!;
  return (BigInt(t[2 * i + 1]!) << 32n) | BigInt(t[2 * i]!);
}

const bit = (n: number) => 1n << BigInt(n);

describe('amdv1 encodings', () => {
  it('4K leaf: PR bit 0, FC 60, IR 61, IW 62, address 51:12; A bit 5 and D bit 6 set by hardware', () => {
    const { pt } = mk('amdv1');
    pt.mapPages(0x5000, 0x12_3456_7000, SZ_4K, RW);
    expect(BigInt('0x' + leafRaw(pt, 0x5000))).toBe(bit(0) | bit(60) | bit(61) | bit(62) | 0x12_3456_7000n);
    pt.mapPages(0x6000, 0x7000, SZ_4K, IOMMU_READ);
    expect(BigInt('0x' + leafRaw(pt, 0x6000))).toBe(bit(0) | bit(60) | bit(61) | 0x7000n);
    const ref = newRef();
    pt.lookupLeaf(0x5000, ref);
    pt.hwAccess(ref, false, true, true);
    expect(BigInt('0x' + leafRaw(pt, 0x5000)) & 0x60n).toBe(bit(5));
    pt.hwAccess(ref, true, true, true);
    expect(BigInt('0x' + leafRaw(pt, 0x5000)) & 0x60n).toBe(bit(5) | bit(6));
  });

  it('PDE: NextLevel bits 11:9 = level of the child, IR/IW set, table address', () => {
    const { pt } = mk('amdv1');
    pt.mapPages(0, 0, SZ_4K, IOMMU_READ);
    const steps = pt.walk(0);
    expect(steps.map((s) => s.level)).toEqual([3, 2, 1, 0]);
    for (let k = 0; k < 3; k++) {
      const raw = BigInt('0x' + steps[k]!.raw);
      expect(Number((raw >> 9n) & 7n)).toBe(steps[k]!.level);
      expect(raw & bit(0)).toBe(1n);
      expect(raw & (bit(61) | bit(62))).toBe(bit(61) | bit(62));
      expect(Number(raw & 0xf_ffff_ffff_f000n)).toBe(steps[k + 1]!.tablePhys);
      expect(steps[k + 1]!.tablePhys).toBeGreaterThanOrEqual(TABLE_PHYS_BASE);
    }
  });

  it('2M default leaf has NextLevel 0; 8K/16K/4M are replicated NextLevel-7 PTEs with the size in the address', () => {
    const { pt, pool } = mk('amdv1');
    pt.mapPages(0x4000_0000, 0x8000_0000, SZ_2M, RW);
    expect(BigInt('0x' + leafRaw(pt, 0x4000_0000))).toBe(bit(0) | bit(60) | bit(61) | bit(62) | 0x8000_0000n);
    pt.mapPages(0x2000, 0x10_0000, 0x2000, RW); // 8K: NL 7, bit 12 = 0
    pt.mapPages(0x4000, 0x20_4000, 0x4000, RW); // 16K: NL 7, bit 12 = 1, bit 13 = 0
    const ref = newRef();
    pt.lookupLeaf(0x2000, ref);
    expect(ref.sizeLg2).toBe(13);
    const e8 = bit(0) | (7n << 9n) | bit(60) | bit(61) | bit(62) | 0x10_0000n;
    expect([rawAt(pt, ref.page, 2, pool), rawAt(pt, ref.page, 3, pool)]).toEqual([e8, e8]);
    const e16 = bit(0) | (7n << 9n) | bit(60) | bit(61) | bit(62) | 0x20_4000n | bit(12);
    expect([4, 5, 6, 7].map((i) => rawAt(pt, ref.page, i, pool))).toEqual([e16, e16, e16, e16]);
    expect(pt.iovaToPhys(0x7abc)).toBe(0x20_7abc);
    pt.mapPages(0x8000_0000, 0x1_0040_0000, 0x40_0000, RW); // 4M: two NL-7 PTEs at level 1
    expect(pt.lookupLeaf(0x803f_f000, ref)).toBe(true);
    expect([ref.level, ref.sizeLg2, ref.oa]).toEqual([1, 22, 0x1_0040_0000]);
    expect(BigInt('0x' + leafRaw(pt, 0x8020_0000)) & 0xf_ffff_ffff_f000n).toBe(0x1_0040_0000n | 0x1f_f000n);
  });

  it('512 GiB is excluded from the page sizes; levels 1-6 set the VA width', () => {
    for (let levels = 1; levels <= 6; levels++) {
      const { pt } = mk('amdv1', { levels });
      expect(pt.topLevel).toBe(levels - 1);
      expect(pt.vaLimit).toBe(2 ** Math.min(12 + 9 * levels, 53));
      expect(pt.caps.pgsizeBitmap % 2 ** 40 >= 2 ** 39).toBe(false);
      expect(pt.caps.replicated).toBe(true);
    }
    const { pt } = mk('amdv1', { levels: 6 });
    expect(pt.mapPages(2 ** 52, 0x1000, SZ_4K, RW)).toBe(0);
    expect(pt.iovaToPhys(2 ** 52 + 0x10)).toBe(0x1010);
  });
});

describe('vtdss encodings', () => {
  it('R bit 0, W bit 1, PS bit 7 on 2M/1G leaves, A bit 8, D bit 9, tables R|W', () => {
    const { pt } = mk('vtdss');
    pt.mapPages(0x1000, 0xabc_d000, SZ_4K, RW);
    expect(BigInt('0x' + leafRaw(pt, 0x1000))).toBe(0xabc_d000n | 3n);
    pt.mapPages(0x4000_0000, 0x4_0000_0000, SZ_2M, IOMMU_READ);
    expect(BigInt('0x' + leafRaw(pt, 0x4000_0000))).toBe(0x4_0000_0000n | 1n | bit(7));
    pt.mapPages(0x80_0000_0000, 0x40_0000_0000, 0x4000_0000, IOMMU_WRITE);
    expect(BigInt('0x' + leafRaw(pt, 0x80_0000_0000))).toBe(0x40_0000_0000n | 2n | bit(7));
    const ref = newRef();
    pt.lookupLeaf(0x1000, ref);
    pt.hwAccess(ref, true, true, true);
    expect(BigInt('0x' + leafRaw(pt, 0x1000))).toBe(0xabc_d000n | 3n | bit(8) | bit(9));
    const top = pt.walk(0x1000)[0]!;
    expect(BigInt('0x' + top.raw) & 0xfffn).toBe(3n);
    expect(top.fields).toMatchObject({ R: true, W: true, PS: false });
  });

  it('3-level is 39-bit, 4-level is 48-bit and 5-level is 57-bit (capped at 2^53 in the simulator)', () => {
    expect(mk('vtdss', { levels: 3 }).pt.vaLimit).toBe(2 ** 39);
    expect(mk('vtdss').pt.vaLimit).toBe(2 ** 48);
    const { pt } = mk('vtdss', { levels: 5 });
    expect(pt.topLevel).toBe(4);
    expect(pt.vaLimit).toBe(2 ** 53);
    expect(pt.mapPages(2 ** 50, 0x2000, SZ_4K, RW)).toBe(0);
    expect(pt.walk(2 ** 50).length).toBe(5);
    expect(pt.iovaToPhys(2 ** 50 + 5)).toBe(0x2005);
    expect(() => mk('vtdss', { levels: 2 })).toThrow(RangeError);
  });
});

describe('armv8 encodings', () => {
  const PAGE_ATTRS = 0b11n | (1n << 2n) | bit(6) | (3n << 8n) | bit(10) | bit(11);
  it('page 0b11, block 0b01, AP[2] bit 7, AF bit 10, DBM bit 51, contiguous bit 52', () => {
    const { pt, pool } = mk('armv8');
    pt.mapPages(0x1000, 0x8000_1000, SZ_4K, RW);
    expect(BigInt('0x' + leafRaw(pt, 0x1000))).toBe(0x8000_1000n | PAGE_ATTRS);
    pt.mapPages(0x2000, 0x8000_2000, SZ_4K, IOMMU_READ);
    expect(BigInt('0x' + leafRaw(pt, 0x2000))).toBe(0x8000_2000n | PAGE_ATTRS | bit(7));
    pt.mapPages(0x20_0000, 0xc0_0000, SZ_2M, RW);
    expect(BigInt('0x' + leafRaw(pt, 0x20_0000))).toBe(0xc0_0000n | (PAGE_ATTRS & ~2n));
    pt.mapPages(0x10_0000, 0x30_0000, SZ_64K, RW);
    const ref = newRef();
    pt.lookupLeaf(0x10_5000, ref);
    expect(ref.sizeLg2).toBe(16);
    for (let k = 0; k < 16; k++) {
      expect(rawAt(pt, ref.page, 0x100 + k, pool)).toBe(BigInt(0x30_0000 + k * SZ_4K) | PAGE_ATTRS | bit(52));
    }
    expect(pt.setDirtyModifier(0x1000, SZ_4K, true, iotlbGatherInit())).toBe(0);
    expect(BigInt('0x' + leafRaw(pt, 0x1000))).toBe(0x8000_1000n | PAGE_ATTRS | bit(7) | bit(51)); // writable-clean
    pt.lookupLeaf(0x1000, ref);
    pt.hwAccess(ref, true, true, true);
    expect(BigInt('0x' + leafRaw(pt, 0x1000))).toBe(0x8000_1000n | PAGE_ATTRS | bit(51)); // writable-dirty
    const table = BigInt('0x' + pt.walk(0x1000)[0]!.raw);
    expect(table & 3n).toBe(3n);
    expect(Number(table & 0xffff_ffff_f000n)).toBe(pt.walk(0x1000)[1]!.tablePhys);
  });

  it('a contiguous block is dirty when any item is; clearing sets AP[2] on every item', () => {
    const { pt, pool } = mk('armv8', { dbmOnMap: true });
    pt.mapPages(0x10_0000, 0x30_0000, SZ_64K, RW);
    const ref = newRef();
    pt.lookupLeaf(0x10_0000, ref);
    pt.readAndClearDirty(0x10_0000, SZ_64K, 0, { bitmap: null, gather: iotlbGatherInit() }); // start clean
    for (let k = 0; k < 16; k++) expect(rawAt(pt, ref.page, 0x100 + k, pool) & bit(7)).toBe(bit(7));
    pt.lookupLeaf(0x10_9000, ref);
    pt.hwAccess(ref, true, true, true);
    expect(rawAt(pt, ref.page, 0x109, pool) & bit(7)).toBe(0n);
    pt.lookupLeaf(0x10_0000, ref);
    expect(pt.leafDirty(ref)).toBe(true);
  });

  it('AF = 0 faults without HA and is set with HA', () => {
    const { pt, pool } = mk('armv8');
    pt.mapPages(0x1000, 0x1000, SZ_4K, RW);
    const ref = newRef();
    pt.lookupLeaf(0x1000, ref);
    pool.pages[ref.page]![2 * ref.index] = pool.pages[ref.page]![2 * ref.index]! & ~(1 << 10);
    expect(pt.hwAccess(ref, false, false, false)).toBe(2);
    expect(pt.hwAccess(ref, false, true, false)).toBe(1);
    expect(BigInt('0x' + leafRaw(pt, 0x1000)) & bit(10)).toBe(bit(10));
  });
});
