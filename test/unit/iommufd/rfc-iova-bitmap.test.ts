// iommufd option rfcIovaBitmap: the RFC v1 dirty read path as posted (core/iommufd/rfc-dirty.ts),
// errata E10 (over-walk into the next area: its D bits cleared into padding bits, lost) and
// E11 (unaligned user bitmap: bits past the kmap'd page land outside the user's bitmap);
// docs/rfc-errata.md. Mainline (default) loses nothing.
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../../core/iommufd/ctx';
import { runIoctlScript } from '../../../core/iommufd/script';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';

const A_PAGES = 100; // not a multiple of 64: the bitmap rounds up to 128 bits
const B_PAGES = 100;

/** Two adjacent areas A = [X, X+100p) and B = [X+100p, X+200p) on a dirty-tracking HWPT. */
function twoAreas(vendor: 'amd' | 'intel' | 'smmuv3', rfc: boolean) {
  const h = new H(vendor, rfc ? { rfcIovaBitmap: true } : {});
  const buf = h.mmap((A_PAGES + B_PAGES) * PAGE_SIZE);
  const ioas = h.ioasAlloc();
  const md = h.mockDomain(ioas);
  h.map(ioas, buf, A_PAGES * PAGE_SIZE, MOCK_APERTURE_START);
  h.map(ioas, buf + A_PAGES * PAGE_SIZE, B_PAGES * PAGE_SIZE, MOCK_APERTURE_START + A_PAGES * PAGE_SIZE);
  expect(h.ioas(ioas).iopt.areas.length).toBe(2);
  const hw = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
  h.ok('IOMMU_TEST_CMD', { op: 10, id: md.stdev, pt_id: hw });
  h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hw, flags: 1 });
  const write = (page: number): void => {
    h.ok('IOMMU_TEST_CMD', { op: 0x100, id: md.stdev, iova: MOCK_APERTURE_START + page * PAGE_SIZE, length: 8, flags: 1 });
  };
  const read = (iova: number, pages: number, data: number): string => h.rc('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hw, iova, length: pages * PAGE_SIZE, page_size: PAGE_SIZE, data });
  return { h, write, read };
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

describe('rfcIovaBitmap option', () => {
  it('is off by default and accepted by ioctl scripts', () => {
    expect(DEFAULT_OPTIONS.rfcIovaBitmap).toBe(false);
    const r = runIoctlScript({ vendor: 'intel', options: { rfcIovaBitmap: true }, calls: [] });
    expect('errno' in r).toBe(false);
  });

  for (const vendor of ['amd', 'intel', 'smmuv3'] as const) {
    it(`E10 on ${vendor}: reading area A (100 pages) over-walks 28 pages into area B and loses their dirty bits; mainline does not`, () => {
      const got: Record<string, { a: number[]; pad: number[]; b: number[] }> = {};
      for (const rfc of [false, true]) {
        const { h, write, read } = twoAreas(vendor, rfc);
        write(10);
        for (const p of range(A_PAGES, A_PAGES + 31)) write(p); // B pages 0..30
        write(A_PAGES + 50);
        const bmA = h.bitmapBuf(PAGE_SIZE);
        const bmB = h.bitmapBuf(PAGE_SIZE);
        expect(read(MOCK_APERTURE_START, A_PAGES, bmA)).toBe('OK');
        expect(read(MOCK_APERTURE_START + A_PAGES * PAGE_SIZE, B_PAGES, bmB)).toBe('OK');
        const all = h.bits(bmA, 128);
        got[String(rfc)] = { a: all.filter((i) => i < A_PAGES), pad: all.filter((i) => i >= A_PAGES), b: h.bits(bmB, B_PAGES) };
      }
      expect(got.false).toEqual({ a: [10], pad: [], b: [...range(0, 31), 50] });
      // RFC: the 128-bit bitmap makes the chunk 128 pages long: B pages 0..27 are cleared and
      // recorded into A's padding bits 100..127, which the caller never looks at.
      expect(got.true).toEqual({ a: [10], pad: range(A_PAGES, 128), b: [28, 29, 30, 50] });
    });
  }

  it('E10: a length that is a multiple of 64 pages does not over-walk', () => {
    const h = new H('intel', { rfcIovaBitmap: true });
    const buf = h.mmap(128 * PAGE_SIZE);
    const ioas = h.ioasAlloc();
    const md = h.mockDomain(ioas);
    h.map(ioas, buf, 64 * PAGE_SIZE, MOCK_APERTURE_START);
    h.map(ioas, buf + 64 * PAGE_SIZE, 64 * PAGE_SIZE, MOCK_APERTURE_START + 64 * PAGE_SIZE);
    const hw = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
    h.ok('IOMMU_TEST_CMD', { op: 10, id: md.stdev, pt_id: hw });
    h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hw, flags: 1 });
    h.ok('IOMMU_TEST_CMD', { op: 0x100, id: md.stdev, iova: MOCK_APERTURE_START + 64 * PAGE_SIZE, length: 8, flags: 1 });
    const bm = h.bitmapBuf(PAGE_SIZE);
    h.ok('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hw, iova: MOCK_APERTURE_START, length: 64 * PAGE_SIZE, page_size: PAGE_SIZE, data: bm });
    h.ok('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hw, iova: MOCK_APERTURE_START + 64 * PAGE_SIZE, length: 64 * PAGE_SIZE, page_size: PAGE_SIZE, data: bm + 8 });
    expect(h.bits(bm, 128)).toEqual([64]);
  });

  it('RFC requests must be exactly one area (-ENOENT otherwise); mainline accepts a sub-range', () => {
    for (const rfc of [false, true]) {
      const { h, read } = twoAreas('amd', rfc);
      const bm = h.bitmapBuf(PAGE_SIZE);
      expect(read(MOCK_APERTURE_START, 64, bm)).toBe(rfc ? 'ENOENT' : 'OK');
      expect(read(MOCK_APERTURE_START, A_PAGES + B_PAGES, bm)).toBe(rfc ? 'ENOENT' : 'OK');
    }
  });

  it('E11: an unaligned bitmap whose bits cross a page boundary loses them on an ordinary buffer, not on a hugepage one', () => {
    const got: Record<string, number[]> = {};
    for (const [rfc, huge] of [[false, false], [true, false], [true, true]] as const) {
      const { h, write, read } = twoAreas('intel', rfc);
      write(10);
      write(70);
      const buf = h.ctx.mm.mmap(4 * PAGE_SIZE, { hugepages: huge });
      const data = buf + PAGE_SIZE - 8; // start_offset 4088: bits 64.. belong to the next page
      expect(read(MOCK_APERTURE_START, A_PAGES, data)).toBe('OK');
      got[`${String(rfc)}-${String(huge)}`] = h.bits(data, A_PAGES);
      // Nothing was written into the next page's first bytes out of place either way.
      expect(h.bits(buf + PAGE_SIZE + 8, 64)).toEqual([]);
    }
    expect(got['false-false']).toEqual([10, 70]);
    // record: kmap(pages[0]) + 4088 + 8 bytes is past page 0, in the frame after it, which is
    // not the one backing the user's next page (ordinary buffers are not contiguous).
    expect(got['true-false']).toEqual([10]);
    // Hugepage-backed bitmap: physically contiguous, the spill lands where the user expects.
    expect(got['true-true']).toEqual([10, 70]);
  });
});
