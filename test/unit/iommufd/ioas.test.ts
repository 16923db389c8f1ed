// IOAS selftests (tools/testing/selftests/iommu/iommufd.c fixture iommufd_ioas, variants
// no_domain and mock_domain): areas, auto IOVA, reserved and allowed ranges, copy,
// iova_ranges, huge-pages option, alignment, accesses.
import { describe, expect, it } from 'vitest';
import { MOCK_APERTURE_LAST } from '../../../core/iommu/mock';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';

const BUFFER_SIZE = PAGE_SIZE * 16;
const U64_MAX = '0xffffffffffffffff';

function fixture(variant: 'no_domain' | 'mock_domain') {
  const h = new H();
  const ioas = h.ioasAlloc();
  const md = variant === 'mock_domain' ? h.mockDomain(ioas) : null;
  const buffer = h.mmap(BUFFER_SIZE * 4, true);
  return { h, ioas, md, buffer, base: MOCK_APERTURE_START };
}

for (const variant of ['no_domain', 'mock_domain'] as const) {
  describe(`iommufd_ioas/${variant}`, () => {
    it('ioas_destroy: EBUSY while a device is attached', () => {
      const { h, ioas, md } = fixture(variant);
      if (md) {
        expect(h.rc('IOMMU_DESTROY', { id: ioas })).toBe('EBUSY');
        expect(h.rc('IOMMU_DESTROY', { id: md.stdev })).toBe('OK');
      }
      expect(h.rc('IOMMU_DESTROY', { id: ioas })).toBe('OK');
    });

    it('ioas_area_destroy: areas do not block IOAS destroy', () => {
      const { h, ioas, md, buffer, base } = fixture(variant);
      expect(h.map(ioas, buffer, PAGE_SIZE, base)).toBe(base);
      if (md) h.ok('IOMMU_DESTROY', { id: md.stdev });
      expect(h.rc('IOMMU_DESTROY', { id: ioas })).toBe('OK');
      expect(h.ctx.mm.pinnedPages).toBe(0);
    });

    it('area: unmap rules', () => {
      const { h, ioas, buffer, base } = fixture(variant);
      expect(h.unmap(ioas, base, PAGE_SIZE).rc).toBe('ENOENT');
      for (let i = 0; i < 10; i++) {
        const iova = base + i * PAGE_SIZE;
        expect(h.map(ioas, buffer, PAGE_SIZE, iova)).toBe(iova);
      }
      for (let i = 0; i < 10; i++) expect(h.unmap(ioas, base + i * PAGE_SIZE, PAGE_SIZE)).toEqual({ rc: 'OK', length: PAGE_SIZE });
      expect(h.map(ioas, buffer, 2 * PAGE_SIZE, base)).toBe(base);
      expect(h.unmap(ioas, base, PAGE_SIZE).rc).toBe('ENOENT');
      expect(h.unmap(ioas, base + PAGE_SIZE, PAGE_SIZE).rc).toBe('ENOENT');
      expect(h.map(ioas, buffer, PAGE_SIZE, base + PAGE_SIZE)).toBe('EEXIST');
      expect(h.map(ioas, buffer, 4 * PAGE_SIZE, base - PAGE_SIZE)).toBe(variant === 'mock_domain' ? 'EINVAL' : 'EEXIST');
      expect(h.unmap(ioas, 0, U64_MAX)).toEqual({ rc: 'OK', length: 2 * PAGE_SIZE });
      expect(h.unmap(ioas, 0, U64_MAX)).toEqual({ rc: 'OK', length: 0 });
    });

    it('unmap_fully_contained_areas', () => {
      const { h, ioas, buffer, base } = fixture(variant);
      for (let i = 0; i < 4; i++) expect(h.map(ioas, buffer, 8 * PAGE_SIZE, base + i * 16 * PAGE_SIZE)).toBe(base + i * 16 * PAGE_SIZE);
      expect(h.unmap(ioas, base - 4 * PAGE_SIZE, 8 * PAGE_SIZE).rc).toBe('ENOENT');
      expect(h.unmap(ioas, base + 3 * 16 * PAGE_SIZE + 8 * PAGE_SIZE - 4 * PAGE_SIZE, 8 * PAGE_SIZE).rc).toBe('ENOENT');
      expect(h.unmap(ioas, base - 4 * PAGE_SIZE, 3 * 16 * PAGE_SIZE + 8 * PAGE_SIZE - 4 * PAGE_SIZE + 8 * PAGE_SIZE)).toEqual({ rc: 'OK', length: 32 * PAGE_SIZE });
    });

    it('area_auto_iova: alignment, reserved avoidance, allowed window', () => {
      const { h, ioas, md, buffer } = fixture(variant);
      const iovas: number[] = [];
      for (let i = 0; i < 10; i++) iovas.push(h.map(ioas, buffer, PAGE_SIZE) as number);
      for (const v of iovas) expect(h.unmap(ioas, v, PAGE_SIZE).rc).toBe('OK');
      const lowbit = (n: number) => n & -n;
      const src = md ? buffer : 2 ** 31;
      for (let i = 0; i < 10; i++) {
        const len = PAGE_SIZE * (i + 1);
        const v = h.map(ioas, src, len) as number;
        expect(typeof v).toBe('number');
        expect(v % lowbit(len)).toBe(0);
        h.unmap(ioas, v, len);
      }
      const rs = PAGE_SIZE * 4;
      const rl = PAGE_SIZE * 100;
      expect(h.testRc('IOMMU_TEST_OP_ADD_RESERVED', { id: ioas, start: rs, length: rl })).toBe('OK');
      for (let i = 0; i < 10; i++) {
        const len = PAGE_SIZE * (i + 1);
        const v = h.map(ioas, buffer, len) as number;
        expect(v % lowbit(len)).toBe(0);
        expect(v > rs && v < rs + rl).toBe(false);
        h.unmap(ioas, v, len);
      }
      const ranges = h.mmap(PAGE_SIZE);
      const allow = (start: number, last: number) => {
        const dv = new DataView(new ArrayBuffer(16));
        dv.setBigUint64(0, BigInt(start), true);
        dv.setBigUint64(8, BigInt(last), true);
        h.ctx.mm.write(ranges, new Uint8Array(dv.buffer));
        return h.rc('IOMMU_IOAS_ALLOW_IOVAS', { ioas_id: ioas, num_iovas: 1, allowed_iovas: ranges });
      };
      expect(allow(PAGE_SIZE, PAGE_SIZE * 600)).toBe('EADDRINUSE');
      const [s, l] = md ? [MOCK_APERTURE_START + PAGE_SIZE, MOCK_APERTURE_START + PAGE_SIZE * 600 - 1] : [PAGE_SIZE * 200, PAGE_SIZE * 600 - 1];
      expect(allow(s, l)).toBe('OK');
      for (let i = 0; i < 10; i++) {
        const len = PAGE_SIZE * (i + 1);
        const v = h.map(ioas, buffer, len) as number;
        expect(v % lowbit(len)).toBe(0);
        expect(v >= s && v + len <= l + 1).toBe(true);
      }
    });

    it('area_allowed: reserved and allowed ranges conflict in both orders', () => {
      const { h, ioas } = fixture(variant);
      const ranges = h.mmap(PAGE_SIZE);
      const dv = new DataView(new ArrayBuffer(16));
      dv.setBigUint64(0, BigInt(MOCK_APERTURE_START + PAGE_SIZE * 16), true);
      dv.setBigUint64(8, BigInt(MOCK_APERTURE_START + PAGE_SIZE * 32), true);
      h.ctx.mm.write(ranges, new Uint8Array(dv.buffer));
      expect(h.rc('IOMMU_IOAS_ALLOW_IOVAS', { ioas_id: ioas, num_iovas: 1, allowed_iovas: ranges })).toBe('OK');
      expect(h.testRc('IOMMU_TEST_OP_ADD_RESERVED', { id: ioas, start: MOCK_APERTURE_START + PAGE_SIZE * 20, length: PAGE_SIZE })).toBe('EADDRINUSE');
      expect(h.rc('IOMMU_IOAS_ALLOW_IOVAS', { ioas_id: ioas, num_iovas: 0 })).toBe('OK');
      expect(h.testRc('IOMMU_TEST_OP_ADD_RESERVED', { id: ioas, start: MOCK_APERTURE_START + PAGE_SIZE * 20, length: PAGE_SIZE })).toBe('OK');
      expect(h.rc('IOMMU_IOAS_ALLOW_IOVAS', { ioas_id: ioas, num_iovas: 1, allowed_iovas: ranges })).toBe('EADDRINUSE');
      expect(h.rc('IOMMU_IOAS_ALLOW_IOVAS', { ioas_id: ioas, num_iovas: 1, allowed_iovas: 0 })).toBe('EFAULT');
    });

    it('reserved_overflow: a reservation to ULONG_MAX leaves no room (ENOSPC)', () => {
      const { h, ioas, buffer } = fixture(variant);
      expect(h.testRc('IOMMU_TEST_OP_ADD_RESERVED', { id: ioas, start: PAGE_SIZE * 4, length: (2n ** 64n - BigInt(PAGE_SIZE * 4)).toString() })).toBe('OK');
      expect(h.map(ioas, buffer, 16 * PAGE_SIZE)).toBe(variant === 'mock_domain' ? 'ENOSPC' : 'ENOSPC');
    });

    it('copy_area: within one IOAS and to a new IOAS', () => {
      const { h, ioas, buffer, base } = fixture(variant);
      expect(h.map(ioas, buffer, PAGE_SIZE, base)).toBe(base);
      const r1 = h.io('IOMMU_IOAS_COPY', { flags: 6, dst_ioas_id: ioas, src_ioas_id: ioas, length: PAGE_SIZE, src_iova: base });
      expect(r1.ok).toBe(true);
      const dst = h.ioasAlloc();
      expect(h.rc('IOMMU_IOAS_COPY', { flags: 7, dst_ioas_id: dst, src_ioas_id: ioas, length: PAGE_SIZE, src_iova: base, dst_iova: base })).toBe('OK');
      expect(h.ioas(dst).iopt.areas[0]!.pages).toBe(h.ioas(ioas).iopt.areas[0]!.pages);
      expect(h.rc('IOMMU_IOAS_COPY', { flags: 6, dst_ioas_id: dst, src_ioas_id: ioas, length: PAGE_SIZE, src_iova: base + 64 * PAGE_SIZE })).toBe('ENOENT');
      expect(h.rc('IOMMU_IOAS_COPY', { flags: 8, dst_ioas_id: dst, src_ioas_id: ioas, length: PAGE_SIZE, src_iova: base })).toBe('EOPNOTSUPP');
    });

    it('iova_ranges', () => {
      const { h, ioas, md } = fixture(variant);
      const buf = h.mmap(PAGE_SIZE);
      const r = h.io('IOMMU_IOAS_IOVA_RANGES', { ioas_id: ioas, num_iovas: 0, allowed_iovas: buf });
      expect(r.ok ? 'OK' : r.errno).toBe('EMSGSIZE');
      expect(r.out.num_iovas).toBe(1);
      const full = h.io('IOMMU_IOAS_IOVA_RANGES', { ioas_id: ioas, num_iovas: 1, allowed_iovas: buf });
      expect(full.ok).toBe(true);
      if (md) {
        expect(full.extra.iova_ranges).toEqual([{ start: '0x' + MOCK_APERTURE_START.toString(16), last: '0x' + MOCK_APERTURE_LAST.toString(16) }]);
        expect(full.out.out_iova_alignment).toBe(2048);
      } else {
        expect(full.extra.iova_ranges).toEqual([{ start: '0x0', last: U64_MAX }]);
        expect(full.out.out_iova_alignment).toBe(1);
        h.ok('IOMMU_TEST_CMD', { op: 1, id: ioas, start: PAGE_SIZE, length: PAGE_SIZE });
        const two = h.io('IOMMU_IOAS_IOVA_RANGES', { ioas_id: ioas, num_iovas: 2, allowed_iovas: buf });
        expect(two.extra.iova_ranges).toEqual([{ start: '0x0', last: '0xfff' }, { start: '0x2000', last: U64_MAX }]);
        const raw = h.ctx.mm.read(buf, 32) as Uint8Array;
        const dv = new DataView(raw.buffer);
        expect([dv.getBigUint64(0, true), dv.getBigUint64(8, true), dv.getBigUint64(16, true), dv.getBigUint64(24, true)]).toEqual([0n, 0xfffn, 0x2000n, 2n ** 64n - 1n]);
      }
    });

    it('ioas_option_huge_pages', () => {
      const { h, ioas } = fixture(variant);
      const get = () => h.ok('IOMMU_OPTION', { option_id: 1, op: 1, object_id: ioas }).val64;
      expect(get()).toBe(1);
      expect(h.rc('IOMMU_OPTION', { option_id: 1, op: 0, object_id: ioas, val64: 0 })).toBe('OK');
      expect(get()).toBe(0);
      expect(h.rc('IOMMU_OPTION', { option_id: 1, op: 0, object_id: ioas, val64: 2 })).toBe('EINVAL');
      expect(h.rc('IOMMU_OPTION', { option_id: 1, op: 0, object_id: ioas, val64: 1 })).toBe('OK');
      expect(get()).toBe(1);
    });

    it('ioas_iova_alloc: lengths 1..2*PAGE_SIZE', () => {
      const { h, ioas, md, buffer } = fixture(variant);
      for (let len = 1; len <= 2 * PAGE_SIZE; len += 97) {
        const v = h.map(ioas, buffer, len);
        if (md && len % 2048) expect(v).toBe('EINVAL');
        else {
          expect(typeof v).toBe('number');
          expect(h.unmap(ioas, v as number, len).rc).toBe('OK');
        }
      }
    });

    it('copy_sweep: 511-byte steps across the mapped edge', () => {
      const { h, ioas, buffer } = fixture(variant);
      const src = h.ioasAlloc();
      const len = 2048;
      const last = MOCK_APERTURE_START + 4 * PAGE_SIZE - 1;
      expect(h.map(src, buffer, 4 * PAGE_SIZE, MOCK_APERTURE_START)).toBe(MOCK_APERTURE_START);
      for (let s = MOCK_APERTURE_START - 4 * 2048; s < last + 4 * 2048; s += 511) {
        const r = h.io('IOMMU_IOAS_COPY', { flags: 6, dst_ioas_id: ioas, src_ioas_id: src, length: len, src_iova: s });
        const inside = s >= MOCK_APERTURE_START && s + len - 1 <= last;
        if (!inside) expect(r.ok ? 'OK' : r.errno).toBe('ENOENT');
        else if (variant === 'no_domain') {
          expect(r.ok).toBe(true);
          expect(h.unmap(ioas, r.out.dst_iova as number, len).rc).toBe('OK');
        } else {
          // The mock's 2 KiB alignment applies to the copy's byte offset.
          expect(r.ok ? 'OK' : r.errno).toBe((s - MOCK_APERTURE_START) % 2048 ? 'EINVAL' : 'OK');
          if (r.ok) h.unmap(ioas, r.out.dst_iova as number, len);
        }
      }
    });
  });
}

describe('ioas_align_change', () => {
  it('HUGE_PAGES=0 imposes PAGE_SIZE alignment; a misaligned area blocks it (EADDRINUSE)', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    const buf = h.mmap(4 * PAGE_SIZE);
    expect(h.map(ioas, buf + 2048, PAGE_SIZE, MOCK_APERTURE_START + 2048)).toBe(MOCK_APERTURE_START + 2048);
    expect(h.rc('IOMMU_OPTION', { option_id: 1, op: 0, object_id: ioas, val64: 0 })).toBe('EADDRINUSE');
    h.unmap(ioas, 0, U64_MAX);
    expect(h.rc('IOMMU_OPTION', { option_id: 1, op: 0, object_id: ioas, val64: 0 })).toBe('OK');
    expect(h.map(ioas, buf + 2048, PAGE_SIZE, MOCK_APERTURE_START + 2048)).toBe('EINVAL');
    expect(h.map(ioas, buf, PAGE_SIZE, MOCK_APERTURE_START)).toBe(MOCK_APERTURE_START);
    const md = h.mockDomain(ioas);
    expect(h.testRc('IOMMU_TEST_OP_MD_CHECK_MAP', { id: md.hwpt, iova: MOCK_APERTURE_START, length: PAGE_SIZE, uptr: buf })).toBe('OK');
    expect(h.rc('IOMMU_OPTION', { option_id: 1, op: 0, object_id: ioas, val64: 1 })).toBe('OK');
    expect(h.ok('IOMMU_IOAS_IOVA_RANGES', { ioas_id: ioas, num_iovas: 1, allowed_iovas: h.mmap(PAGE_SIZE) }).out_iova_alignment).toBe(2048);
  });
});

describe('accesses', () => {
  it('access_pin / access_pin_unmap: pins count, unmap callback drops them', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    const buf = h.mmap(BUFFER_SIZE);
    h.map(ioas, buf, BUFFER_SIZE, MOCK_APERTURE_START);
    const acc = h.test('IOMMU_TEST_OP_CREATE_ACCESS', { id: ioas }).out.out_access_fd as number;
    const pin = h.test('IOMMU_TEST_OP_ACCESS_PAGES', { id: acc, iova: MOCK_APERTURE_START, length: BUFFER_SIZE, flags: 1 });
    expect(pin.ok).toBe(true);
    expect(h.testRc('IOMMU_TEST_OP_MD_CHECK_REFS', { uptr: buf, length: BUFFER_SIZE, refs: 1 })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_ACCESS_PAGES', { id: acc, iova: MOCK_APERTURE_START + BUFFER_SIZE, length: PAGE_SIZE })).toBe('ENOENT');
    expect(h.rc('IOMMU_DESTROY', { id: ioas })).toBe('EBUSY');
    // A domain added later shares the pin (still one pin per page).
    const md = h.mockDomain(ioas);
    expect(h.testRc('IOMMU_TEST_OP_MD_CHECK_REFS', { uptr: buf, length: BUFFER_SIZE, refs: 1 })).toBe('OK');
    expect(h.unmap(ioas, MOCK_APERTURE_START, BUFFER_SIZE).rc).toBe('OK');
    expect(h.ctx.mm.pinnedPages).toBe(0);
    expect(h.testRc('IOMMU_TEST_OP_DESTROY_ACCESS_PAGES', { id: acc, access_pages_id: pin.out.out_access_pages_id })).toBe('ENOENT');
    h.ok('IOMMU_DESTROY', { id: acc });
    h.ok('IOMMU_DESTROY', { id: md.stdev });
    expect(h.rc('IOMMU_DESTROY', { id: ioas })).toBe('OK');
  });

  it('access_rw: reads and writes user memory through the IOAS, EPERM on read-only', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    const buf = h.mmap(BUFFER_SIZE);
    h.ctx.mm.write(buf + 100, new Uint8Array([1, 2, 3, 4]));
    h.map(ioas, buf, BUFFER_SIZE, MOCK_APERTURE_START, 6);
    const acc = h.test('IOMMU_TEST_OP_CREATE_ACCESS', { id: ioas }).out.out_access_fd as number;
    const tmp = h.mmap(PAGE_SIZE);
    expect(h.testRc('IOMMU_TEST_OP_ACCESS_RW', { id: acc, iova: MOCK_APERTURE_START + 99, length: 6, uptr: tmp })).toBe('OK');
    expect([...(h.ctx.mm.read(tmp, 6) as Uint8Array)]).toEqual([0, 1, 2, 3, 4, 0]);
    h.ctx.mm.write(tmp, new Uint8Array([9, 9]));
    expect(h.testRc('IOMMU_TEST_OP_ACCESS_RW', { id: acc, iova: MOCK_APERTURE_START + PAGE_SIZE - 1, length: 2, uptr: tmp, flags: 1 })).toBe('OK');
    expect([...(h.ctx.mm.read(buf + PAGE_SIZE - 1, 2) as Uint8Array)]).toEqual([9, 9]);
    const ro = h.ioasAlloc();
    h.map(ro, buf, PAGE_SIZE, MOCK_APERTURE_START, 4);
    const acc2 = h.test('IOMMU_TEST_OP_CREATE_ACCESS', { id: ro }).out.out_access_fd as number;
    expect(h.testRc('IOMMU_TEST_OP_ACCESS_RW', { id: acc2, iova: MOCK_APERTURE_START, length: 2, uptr: tmp, flags: 1 })).toBe('EPERM');
    expect(h.testRc('IOMMU_TEST_OP_ACCESS_PAGES', { id: acc2, iova: MOCK_APERTURE_START, length: PAGE_SIZE, flags: 1 })).toBe('EPERM');
  });
});
