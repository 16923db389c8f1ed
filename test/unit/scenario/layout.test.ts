/**
 * Guest memory backing and layout: hugetlb 1 GiB / 2 MiB pages are each contiguous but not
 * with each other, THP leaves a fraction of extents as 4 KiB frames, QEMU's q35 splits RAM
 * below/above 4 GiB — and what each does to the IOMMU leaves and the dirty reports.
 */
import { describe, expect, it } from 'vitest';
import { Mm } from '../../../core/iommufd/mm';
import { q35RamSections, armVirtRamSections } from '../../../core/iommu/ram-layout';
import { scenarioSchema } from '../../../core/scenario/schema';
import { vmmConfig } from '../../../core/scenario/simulate';
import { NULL_RECORDER } from '../../../core/trace/types';
import { Vmm } from '../../../core/workload/vmm';
import type { GenericPt } from '../../../core/pt';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

describe('host backing of guest RAM (core/iommufd/mm.ts)', () => {
  const phys = (mm: Mm, va: number, off: number): number => mm.translate(va + off);
  it('hugetlb-1g: contiguous and 1 GiB aligned within a page, not across pages', () => {
    const mm = new Mm();
    const va = mm.mmap(4 * GiB, { backing: 'hugetlb-1g' });
    expect(phys(mm, va, 0) % GiB).toBe(0);
    expect(phys(mm, va, GiB - 4096) - phys(mm, va, 0)).toBe(GiB - 4096);
    expect(phys(mm, va, GiB) - phys(mm, va, GiB - 4096)).not.toBe(4096);
  });
  it('hugetlb-2m and thp: 2 MiB pages; thp leaves the chosen fraction of extents as 4 KiB frames', () => {
    const mm = new Mm();
    const va2m = mm.mmap(64 * MiB, { backing: 'hugetlb-2m' });
    expect(phys(mm, va2m, 2 * MiB) - phys(mm, va2m, 2 * MiB - 4096)).not.toBe(4096);
    expect(phys(mm, va2m, 2 * MiB + 8192) - phys(mm, va2m, 2 * MiB)).toBe(8192);
    const vaThp = mm.mmap(1024 * MiB, { backing: 'thp', thpFragmentation: 0.25 });
    let fragmented = 0;
    for (let e = 0; e < 512; e++) if (phys(mm, vaThp, e * 2 * MiB + 4096) - phys(mm, vaThp, e * 2 * MiB) !== 4096) fragmented++;
    expect(fragmented / 512).toBeGreaterThan(0.18);
    expect(fragmented / 512).toBeLessThan(0.32);
  });
});

describe('QEMU RAM layouts', () => {
  it('q35: RAM ≥ 2.75 GiB keeps 2 GiB below 4 GiB, the rest at 4 GiB; arm64 virt at 1 GiB', () => {
    expect(q35RamSections(16 * GiB)).toEqual([{ gpa: 0, ram: 0, len: 2 * GiB }, { gpa: 4 * GiB, ram: 2 * GiB, len: 14 * GiB }]);
    expect(q35RamSections(2 * GiB)).toEqual([{ gpa: 0, ram: 0, len: 2 * GiB }]);
    expect(armVirtRamSections(4 * GiB)).toEqual([{ gpa: GiB, ram: 0, len: 4 * GiB }]);
  });
});

function vmm(vendor: 'amd' | 'intel' | 'smmuv3', guest: Record<string, unknown>) {
  const s = scenarioSchema.parse({ name: 't', guest: { memory: '4GiB', ...guest }, devices: [{ name: 'd', workload: { kind: 'nvme-read' } }] });
  return new Vmm(vendor, vmmConfig(s, vendor), NULL_RECORDER);
}

describe('leaf sizes follow the backing, not a perfectly contiguous pool', () => {
  it('AMD-Vi: contiguous → replicated leaves above 1 GiB; hugetlb-1g → 1 GiB leaves; hugetlb-2m → 2 MiB; thp → a mix with 4 KiB', () => {
    const sizes = (hugeBacking: string, extra: Record<string, unknown> = {}): Set<number> => new Set((vmm('amd', { pagePolicy: 'huge', hugeBacking, ...extra }).pageTable() as GenericPt).leaves().map((l) => l.size));
    const big = sizes('contiguous');
    expect(Math.max(...big)).toBeGreaterThan(GiB);
    expect([...sizes('hugetlb-1g')]).toEqual([GiB]);
    expect([...sizes('hugetlb-2m')]).toEqual([2 * MiB]);
    const thp = sizes('thp', { thpFragmentation: 0.25 });
    expect(thp.has(4096) && thp.has(2 * MiB)).toBe(true);
  });
});

describe("QEMU's below/above-4 GiB split", () => {
  it('x86: two IOAS areas; a device write at RAM offset 3 GiB lands at IOVA 5 GiB and is reported once', () => {
    for (const vendor of ['amd', 'intel'] as const) {
      const v = vmm(vendor, { layout: 'qemu' });
      expect(v.sections.map((s) => s.gpa)).toEqual([0, 4 * GiB]);
      v.readDirty(); // clean start
      v.dma(0, 3 * GiB + 0x1000, 64, true);
      expect(v.pageTable()!.iovaToPhys(5 * GiB + 0x1000)).toBeGreaterThan(0);
      expect(v.pageTable()!.iovaToPhys(3 * GiB)).toBe(0); // the hole below 4 GiB
      expect(v.readDirty()).toEqual({ dirty: 1, missed: 0 });
    }
    const arm = vmm('smmuv3', { layout: 'qemu' });
    expect(arm.sections).toEqual([{ gpa: GiB, ram: 0, len: 4 * GiB }]);
    arm.readDirty();
    arm.dma(0, 0, 64, true);
    expect(arm.readDirty()).toEqual({ dirty: 1, missed: 0 });
  });
});
