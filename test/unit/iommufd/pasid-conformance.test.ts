// Conformance with tools/testing/selftests/iommu/iommufd.c iommufd_device_pasid.pasid_attach
// (variants no_pasid / has_pasid), get_hw_info's out_max_pasid_log2, the dirty-tracking
// PASID case, and IOMMU_IOAS_MAP_FILE / IOMMU_IOAS_CHANGE_PROCESS (iommufd_mock_domain
// one_domain_file, change_process.basic) on the mock.
import { describe, expect, it } from 'vitest';
import { faultRead } from '../../../core/iommufd/fault';
import type { Fault } from '../../../core/iommufd/objects';
import { MOCK_FLAGS_DEVICE_NO_DIRTY, MOCK_FLAGS_DEVICE_PASID, MOCK_PASID_WIDTH } from '../../../core/iommu/mock';
import { IOMMU_HWPT_DATA_SELFTEST, IOMMU_TEST_IOTLB_DEFAULT, IOMMU_TEST_PASID_RESERVED, IOMMU_VIOMMU_TYPE_SELFTEST } from '../../../core/uapi/iommufd-test';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_FAULT_ID_VALID } from '../../../core/uapi/iommufd';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';

function fixture() {
  const h = new H();
  const ioas = h.ioasAlloc();
  const d = h.mockDomain(ioas, MOCK_FLAGS_DEVICE_PASID);
  const data = h.u32s([IOMMU_TEST_IOTLB_DEFAULT]);
  const alloc = (pt: number, flags: number, nestedData = false, fault = 0) =>
    h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: pt, flags, ...(nestedData ? { data_type: IOMMU_HWPT_DATA_SELFTEST, data_len: 4, data_uptr: data } : {}), fault_id: fault }).out_hwpt_id!;
  const op = (name: 'IOMMU_TEST_OP_PASID_ATTACH' | 'IOMMU_TEST_OP_PASID_REPLACE', pasid: number, pt: number, stdev = d.stdev) => h.testRc(name, { id: stdev, pasid, pt_id: pt });
  const attach = (pasid: number, pt: number, stdev = d.stdev) => op('IOMMU_TEST_OP_PASID_ATTACH', pasid, pt, stdev);
  const replace = (pasid: number, pt: number) => op('IOMMU_TEST_OP_PASID_REPLACE', pasid, pt);
  const detach = (pasid: number) => h.testRc('IOMMU_TEST_OP_PASID_DETACH', { id: d.stdev, pasid });
  const check = (pasid: number, hwpt: number) => h.testRc('IOMMU_TEST_OP_PASID_CHECK_HWPT', { id: d.stdev, pasid, hwpt_id: hwpt });
  return { h, ioas, d, alloc, attach, replace, detach, check };
}

describe('iommufd_device_pasid.pasid_attach', () => {
  it('compat rules, attach does not overwrite, replace, the mock\'s designed failure, IOPF on a PASID', () => {
    const { h, ioas, d, alloc, attach, replace, detach, check } = fixture();
    expect(detach(100)).toBe('OK');
    const parent = alloc(ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);
    const n0 = alloc(parent, IOMMU_HWPT_ALLOC_PASID, true);
    const n1 = alloc(parent, IOMMU_HWPT_ALLOC_PASID, true);
    const f = h.ok('IOMMU_FAULT_QUEUE_ALLOC');
    const iopf = alloc(parent, IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID, true, f.out_fault_id);
    const viommu = h.ok('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: parent, type: IOMMU_VIOMMU_TYPE_SELFTEST }).out_viommu_id!;
    const n2 = alloc(viommu, IOMMU_HWPT_ALLOC_PASID, true);
    expect(n2).toBeGreaterThan(0);
    const s2 = alloc(ioas, IOMMU_HWPT_ALLOC_PASID);
    const ridReplace = (pt: number) => h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: pt });
    // The RID domain must be PASID-compatible once PASIDs are used, and vice versa.
    expect(ridReplace(parent)).toBe('OK');
    expect(attach(100, s2)).toBe('EINVAL');
    expect(ridReplace(s2)).toBe('OK');
    expect(attach(100, n0)).toBe('OK');
    expect(ridReplace(parent)).toBe('EINVAL');
    expect(detach(100)).toBe('OK');
    expect(check(100, 0)).toBe('OK');
    // Not PASID-compatible HWPTs, and IOAS ids (auto domains never are).
    expect(attach(100, parent)).toBe('EINVAL');
    expect(check(100, 0)).toBe('OK');
    expect(attach(100, ioas)).toBe('EINVAL');
    expect(attach(100, 0)).toBe('ENOENT');
    expect(attach(100, s2)).toBe('OK');
    expect(check(100, s2)).toBe('OK');
    expect(attach(100, n0)).toBe('EBUSY');
    expect(check(100, s2)).toBe('OK');
    expect(detach(100)).toBe('OK');
    expect(attach(100, n0)).toBe('OK');
    expect(attach(100, n0)).toBe('EBUSY');
    // Busy while attached at a PASID.
    expect(h.rc('IOMMU_DESTROY', { id: n0 })).toBe('EBUSY');
    // Replace.
    expect(replace(200, s2)).toBe('EINVAL');
    expect(attach(200, s2)).toBe('OK');
    expect(replace(200, ioas)).toBe('EINVAL');
    expect(check(200, s2)).toBe('OK');
    expect(replace(200, n0)).toBe('OK');
    expect(replace(200, n1)).toBe('OK');
    expect(check(200, n1)).toBe('OK');
    expect(check(200, n0)).toBe('EINVAL');
    // The mock's designed failure: replacing PASID 1024 is -ENOMEM and leaves the old HWPT.
    expect(attach(IOMMU_TEST_PASID_RESERVED, s2)).toBe('OK');
    expect(replace(IOMMU_TEST_PASID_RESERVED, n0)).toBe('ENOMEM');
    expect(check(IOMMU_TEST_PASID_RESERVED, s2)).toBe('OK');
    // Past the device's PASID width.
    expect(attach(2 ** MOCK_PASID_WIDTH, s2)).toBe('EINVAL');
    // IOPF on a PASID: delivered with PASID_VALID to the fault queue of the PASID's HWPT.
    expect(attach(2048, iopf)).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_TRIGGER_IOPF', { dev_id: d.idev, pasid: 2048, grpid: 1, perm: 2, addr: 0x5000 })).toBe('OK');
    const recs = faultRead(h.ctx.table.get(f.out_fault_id!, 'FAULT') as Fault, 4);
    expect(recs.map((r) => [r.flags & 1, r.pasid])).toEqual([[1, 2048]]);
    expect(replace(2048, s2)).toBe('OK');
    for (const p of [100, 200, IOMMU_TEST_PASID_RESERVED, 2048]) expect(detach(p)).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: n0 })).toBe('OK');
    expect(h.teardown()).toEqual({ pinned: 0, pool: 0, objects: 0 });
  });

  it('no_pasid: a PASID-compatible domain works on the RID, PASID attach on the device is EINVAL', () => {
    const { h, ioas, alloc } = fixture();
    const np = h.mockDomain(ioas);
    const parent = alloc(ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);
    const n0 = alloc(parent, IOMMU_HWPT_ALLOC_PASID, true);
    const s2 = alloc(ioas, IOMMU_HWPT_ALLOC_PASID);
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: np.stdev, pt_id: n0 })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: np.stdev, pt_id: ioas })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_PASID_ATTACH', { id: np.stdev, pasid: 100, pt_id: parent })).toBe('EINVAL');
    expect(h.testRc('IOMMU_TEST_OP_PASID_ATTACH', { id: np.stdev, pasid: 100, pt_id: s2 })).toBe('EINVAL');
  });

  it('get_hw_info reports the PASID width', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    const a = h.mockDomain(ioas);
    const b = h.mockDomain(ioas, MOCK_FLAGS_DEVICE_PASID);
    expect(h.ok('IOMMU_GET_HW_INFO', { dev_id: a.idev }).out_max_pasid_log2).toBe(0);
    expect(h.ok('IOMMU_GET_HW_INFO', { dev_id: b.idev }).out_max_pasid_log2).toBe(MOCK_PASID_WIDTH);
  });

  it('pasid_set_dirty_tracking: dirty HWPT on a PASID; a NO_DIRTY device is refused', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    const d = h.mockDomain(ioas, MOCK_FLAGS_DEVICE_PASID);
    const nd = h.mockDomain(ioas, MOCK_FLAGS_DEVICE_PASID | MOCK_FLAGS_DEVICE_NO_DIRTY);
    const hw = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_ALLOC_DIRTY_TRACKING }).out_hwpt_id!;
    const compatRid = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: IOMMU_HWPT_ALLOC_PASID }).out_hwpt_id!;
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: compatRid })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_PASID_ATTACH', { id: d.stdev, pasid: 100, pt_id: hw })).toBe('OK');
    expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hw, flags: 1 })).toBe('OK');
    expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hw, flags: 0 })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_PASID_DETACH', { id: d.stdev, pasid: 100 })).toBe('OK');
    const ndCompat = h.ok('IOMMU_HWPT_ALLOC', { dev_id: nd.idev, pt_id: ioas, flags: IOMMU_HWPT_ALLOC_PASID }).out_hwpt_id!;
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: nd.stdev, pt_id: ndCompat })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_PASID_ATTACH', { id: nd.stdev, pasid: 100, pt_id: hw })).toBe('EINVAL');
  });
});

describe('IOMMU_IOAS_MAP_FILE', () => {
  it('one_domain_file basic: maps a memfd, past-EOF and truncated files are EINVAL, argument order', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    const d = h.mockDomain(ioas);
    const bufSize = 16 * PAGE_SIZE;
    const m = h.ctx.mm.memfdCreate(bufSize);
    const mf = (a: Record<string, unknown>) => h.io('IOMMU_IOAS_MAP_FILE', { ioas_id: ioas, flags: 7, fd: m.fd, start: 0, length: PAGE_SIZE, iova: MOCK_APERTURE_START, ...a });
    const rc = (a: Record<string, unknown>) => {
      const r = mf(a);
      return r.ok ? 'OK' : r.errno;
    };
    expect(rc({ flags: 8 })).toBe('EOPNOTSUPP');
    expect(rc({ length: '0xffffffffffffffff' })).toBe('EOVERFLOW');
    expect(rc({ flags: 1 })).toBe('EINVAL');
    expect(rc({ ioas_id: 0 })).toBe('ENOENT');
    expect(rc({ fd: 7 })).toBe('EBADF');
    expect(rc({ fd: -1 })).toBe('EBADF');
    expect(rc({})).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_MD_CHECK_MAP', { id: d.hwpt, iova: MOCK_APERTURE_START, length: PAGE_SIZE, uptr: m.va })).toBe('OK');
    // The file as the page source: a write through the shared mapping is what the device reads.
    const dom = h.hwpt(d.hwpt).domain;
    expect(dom.ops.iovaToPhys(dom, MOCK_APERTURE_START)).toBe(h.ctx.mm.translate(m.va));
    const m2 = h.ctx.mm.memfdCreate(bufSize);
    expect(rc({ fd: m2.fd, length: bufSize + 1, iova: MOCK_APERTURE_START + 64 * PAGE_SIZE })).toBe('EINVAL');
    expect(h.ctx.mm.ftruncate(m2.fd, 0)).toBe(0);
    expect(rc({ fd: m2.fd, length: bufSize, iova: MOCK_APERTURE_START + 64 * PAGE_SIZE })).toBe('EINVAL');
    // An event fd is a file, but not shmem: EINVAL at pin time.
    const f = h.ok('IOMMU_FAULT_QUEUE_ALLOC');
    expect(rc({ fd: f.out_fault_fd, iova: MOCK_APERTURE_START + 64 * PAGE_SIZE })).toBe('EINVAL');
    expect(h.snapshot()).toBe(h.snapshot());
  });

  it('lazy pinning: without a domain a past-EOF map succeeds and the attach fails', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    const m = h.ctx.mm.memfdCreate(4 * PAGE_SIZE);
    h.ctx.mm.ftruncate(m.fd, 2 * PAGE_SIZE);
    expect(h.rc('IOMMU_IOAS_MAP_FILE', { ioas_id: ioas, flags: 7, fd: m.fd, start: 0, length: 4 * PAGE_SIZE, iova: MOCK_APERTURE_START })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: ioas })).toBe('EINVAL');
    // The part inside the file can be pinned by an access.
    const acc = h.test('IOMMU_TEST_OP_CREATE_ACCESS', { id: ioas }).out.out_access_fd as number;
    expect(h.testRc('IOMMU_TEST_OP_ACCESS_PAGES', { id: acc, iova: MOCK_APERTURE_START, length: 2 * PAGE_SIZE })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_ACCESS_PAGES', { id: acc, iova: MOCK_APERTURE_START, length: 3 * PAGE_SIZE })).toBe('EINVAL');
  });

  it('auto IOVA keeps the start offset within the page; all_aligns over starts and lengths', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    const d = h.mockDomain(ioas);
    const m = h.ctx.mm.memfdCreate(8 * PAGE_SIZE);
    for (let start = 0; start < 4 * PAGE_SIZE; start += 2048) {
      for (let len = 2048; start + len <= 8 * PAGE_SIZE; len += 4 * 2048) {
        const r = h.io('IOMMU_IOAS_MAP_FILE', { ioas_id: ioas, flags: 6, fd: m.fd, start, length: len });
        expect(r.ok).toBe(true);
        const iova = r.out.iova as number;
        expect(iova % PAGE_SIZE).toBe(start % PAGE_SIZE);
        expect(h.testRc('IOMMU_TEST_OP_MD_CHECK_MAP', { id: d.hwpt, iova, length: len, uptr: m.va + start })).toBe('OK');
        expect(h.unmap(ioas, iova, len).rc).toBe('OK');
      }
    }
  });

  it('change_process.basic: EINVAL while a non-file map exists', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    h.mockDomain(ioas);
    const m = h.ctx.mm.memfdCreate(PAGE_SIZE);
    expect(h.rc('IOMMU_IOAS_CHANGE_PROCESS', { __reserved: 1 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_IOAS_CHANGE_PROCESS')).toBe('OK');
    h.ok('IOMMU_IOAS_MAP_FILE', { ioas_id: ioas, flags: 7, fd: m.fd, length: PAGE_SIZE, iova: MOCK_APERTURE_START });
    expect(h.rc('IOMMU_IOAS_CHANGE_PROCESS')).toBe('OK');
    h.map(ioas, h.mmap(PAGE_SIZE), PAGE_SIZE, MOCK_APERTURE_START + PAGE_SIZE);
    expect(h.rc('IOMMU_IOAS_CHANGE_PROCESS')).toBe('EINVAL');
  });
});
