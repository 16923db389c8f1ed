// iommufd_dirty_tracking (tools/testing/selftests/iommu/iommufd.c) on the xarray-era mock:
// every buffer-size variant of both eras, incl. the huge-page ones, with the three bitmap
// placements of get_dirty_bitmap / get_dirty_bitmap_no_clear; plus enforce_dirty,
// set_dirty_tracking, device_dirty_capability and the conditions the selftests do not
// cover.
import { describe, expect, it } from 'vitest';
import { MOCK_FLAGS_DEVICE_HUGE_IOVA, MOCK_FLAGS_DEVICE_NO_DIRTY, MOCK_HUGE_PAGE_SIZE } from '../../../core/iommu/mock';
import type { MockDomain } from '../../../core/iommu/mock';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';

const MOCK_PAGE_SIZE = 2048;
const K = 1024;
const M = 1024 * 1024;
const VARIANTS: [string, number, boolean][] = [
  ['domain_dirty8k', 8 * K, false], ['domain_dirty16k', 16 * K, false], ['domain_dirty64k', 64 * K, false],
  ['domain_dirty128k', 128 * K, false], ['domain_dirty256k', 256 * K, false], ['domain_dirty320k', 320 * K, false],
  ['domain_dirty640k', 640 * K, false], ['domain_dirty64M', 64 * M, false], ['domain_dirty64M_huge', 64 * M, true],
  ['domain_dirty128M', 128 * M, false], ['domain_dirty128M_huge', 128 * M, true],
  ['domain_dirty256M', 256 * M, false], ['domain_dirty256M_huge', 256 * M, true],
];

function setup(bufferSize: number, huge: boolean, windowPages?: number) {
  const h = new H('mock', windowPages ? { bitmapWindowPages: windowPages } : {});
  const buffer = h.mmap(Math.max(bufferSize, huge ? 2 * M : 0), huge);
  const nbits = bufferSize / MOCK_PAGE_SIZE;
  const bitmap = h.bitmapBuf(Math.ceil(nbits / 8) + PAGE_SIZE);
  const ioas = h.ioasAlloc();
  const md = h.mockDomain(ioas, huge ? MOCK_FLAGS_DEVICE_HUGE_IOVA : 0);
  expect(h.map(ioas, buffer, bufferSize, MOCK_APERTURE_START, 6)).toBe(MOCK_APERTURE_START);
  return { h, buffer, nbits, bitmap, ioas, md };
}

/** _test_mock_dirty_bitmaps: mark every pteset-th bit, read, read again. */
function mockDirtyBitmaps(h: H, hwpt: number, length: number, ptePageSize: number, bitmap: number, nbits: number, flags: number): void {
  const npte = ptePageSize / MOCK_PAGE_SIZE;
  const pteset = 2 * npte;
  const nr = Math.floor(nbits / pteset) || 1;
  const marks: number[] = [];
  for (let i = 0; i < nbits; i += pteset) marks.push(i);
  h.setBits(bitmap, nbits, marks);
  const d = h.test('IOMMU_TEST_OP_DIRTY', { id: hwpt, iova: MOCK_APERTURE_START, length, page_size: MOCK_PAGE_SIZE, uptr: bitmap });
  expect(d.ok).toBe(true);
  expect(d.out.out_nr_dirty).toBe(nr);
  const expected: number[] = [];
  for (let i = 0; i < nbits; i++) if (i % pteset < npte) expected.push(i);
  h.zero(bitmap, nbits);
  const get = () => h.rc('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hwpt, iova: MOCK_APERTURE_START, length, page_size: MOCK_PAGE_SIZE, data: bitmap, flags });
  expect(get()).toBe('OK');
  expect(h.bits(bitmap, nbits)).toEqual(expected);
  h.zero(bitmap, nbits);
  expect(get()).toBe('OK');
  expect(h.bits(bitmap, nbits)).toEqual(flags ? expected : []);
}

describe('iommufd_dirty_tracking', () => {
  for (const [name, size, huge] of VARIANTS) {
    describe(name, () => {
      for (const [test, flags] of [['get_dirty_bitmap', 0], ['get_dirty_bitmap_no_clear', 1]] as const) {
        it(test, () => {
          const { h, nbits, bitmap, ioas, md } = setup(size, huge);
          const hwpt = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
          expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 1 })).toBe('OK');
          const pte = huge ? MOCK_HUGE_PAGE_SIZE : MOCK_PAGE_SIZE;
          mockDirtyBitmaps(h, hwpt, size, pte, bitmap, nbits, flags); // aligned
          mockDirtyBitmaps(h, hwpt, size, pte, bitmap + MOCK_PAGE_SIZE, nbits, flags); // PAGE_SIZE unaligned
          mockDirtyBitmaps(h, hwpt, size, pte, bitmap + 0xff1, nbits, flags); // u64 unaligned
        });
      }
    });
  }

  it('iova_bitmap windows: one-page windows with set-ahead give the same bits (128M huge, 8 KiB bitmap)', () => {
    const { h, nbits, bitmap, ioas, md } = setup(128 * M, true, 1);
    const hwpt = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
    h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 1 });
    mockDirtyBitmaps(h, hwpt, 128 * M, MOCK_HUGE_PAGE_SIZE, bitmap + 0xff1, nbits, 0);
    // Leaf 64 (bits 32768..33279) straddles the first window's end: set-ahead path.
    h.setBits(bitmap, nbits, [0, 32768, 65024]);
    h.test('IOMMU_TEST_OP_DIRTY', { id: hwpt, iova: MOCK_APERTURE_START, length: 128 * M, page_size: MOCK_PAGE_SIZE, uptr: bitmap });
    h.zero(bitmap + 0xff1, nbits);
    const r = h.io('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hwpt, iova: MOCK_APERTURE_START, length: 128 * M, page_size: MOCK_PAGE_SIZE, data: bitmap + 0xff1 });
    const stats = r.extra.stats as { windows: number; iotlbSyncs: number };
    expect(stats.windows).toBeGreaterThan(1);
    expect(stats.iotlbSyncs).toBe(1);
    const bits = h.bits(bitmap + 0xff1, nbits);
    expect(bits.length).toBe(3 * 512);
    expect(bits.slice(512, 1024)).toEqual(Array.from({ length: 512 }, (_, i) => 32768 + i));
  });

  it('enforce_dirty', () => {
    const { h, ioas, md } = setup(128 * K, false);
    const hwpt = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
    const st = h.mockDomain(hwpt);
    expect(st.hwpt).toBe(hwpt);
    const r = h.test('IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS', { id: hwpt, dev_flags: MOCK_FLAGS_DEVICE_NO_DIRTY });
    expect(r.ok ? 'OK' : r.errno).toBe('EINVAL');
    const ioas2 = h.ioasAlloc();
    const nd = h.mockDomain(ioas2, MOCK_FLAGS_DEVICE_NO_DIRTY);
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: nd.idev, pt_id: ioas2, flags: 2 })).toBe('EOPNOTSUPP');
  });

  it('set_dirty_tracking', () => {
    const { h, ioas, md } = setup(128 * K, false);
    const hwpt = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
    expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 1 })).toBe('OK');
    expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 0 })).toBe('OK');
    expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 2 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: md.hwpt, flags: 1 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: ioas, flags: 1 })).toBe('ENOENT');
  });

  it('enabling clears stale dirty bits first', () => {
    const { h, ioas, md, nbits, bitmap } = setup(64 * K, false);
    const hwpt = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
    h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 1 });
    h.setBits(bitmap, nbits, [1, 5]);
    expect(h.test('IOMMU_TEST_OP_DIRTY', { id: hwpt, iova: MOCK_APERTURE_START, length: 64 * K, page_size: MOCK_PAGE_SIZE, uptr: bitmap }).out.out_nr_dirty).toBe(2);
    h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 0 });
    const dom = h.hwpt(hwpt).domain as MockDomain;
    expect(dom.entryDirty(MOCK_APERTURE_START + 2048)).toBe(true);
    h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 1 });
    expect(dom.entryDirty(MOCK_APERTURE_START + 2048)).toBe(false);
    h.zero(bitmap, nbits);
    h.ok('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hwpt, iova: MOCK_APERTURE_START, length: 64 * K, page_size: MOCK_PAGE_SIZE, data: bitmap });
    expect(h.bits(bitmap, nbits)).toEqual([]);
  });

  it('device_dirty_capability', () => {
    const { h, ioas, md } = setup(8 * K, false);
    const info = h.ok('IOMMU_GET_HW_INFO', { dev_id: md.idev });
    expect(info.out_capabilities & 1).toBe(1);
    expect(info.out_data_type).toBe(0xfeedbeef);
    const nd = h.mockDomain(h.ioasAlloc(), MOCK_FLAGS_DEVICE_NO_DIRTY);
    expect(h.ok('IOMMU_GET_HW_INFO', { dev_id: nd.idev }).out_capabilities & 1).toBe(0);
    expect(h.rc('IOMMU_GET_HW_INFO', { dev_id: ioas })).toBe('ENOENT');
    expect(h.rc('IOMMU_GET_HW_INFO', { dev_id: md.idev, flags: 1, out_data_type: 1 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_GET_HW_INFO', { dev_id: md.idev, flags: 2 })).toBe('EOPNOTSUPP');
  });

  it('conditions the selftests do not cover: errno of GET_DIRTY_BITMAP and TEST_OP_DIRTY', () => {
    const { h, ioas, md, bitmap } = setup(64 * K, false);
    const get = (a: Record<string, unknown>) => h.rc('IOMMU_HWPT_GET_DIRTY_BITMAP', { iova: MOCK_APERTURE_START, length: 64 * K, page_size: MOCK_PAGE_SIZE, data: bitmap, ...a });
    expect(get({ hwpt_id: md.hwpt })).toBe('EOPNOTSUPP');
    const hwpt = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
    expect(h.testRc('IOMMU_TEST_OP_DIRTY', { id: hwpt, iova: MOCK_APERTURE_START, length: 64 * K, page_size: MOCK_PAGE_SIZE, uptr: bitmap })).toBe('EINVAL');
    expect(get({ hwpt_id: hwpt, flags: 2 })).toBe('EOPNOTSUPP');
    expect(get({ hwpt_id: hwpt, __reserved: 1 })).toBe('EOPNOTSUPP');
    expect(get({ hwpt_id: ioas })).toBe('ENOENT');
    expect(get({ hwpt_id: hwpt, iova: '0xfffffffffffff000', length: 0x2000 })).toBe('EOVERFLOW');
    expect(get({ hwpt_id: hwpt, iova: MOCK_APERTURE_START + 1024 })).toBe('EINVAL');
    expect(get({ hwpt_id: hwpt, page_size: 0 })).toBe('EINVAL');
    expect(get({ hwpt_id: hwpt, page_size: 8192, length: 8192 * 3 + 2048 })).toBe('EINVAL');
    // Tracking off, holes: mainline swallows the walk's -EINVAL and returns 0.
    expect(get({ hwpt_id: hwpt })).toBe('OK');
    expect(get({ hwpt_id: hwpt, length: 128 * K })).toBe('OK');
    expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 1 })).toBe('OK');
    expect(get({ hwpt_id: hwpt, length: 128 * K })).toBe('OK');
  });

  it('with propagateDirtyErrors the swallowed walk errors are returned', () => {
    const h = new H('mock', { propagateDirtyErrors: true });
    const ioas = h.ioasAlloc();
    const md = h.mockDomain(ioas);
    const buf = h.mmap(64 * K);
    h.map(ioas, buf, 64 * K, MOCK_APERTURE_START);
    const bitmap = h.bitmapBuf(PAGE_SIZE);
    const hwpt = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
    const get = (length: number) => h.rc('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hwpt, iova: MOCK_APERTURE_START, length, page_size: MOCK_PAGE_SIZE, data: bitmap });
    expect(get(64 * K)).toBe('EINVAL'); // tracking off with a bitmap (mock xarray rule)
    h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 1 });
    expect(get(64 * K)).toBe('OK');
    expect(get(128 * K)).toBe('EINVAL'); // hole after the area
  });

  it('one IOTLB flush per request, none with NO_CLEAR', () => {
    const { h, ioas, md, bitmap } = setup(256 * K, false);
    const hwpt = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
    h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 1 });
    const dom = h.hwpt(hwpt).domain as MockDomain;
    const before = dom.stats.iotlbSyncs;
    h.ok('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hwpt, iova: MOCK_APERTURE_START, length: 256 * K, page_size: MOCK_PAGE_SIZE, data: bitmap });
    expect(dom.stats.iotlbSyncs - before).toBe(1);
    h.ok('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hwpt, iova: MOCK_APERTURE_START, length: 256 * K, page_size: MOCK_PAGE_SIZE, data: bitmap, flags: 1 });
    expect(dom.stats.iotlbSyncs - before).toBe(1);
  });
});
