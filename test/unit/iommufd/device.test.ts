// Device attach / replace / detach and HWPT lifetime in the agreed (mainline) model:
// the has_group review's agreed design (docs/threads.md; cases T-FD-*), selftests hwpt_attach,
// mock_domain replace / alloc_hwpt, get_hw_info, fault queues.
import { describe, expect, it } from 'vitest';
import type { MockDriver } from '../../../core/iommu/mock';
import { MOCK_FLAGS_DEVICE_PASID } from '../../../core/iommu/mock';
import type { Fault, Idev, SelftestDev } from '../../../core/iommufd/objects';
import { faultRead, faultRespond } from '../../../core/iommufd/fault';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';

function idevOf(h: H, stdev: number): Idev {
  return (h.ctx.table.get(stdev, 'SELFTEST') as SelftestDev).idev;
}
const drv = (h: H) => h.ctx.platform.driver as MockDriver;

describe('attach / detach (T-FD-*)', () => {
  it('T-FD-01..04: auto HWPT shared by a group, group stays attached until its last device, then blocked', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const buf = h.mmap(4 * PAGE_SIZE);
    h.map(A, buf, 4 * PAGE_SIZE, MOCK_APERTURE_START);
    const d1 = h.mockDomain(A, 0, 7);
    const H1 = h.hwpt(d1.hwpt);
    expect(H1.autoDomain).toBe(true);
    expect(H1.users).toBe(2);
    expect(h.ioas(A).hwptList).toEqual([H1]);
    expect(h.ioas(A).iopt.domains).toEqual([H1.domain]);
    expect(h.ioas(A).users).toBe(2);
    const dev1 = idevOf(h, d1.stdev).dev;
    expect(drv(h).domainOf(dev1)).toBe(H1.domain);
    const d2 = h.mockDomain(A, 0, 7);
    expect(d2.hwpt).toBe(d1.hwpt);
    expect(H1.users).toBe(3);
    const dev2 = idevOf(h, d2.stdev).dev;
    h.ok('IOMMU_DESTROY', { id: d1.stdev });
    expect(H1.users).toBe(2);
    expect(drv(h).domainOf(dev2)).toBe(H1.domain);
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d2.stdev, iova: MOCK_APERTURE_START, length: 64, flags: 1 })).toBe('OK');
    h.ok('IOMMU_DESTROY', { id: d2.stdev });
    expect(h.ctx.table.get(d1.hwpt)).toBeUndefined();
    expect(h.ioas(A).iopt.domains).toEqual([]);
    expect(h.ioas(A).hwptList).toEqual([]);
    expect(h.ioas(A).users).toBe(1);
    // No stale domain: both group members are blocked and DMA faults.
    expect(drv(h).domainOf(dev1)).toBeNull();
    expect(drv(h).domainOf(dev2)).toBeNull();
    expect(drv(h).dma(dev2, 0, MOCK_APERTURE_START, 64, true)).toBe(-14);
    expect(h.ctx.mm.pinnedPages).toBe(0);
  });

  it('T-FD-05: a device of another group reuses the HWPT; detaching either leaves the other attached', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const d1 = h.mockDomain(A);
    const d3 = h.mockDomain(A);
    expect(d3.hwpt).toBe(d1.hwpt);
    expect(h.hwpt(d1.hwpt).users).toBe(3);
    h.ok('IOMMU_DESTROY', { id: d1.stdev });
    expect(drv(h).domainOf(idevOf(h, d3.stdev).dev)).toBe(h.hwpt(d3.hwpt).domain);
  });

  it('T-FD-16..18: unknown pt_id ENOENT, wrong type EINVAL, destroy of an in-use HWPT EBUSY', () => {
    const h = new H();
    const A = h.ioasAlloc();
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: 999 })).toBe('ENOENT');
    const d1 = h.mockDomain(A);
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: d1.idev })).toBe('EINVAL');
    expect(h.rc('IOMMU_DESTROY', { id: d1.hwpt })).toBe('EBUSY');
    expect(h.rc('IOMMU_DESTROY', { id: d1.idev })).toBe('EBUSY');
    // The failed attaches left nothing behind.
    expect(h.ctx.table.all().map((o) => o.type)).toEqual(['IOAS', 'SELFTEST', 'DEVICE', 'HWPT_PAGING']);
  });

  it('T-FD-19: a device whose group sits on another HWPT gets EINVAL', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const B = h.ioasAlloc();
    h.mockDomain(A, 0, 9);
    const d3 = h.mockDomain(B);
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS', { id: d3.hwpt, dev_flags: 0, group_id: 9 })).toBe('EINVAL');
  });

  it('T-FD-23: a user HWPT is linked at allocation; attach/detach never change linkage; destroy unlinks', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const buf = h.mmap(2 * PAGE_SIZE);
    h.map(A, buf, 2 * PAGE_SIZE, MOCK_APERTURE_START);
    const d0 = h.mockDomain(A);
    const S2 = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d0.idev, pt_id: A }).out_hwpt_id!;
    const dom = h.hwpt(S2).domain;
    expect(h.ioas(A).iopt.domains).toContain(dom);
    expect(dom.ops.iovaToPhys(dom, MOCK_APERTURE_START)).toBe(h.ctx.mm.translate(buf));
    const d1 = h.mockDomain(S2);
    expect(d1.hwpt).toBe(S2);
    h.ok('IOMMU_DESTROY', { id: d1.stdev });
    expect(h.ioas(A).iopt.domains).toContain(dom);
    expect(h.hwpt(S2).users).toBe(1);
    h.ok('IOMMU_DESTROY', { id: S2 });
    expect(h.ioas(A).iopt.domains).not.toContain(dom);
    expect(h.ctx.mm.pinCount(buf)).toBe(1); // still pinned for the auto domain of d0
  });

  it('hwpt_attach / alloc_hwpt: attach by HWPT id, unknown flags EOPNOTSUPP, rotation', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const d = h.mockDomain(A);
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: A, flags: 1 << 30 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: d.idev })).toBe('EINVAL');
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: 99 })).toBe('EINVAL');
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: A, data_type: 0xdead, data_len: 8 })).toBe('EOPNOTSUPP');
    let prev = d.hwpt;
    for (let i = 0; i < 3; i++) {
      const np = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: A, flags: i === 1 ? 1 : 0 }).out_hwpt_id!;
      expect(h.test('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: np }).out.pt_id).toBe(np);
      expect(h.rc('IOMMU_DESTROY', { id: np })).toBe('EBUSY');
      if (i > 0) expect(h.rc('IOMMU_DESTROY', { id: prev })).toBe('OK');
      else expect(h.rc('IOMMU_DESTROY', { id: prev })).toBe('ENOENT'); // the auto HWPT died
      prev = np;
    }
    // Nest parent: a nested alloc needs vendor data (EOPNOTSUPP), a non-parent is EINVAL.
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: prev })).toBe('EOPNOTSUPP');
  });

  it('mock_domain replace: to another IOAS frees the old auto HWPT; back to an IOAS makes a new one', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const B = h.ioasAlloc();
    const d = h.mockDomain(A);
    const r = h.test('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: B });
    expect(r.ok).toBe(true);
    expect(r.out.pt_id).not.toBe(d.hwpt);
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: d.hwpt })).toBe('ENOENT');
    expect(h.ioas(A).users).toBe(1);
    expect(h.ioas(B).users).toBe(2);
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: r.out.pt_id })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: A })).toBe('OK');
    expect(h.ioas(B).users).toBe(1);
    expect(drv(h).domainOf(idevOf(h, d.stdev).dev)).toBe(h.ioas(A).hwptList[0]!.domain);
  });

  it('get_hw_info: PASID width, data_len, ENOENT without device', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const d = h.mockDomain(A);
    const p = h.mockDomain(A, MOCK_FLAGS_DEVICE_PASID);
    expect(h.ok('IOMMU_GET_HW_INFO', { dev_id: d.idev }).out_max_pasid_log2).toBe(0);
    const ub = h.mmap(PAGE_SIZE);
    h.ctx.mm.write(ub, new Uint8Array(16).fill(0xaa));
    const big = h.io('IOMMU_GET_HW_INFO', { dev_id: p.idev, data_len: 16, data_uptr: ub });
    expect(big.out.data_len).toBe(8);
    expect([...(h.ctx.mm.read(ub, 16) as Uint8Array)]).toEqual([0, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde, 0, 0, 0, 0, 0, 0, 0, 0]);
    h.ctx.mm.write(ub, new Uint8Array(16).fill(0xaa));
    const i = h.io('IOMMU_GET_HW_INFO', { dev_id: p.idev, data_len: 4, data_uptr: ub });
    expect([...(h.ctx.mm.read(ub, 8) as Uint8Array)]).toEqual([0, 0, 0, 0, 0xaa, 0xaa, 0xaa, 0xaa]);
    expect(h.rc('IOMMU_GET_HW_INFO', { dev_id: p.idev, data_len: 4, data_uptr: 0 })).toBe('EFAULT');
    expect(i.out.out_max_pasid_log2).toBe(20);
    expect(i.out.data_len).toBe(8);
    expect(i.extra.data_copied).toBe(4);
    expect(i.extra.data).toEqual({ flags: 0, test_reg: 0xdeadbeef });
    expect(h.rc('IOMMU_GET_HW_INFO', { dev_id: 99 })).toBe('ENOENT');
    expect(h.rc('IOMMU_GET_HW_INFO', { dev_id: d.idev, __reserved: 1 })).toBe('EOPNOTSUPP');
  });
});

describe('fault queues', () => {
  it('FAULT_QUEUE_ALLOC, FAULT_ID_VALID HWPT, IOPF delivery, read, page response, busy rules', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const d = h.mockDomain(A, MOCK_FLAGS_DEVICE_PASID);
    const f = h.ok('IOMMU_FAULT_QUEUE_ALLOC');
    expect(f.out_fault_fd).toBeGreaterThan(2);
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: A, flags: 4, fault_id: 99 })).toBe('ENOENT');
    const hw = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: A, flags: 4, fault_id: f.out_fault_id }).out_hwpt_id!;
    expect(h.rc('IOMMU_DESTROY', { id: f.out_fault_id })).toBe('EBUSY');
    expect(h.testRc('IOMMU_TEST_OP_TRIGGER_IOPF', { dev_id: d.idev, pasid: 1, grpid: 2, perm: 3, addr: 0x1000 })).toBe('ENODEV');
    h.ok('IOMMU_TEST_CMD', { op: 10, id: d.stdev, pt_id: hw });
    expect(h.testRc('IOMMU_TEST_OP_TRIGGER_IOPF', { dev_id: d.idev, pasid: 1, grpid: 2, perm: 3, addr: 0x1000 })).toBe('OK');
    const fault = h.ctx.table.get(f.out_fault_id!, 'FAULT') as Fault;
    const recs = faultRead(fault, 4);
    expect(recs).toEqual([{ flags: 3, dev_id: d.idev, pasid: 1, grpid: 2, perm: 3, addr: 0x1000, length: PAGE_SIZE, cookie: 1 }]);
    expect(faultRespond(fault, 7, 0)).toBe(-22);
    expect(faultRespond(fault, 1, 5)).toBe(-22);
    expect(faultRespond(fault, 1, 0)).toBe(0);
    expect(fault.completed).toEqual([{ cookie: 1, code: 0 }]);
    h.ok('IOMMU_DESTROY', { id: d.stdev });
    h.ok('IOMMU_DESTROY', { id: hw });
    expect(h.rc('IOMMU_DESTROY', { id: f.out_fault_id })).toBe('OK');
  });
});

describe('reserved regions per device (T-FD-11)', () => {
  it('a device MSI window is reserved while attached, blocks overlapping maps, and conflicts with existing mappings', () => {
    const h = new H();
    const MSI = MOCK_APERTURE_START + 0x100000;
    h.ctx.platform.resvRegions = () => [{ start: MSI, length: 0x100000, type: 'MSI' }];
    const A = h.ioasAlloc();
    const buf = h.mmap(PAGE_SIZE);
    h.map(A, buf, PAGE_SIZE, MSI + PAGE_SIZE);
    const before = h.snapshot();
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: A })).toBe('EADDRINUSE');
    expect(h.snapshot()).toBe(before);
    h.unmap(A, MSI + PAGE_SIZE, PAGE_SIZE);
    const d = h.mockDomain(A);
    expect(h.map(A, buf, PAGE_SIZE, MSI)).toBe('EINVAL');
    const ranges = h.io('IOMMU_IOAS_IOVA_RANGES', { ioas_id: A, num_iovas: 4, allowed_iovas: h.mmap(PAGE_SIZE) });
    expect(ranges.out.num_iovas).toBe(2);
    h.ok('IOMMU_DESTROY', { id: d.stdev });
    expect(h.ioas(A).iopt.reserved).toEqual([]);
    expect(h.map(A, buf, PAGE_SIZE, MSI)).toBe(MSI);
  });

  it('a SW_MSI and an MSI region together are refused (EINVAL)', () => {
    const h = new H();
    h.ctx.platform.resvRegions = () => [
      { start: 0x8000000, length: 0x100000, type: 'SW_MSI' },
      { start: 0xfee00000, length: 0x100000, type: 'MSI' },
    ];
    const A = h.ioasAlloc();
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: A })).toBe('EINVAL');
    expect(h.ioas(A).iopt.reserved).toEqual([]);
    expect(h.ctx.warnings).toEqual([{ kind: 'WARN_ON', site: 'iopt_table_enforce_dev_resv_regions', message: 'num_sw_msi && num_hw_msi' }]);
  });
});
