// The dirty-tracking selftest flow and the shipped example scripts on the three vendor
// models. TEST_OP_DIRTY there is a real device DMA write through the hardware model
// (IOTLB, walk, A/D update), so a bit is set for every page of each leaf that was written:
// leaf sizes come from the page table (lookupLeaf), not from the test.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LeafRef } from '../../../core/pt/types';
import { runIoctlScript } from '../../../core/iommufd/script';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';

const EXAMPLES = join(__dirname, '../../../core/iommufd/examples');
const M = 1024 * 1024;

describe('example scripts', () => {
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
    for (const vendor of ['mock', 'amd', 'intel', 'smmuv3'] as const) {
      it(`${file} on ${vendor}`, () => {
        const r = runIoctlScript(readFileSync(join(EXAMPLES, file), 'utf8'), { vendor });
        if ('errno' in r) throw new Error(r.message);
        expect(r.results.filter((c) => c.failures.length).map((c) => `${c.index} ${c.ioctl}: ${c.failures.join('; ')}`)).toEqual([]);
        expect(r.passed).toBe(true);
      });
    }
  }
});

for (const vendor of ['amd', 'intel', 'smmuv3'] as const) {
  describe(`iommufd_dirty_tracking on ${vendor}`, () => {
    for (const [size, huge] of [[128 * 1024, false], [8 * M, true], [64 * M, true]] as const) {
      it(`${size / 1024} KiB${huge ? ' huge' : ''}: get_dirty_bitmap and no_clear`, () => {
        const h = new H(vendor);
        const buf = h.mmap(size, huge);
        const ioas = h.ioasAlloc();
        const md = h.mockDomain(ioas);
        h.map(ioas, buf, size, MOCK_APERTURE_START);
        const hw = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
        h.ok('IOMMU_TEST_CMD', { op: 10, id: md.stdev, pt_id: hw });
        h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hw, flags: 1 });
        const pt = h.hwpt(hw).domain.pt!;
        const nbits = size / PAGE_SIZE;
        const bm = h.bitmapBuf(nbits / 8 + PAGE_SIZE);
        const marks = [0, 7, nbits / 2 + 1, nbits - 1];
        h.setBits(bm, nbits, marks);
        expect(h.test('IOMMU_TEST_OP_DIRTY', { id: hw, iova: MOCK_APERTURE_START, length: size, page_size: PAGE_SIZE, uptr: bm }).out.out_nr_dirty).toBe(marks.length);
        const expected = new Set<number>();
        const leaf = {} as LeafRef;
        for (const m of marks) {
          expect(pt.lookupLeaf(MOCK_APERTURE_START + m * PAGE_SIZE, leaf)).toBe(true);
          const iova = MOCK_APERTURE_START + m * PAGE_SIZE;
          const first = (iova - (iova % 2 ** leaf.sizeLg2) - MOCK_APERTURE_START) / PAGE_SIZE;
          for (let i = 0; i < 2 ** leaf.sizeLg2 / PAGE_SIZE; i++) expected.add(first + i);
        }
        const want = [...expected].sort((a, b) => a - b);
        for (const [flags, offset] of [[1, 0xff1], [0, 0], [0, 2048]] as const) {
          h.zero(bm + offset, nbits);
          h.ok('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hw, iova: MOCK_APERTURE_START, length: size, page_size: PAGE_SIZE, data: bm + offset, flags });
          expect(h.bits(bm + offset, nbits)).toEqual(flags || offset === 0 ? want : []);
        }
        // After the flush, a new write re-dirties (the IOTLB no longer caches "dirty").
        h.ok('IOMMU_TEST_CMD', { op: 0x100, id: md.stdev, iova: MOCK_APERTURE_START + PAGE_SIZE * 7, length: 8, flags: 1 });
        h.zero(bm, nbits);
        h.ok('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hw, iova: MOCK_APERTURE_START, length: size, page_size: PAGE_SIZE, data: bm });
        expect(h.bits(bm, nbits)).toContain(7);
        if (huge) expect(want.length).toBeGreaterThan(marks.length);
      });
    }

    it('enforce_dirty: a device behind a non-dirty IOMMU cannot join a dirty HWPT nor allocate one', () => {
      const h = new H(vendor);
      const ioas = h.ioasAlloc();
      const md = h.mockDomain(ioas);
      const hw = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
      expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS', { id: hw, dev_flags: 1 })).toBe('EINVAL');
      const nd = h.mockDomain(h.ioasAlloc(), 1);
      expect(h.ok('IOMMU_GET_HW_INFO', { dev_id: nd.idev }).out_capabilities & 1).toBe(0);
      expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: nd.idev, pt_id: ioas, flags: 2 })).toBe('EOPNOTSUPP');
    });

    it('one IOTLB flush (iotlb_sync) per GET_DIRTY_BITMAP request, over several bitmap windows; none with NO_CLEAR', () => {
      const h = new H(vendor, { bitmapWindowPages: 1 });
      const ioas = h.ioasAlloc();
      const md = h.mockDomain(ioas);
      const hw = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
      h.ok('IOMMU_TEST_CMD', { op: 10, id: md.stdev, pt_id: hw });
      const size = 256 * M; // 65536 bits = 8 KiB of bitmap, windows of one page (+1 for the offset)
      h.map(ioas, h.mmap(size, true), size, MOCK_APERTURE_START);
      h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hw, flags: 1 });
      for (const off of [0, 100 * M, 250 * M]) h.ok('IOMMU_TEST_CMD', { op: 0x100, id: md.stdev, iova: MOCK_APERTURE_START + off, length: 8, flags: 1 });
      const stats = () => (h.ctx.platform as unknown as { system: { stats(): Record<string, number> } }).system.stats().inv_wait ?? 0; // one completion wait (CMD_SYNC, QI wait, COMPLETION_WAIT) per iotlb_sync
      const bm = h.bitmapBuf(3 * PAGE_SIZE) + 0xff1;
      for (const [flags, want] of [[1, 0], [0, 1]] as const) {
        const before = stats();
        const r = h.io('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hw, iova: MOCK_APERTURE_START, length: size, page_size: PAGE_SIZE, data: bm, flags });
        expect((r.extra.stats as { windows: number }).windows).toBeGreaterThan(1);
        expect(stats() - before).toBe(want);
      }
    });

    it('device_dirty_capability and set_dirty_tracking', () => {
      const h = new H(vendor);
      const ioas = h.ioasAlloc();
      const md = h.mockDomain(ioas);
      const info = h.ok('IOMMU_GET_HW_INFO', { dev_id: md.idev });
      expect(info.out_capabilities & 1).toBe(1);
      expect(info.out_data_type).toBe({ amd: 4, intel: 1, smmuv3: 2 }[vendor]);
      expect(info.data_len).toBe({ amd: 16, intel: 24, smmuv3: 40 }[vendor]);
      // The payload carries the dirty capability bit of each architecture.
      const ub = h.mmap(PAGE_SIZE);
      h.ok('IOMMU_GET_HW_INFO', { dev_id: md.idev, data_len: 64, data_uptr: ub });
      const dv = new DataView((h.ctx.mm.read(ub, 64) as Uint8Array).buffer);
      if (vendor === 'amd') expect((dv.getBigUint64(0, true) >> 52n) & 1n).toBe(1n); // EFR HDSup
      if (vendor === 'intel') expect((dv.getBigUint64(16, true) >> 45n) & 1n).toBe(1n); // ECAP SLADS
      if (vendor === 'smmuv3') expect((dv.getUint32(8, true) >> 6) & 3).toBe(2); // IDR0.HTTU
      const hw = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
      expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hw, flags: 1 })).toBe('OK');
      expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hw, flags: 0 })).toBe('OK');
      expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: md.hwpt, flags: 1 })).toBe('EOPNOTSUPP');
    });
  });
}
