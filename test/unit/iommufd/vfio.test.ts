// VFIO type1 compatibility (selftest vfio_compat_mock_domain: map, huge_map, option_huge_pages)
// and the RFC's dirty additions (RFC patch 07, docs/rfc-errata.md), on the mock and every vendor.
// Area split for type1 partial unmaps uses cut_mapping on every domain (docs/threads.md).
import { describe, expect, it } from 'vitest';
import type { VendorName } from '../../../core/iommu/registry';
import type { IommufdOptions } from '../../../core/iommufd/ctx';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';

const IOVA = MOCK_APERTURE_START;
const M = 1024 * 1024;

function container(vendor: VendorName, type: 1 | 3, options: Partial<IommufdOptions> = {}) {
  const h = new H(vendor, options);
  const ioas = h.ioasAlloc();
  h.ok('IOMMU_VFIO_IOAS', { op: 1, ioas_id: ioas });
  h.ok('VFIO_SET_IOMMU', { arg: type });
  const md = h.mockDomain(ioas);
  return { h, ioas, md };
}

for (const vendor of ['mock', 'amd', 'intel', 'smmuv3'] as const) {
  describe(`vfio compat on ${vendor}`, () => {
    it('huge_map: type1v2 refuses partial unmaps (ENOENT), type1 splits with cut_mapping', () => {
      for (const type of [3, 1] as const) {
        const { h, ioas, md } = container(vendor, type);
        const buf = h.mmap(4 * M, true);
        expect(h.rc('VFIO_IOMMU_MAP_DMA', { argsz: 32, flags: 3, vaddr: buf, iova: IOVA, size: 4 * M })).toBe('OK');
        const dom = h.hwpt(md.hwpt).domain;
        const r = h.io('VFIO_IOMMU_UNMAP_DMA', { argsz: 24, iova: IOVA + M + PAGE_SIZE, size: PAGE_SIZE });
        if (type === 3) {
          expect(r.ok ? 'OK' : r.errno).toBe('ENOENT');
          continue;
        }
        expect(r.ok).toBe(true);
        expect(r.out.size).toBe(PAGE_SIZE);
        expect(h.ioas(ioas).iopt.areas.map((a) => [a.iova - IOVA, a.last - IOVA])).toEqual([[0, M + PAGE_SIZE - 1], [M + 2 * PAGE_SIZE, 4 * M - 1]]);
        expect(dom.ops.iovaToPhys(dom, IOVA + M + PAGE_SIZE)).toBe(0);
        for (const off of [0, M, M + PAGE_SIZE - 1, M + 2 * PAGE_SIZE, 2 * M, 4 * M - 1]) expect(dom.ops.iovaToPhys(dom, IOVA + off)).toBe(h.ctx.mm.translate(buf + off));
        expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: md.stdev, iova: IOVA + M + PAGE_SIZE, length: 8, flags: 1 })).toBe('EFAULT');
        expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: md.stdev, iova: IOVA + M + 2 * PAGE_SIZE, length: 8, flags: 1 })).toBe('OK');
      }
    });

    it('mainline profile: type1 disables large pages instead (option_huge_pages reads 0)', () => {
      const { h, ioas } = container(vendor, 1, { splitWithCut: false });
      expect(h.ok('IOMMU_OPTION', { option_id: 1, op: 1, object_id: ioas }).val64).toBe(0);
      const buf = h.mmap(4 * M, true);
      h.ok('VFIO_IOMMU_MAP_DMA', { argsz: 32, flags: 3, vaddr: buf, iova: IOVA, size: 4 * M });
      expect(h.io('VFIO_IOMMU_UNMAP_DMA', { argsz: 24, iova: IOVA + M, size: PAGE_SIZE }).out.size).toBe(PAGE_SIZE);
      const v2 = container(vendor, 3, { splitWithCut: false });
      expect(v2.h.ok('IOMMU_OPTION', { option_id: 1, op: 1, object_id: v2.ioas }).val64).toBe(1);
    });

    it('DIRTY_PAGES START / GET_BITMAP / STOP and UNMAP_DMA with GET_DIRTY_BITMAP', () => {
      const { h, ioas, md } = container(vendor, 3);
      const buf = h.mmap(64 * PAGE_SIZE);
      h.ok('VFIO_IOMMU_MAP_DMA', { argsz: 32, flags: 3, vaddr: buf, iova: IOVA, size: 64 * PAGE_SIZE });
      const hw = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
      h.ok('IOMMU_TEST_CMD', { op: 10, id: md.stdev, pt_id: hw });
      expect(h.rc('VFIO_IOMMU_DIRTY_PAGES', { argsz: 8, flags: 0 })).toBe('EINVAL');
      expect(h.rc('VFIO_IOMMU_DIRTY_PAGES', { argsz: 8, flags: 5 })).toBe('EINVAL');
      expect(h.rc('VFIO_IOMMU_DIRTY_PAGES', { argsz: 8, flags: 1 })).toBe('OK');
      for (const p of [3, 10, 40]) expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: md.stdev, iova: IOVA + p * PAGE_SIZE + 16, length: 32, flags: 1 })).toBe('OK');
      expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: md.stdev, iova: IOVA + 20 * PAGE_SIZE, length: 32, flags: 0 })).toBe('OK');
      const align = h.ioas(ioas).iopt.iovaAlignment;
      const per = PAGE_SIZE / align;
      const bm = h.bitmapBuf(PAGE_SIZE);
      const nbits = (64 * PAGE_SIZE) / align;
      const get = (a: Record<string, unknown>) => h.rc('VFIO_IOMMU_DIRTY_PAGES', { argsz: 48, flags: 4, iova: IOVA, size: 64 * PAGE_SIZE, bitmap_pgsize: align, bitmap_size: nbits / 8, bitmap_data: bm, ...a });
      expect(get({ bitmap_pgsize: align * 2 })).toBe('EINVAL');
      expect(get({ bitmap_size: 1 })).toBe('EINVAL');
      expect(get({ argsz: 16 })).toBe('EINVAL');
      expect(get({})).toBe('OK');
      const pageBits = (p: number) => Array.from({ length: per }, (_, i) => p * per + i);
      const first = h.bits(bm, nbits);
      // Mock entries are 2 KiB: a write inside the first half dirties only that entry.
      expect(first).toEqual(vendor === 'mock' ? [3, 10, 40].map((p) => p * per) : [3, 10, 40].flatMap(pageBits));
      h.zero(bm, nbits);
      expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: md.stdev, iova: IOVA + 5 * PAGE_SIZE, length: 8, flags: 1 })).toBe('OK');
      const u = h.io('VFIO_IOMMU_UNMAP_DMA', { argsz: 48, flags: 1, iova: IOVA, size: 64 * PAGE_SIZE, bitmap_pgsize: align, bitmap_size: nbits / 8, bitmap_data: bm });
      expect(u.ok).toBe(true);
      expect(u.out.size).toBe(64 * PAGE_SIZE);
      expect(h.bits(bm, nbits)).toEqual([5 * per]);
      expect(h.rc('VFIO_IOMMU_DIRTY_PAGES', { argsz: 8, flags: 2 })).toBe('OK');
      expect(h.ctx.mm.pinnedPages).toBe(0);
    });

    it('GET_INFO reports page sizes and the migration capability', () => {
      const { h, ioas } = container(vendor, 3);
      const r = h.io('VFIO_IOMMU_GET_INFO', { argsz: 16 });
      expect(r.ok).toBe(true);
      const align = h.ioas(ioas).iopt.iovaAlignment;
      expect((r.out.iova_pgsizes as number) % align).toBe(0);
      expect((r.extra.caps as { migration: { pgsize_bitmap: number } }).migration.pgsize_bitmap).toBe(align);
    });
  });
}
