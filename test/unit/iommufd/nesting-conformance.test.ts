// Conformance with tools/testing/selftests/iommu/iommufd.c for the nesting uAPI on the mock
// (drivers/iommu/iommufd/selftest.c): iommufd_ioas.alloc_hwpt_nested (nested HWPTs, IOPF
// HWPTs, IOMMU_HWPT_INVALIDATE with partial completion), the iommufd_viommu fixture
// (viommu_negative_tests, viommu_alloc_nested_iopf, viommu_alloc_with_data, vdevice_alloc
// with vEVENTQ overflow, vdevice_cache, hw_queue, vdevice_tombstone). Errno order as the
// kernel's handlers; entry_num written back on every path.
import { describe, expect, it } from 'vitest';
import { faultRead } from '../../../core/iommufd/fault';
import { veventqRead } from '../../../core/iommufd/eventq';
import type { Fault, Veventq } from '../../../core/iommufd/objects';
import {
  IOMMU_HW_QUEUE_TYPE_SELFTEST,
  IOMMU_HWPT_DATA_SELFTEST,
  IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
  IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
  IOMMU_TEST_DEV_CACHE_DEFAULT,
  IOMMU_TEST_HW_QUEUE_MAX,
  IOMMU_TEST_INVALIDATE_FLAG_ALL,
  IOMMU_TEST_IOTLB_DEFAULT,
  IOMMU_VEVENTQ_TYPE_SELFTEST,
  IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
  IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID,
  IOMMU_VIOMMU_TYPE_SELFTEST,
  MOCK_DEV_CACHE_ID_MAX,
  MOCK_NESTED_DOMAIN_IOTLB_ID_MAX,
} from '../../../core/uapi/iommufd-test';
import { IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_FAULT_ID_VALID, IOMMU_VEVENTQ_FLAG_LOST_EVENTS } from '../../../core/uapi/iommufd';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';

const UINT32_MAX = 0xffff_ffff;

/** A mock device on a fresh IOAS plus the selftest's nested data {iotlb = DEFAULT}. */
function setup() {
  const h = new H();
  const ioas = h.ioasAlloc();
  const d = h.mockDomain(ioas);
  const data = h.u32s([IOMMU_TEST_IOTLB_DEFAULT]);
  return { h, ioas, d, data };
}

function nested(h: H, dev: number, pt: number, flags: number, data: number, opts: { type?: number; len?: number; fault?: number } = {}) {
  return h.io('IOMMU_HWPT_ALLOC', { dev_id: dev, pt_id: pt, flags, data_type: opts.type ?? IOMMU_HWPT_DATA_SELFTEST, data_len: opts.len ?? 4, data_uptr: data, fault_id: opts.fault ?? 0 });
}

function rcOf(r: { ok: boolean; errno?: string }): string {
  return r.ok ? 'OK' : r.errno!;
}

function invalidate(h: H, id: number, entries: number[][], opts: { type?: number; len?: number; num?: number; uptr?: number } = {}) {
  const va = entries.length ? h.u32s(entries.flat()) : 0;
  const r = h.io('IOMMU_HWPT_INVALIDATE', { hwpt_id: id, data_uptr: opts.uptr ?? va, data_type: opts.type ?? IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, entry_len: opts.len ?? (entries[0]?.length ?? 2) * 4, entry_num: opts.num ?? entries.length });
  return { rc: rcOf(r), num: r.out.entry_num as number };
}

function iotlbs(h: H, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i <= MOCK_NESTED_DOMAIN_IOTLB_ID_MAX; i++) {
    for (const v of [0, IOMMU_TEST_IOTLB_DEFAULT]) if (h.testRc('IOMMU_TEST_OP_MD_CHECK_IOTLB', { id, iotlb_id: i, iotlb: v }) === 'OK') out.push(v);
  }
  return out;
}

describe('iommufd_ioas.alloc_hwpt_nested', () => {
  it('allocation errno order, invalidation with partial completion, replace and busy rules', () => {
    const { h, ioas, d, data } = setup();
    // 1-3: dev lookup, pt type, NEST_PARENT | FAULT_ID_VALID.
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: ioas, pt_id: d.stdev })).toBe('ENOENT');
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: d.idev })).toBe('EINVAL');
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID })).toBe('EOPNOTSUPP');
    const parent = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: IOMMU_HWPT_ALLOC_NEST_PARENT }).out_hwpt_id!;
    const notParent = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas }).out_hwpt_id!;
    // 5-10
    expect(rcOf(nested(h, d.idev, parent, 0, data, { type: 0 }))).toBe('EINVAL');
    expect(rcOf(nested(h, d.idev, parent, 0, data, { type: IOMMU_HWPT_DATA_SELFTEST + 1 }))).toBe('EOPNOTSUPP');
    expect(rcOf(nested(h, d.idev, parent, 0, data, { len: 3 }))).toBe('EINVAL');
    expect(rcOf(nested(h, d.idev, parent, 0, 0))).toBe('EFAULT');
    expect(rcOf(nested(h, d.idev, parent, IOMMU_HWPT_ALLOC_NEST_PARENT, data))).toBe('EOPNOTSUPP');
    expect(rcOf(nested(h, d.idev, notParent, 0, data))).toBe('EINVAL');
    // 11-13: two nested HWPTs and an IOPF one.
    const f = h.ok('IOMMU_FAULT_QUEUE_ALLOC');
    const n0 = nested(h, d.idev, parent, 0, data).out.out_hwpt_id as number;
    const n1 = nested(h, d.idev, parent, 0, data).out.out_hwpt_id as number;
    expect(rcOf(nested(h, d.idev, parent, IOMMU_HWPT_FAULT_ID_VALID, data, { fault: UINT32_MAX }))).toBe('ENOENT');
    const iopf = nested(h, d.idev, parent, IOMMU_HWPT_FAULT_ID_VALID, data, { fault: f.out_fault_id });
    expect(iopf.ok).toBe(true);
    const iopfId = iopf.out.out_hwpt_id as number;
    // 14
    expect(iotlbs(h, n0)).toEqual(Array(4).fill(IOMMU_TEST_IOTLB_DEFAULT));
    expect(iotlbs(h, n1)).toEqual(Array(4).fill(IOMMU_TEST_IOTLB_DEFAULT));
    // 15-16: no nesting on a nested HWPT; the parent is held by its children.
    expect(rcOf(nested(h, d.idev, n0, 0, data))).toBe('EINVAL');
    expect(h.rc('IOMMU_DESTROY', { id: parent })).toBe('EBUSY');
    // Dirty tracking and bitmap reads exist only on the paging parent.
    expect(h.rc('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: n0, flags: 1 })).toBe('ENOENT');
    // 17-25: invalidation argument checks; entry_num out 0.
    expect(invalidate(h, parent, [[0, 0]])).toEqual({ rc: 'EINVAL', num: 0 });
    expect(invalidate(h, n0, [], { num: 0 })).toEqual({ rc: 'OK', num: 0 });
    expect(invalidate(h, n0, [[0, 0]], { type: IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID })).toEqual({ rc: 'EINVAL', num: 0 });
    expect(invalidate(h, n0, [[0, 0, 0]], { len: 9 })).toEqual({ rc: 'EINVAL', num: 0 });
    expect(invalidate(h, n0, [[0, 0]], { len: 1 })).toEqual({ rc: 'EINVAL', num: 0 });
    expect(invalidate(h, n0, [[0xffffffff, 0]])).toEqual({ rc: 'EOPNOTSUPP', num: 0 });
    expect(invalidate(h, n0, [[0, 0]], { uptr: 0 })).toEqual({ rc: 'EINVAL', num: 0 });
    expect(invalidate(h, n0, [[0, 0]], { len: 0 })).toEqual({ rc: 'EINVAL', num: 0 });
    expect(invalidate(h, n0, [[0, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1]])).toEqual({ rc: 'EINVAL', num: 0 });
    expect(iotlbs(h, n0)).toEqual(Array(4).fill(IOMMU_TEST_IOTLB_DEFAULT));
    // __reserved != 0 first of all.
    expect(rcOf(h.io('IOMMU_HWPT_INVALIDATE', { hwpt_id: n0, __reserved: 1 }))).toBe('EOPNOTSUPP');
    // 26-30: partial completion.
    expect(invalidate(h, n0, [[0, 0], [0xffffffff, 1]])).toEqual({ rc: 'EOPNOTSUPP', num: 1 });
    expect(iotlbs(h, n0)).toEqual([0, IOMMU_TEST_IOTLB_DEFAULT, IOMMU_TEST_IOTLB_DEFAULT, IOMMU_TEST_IOTLB_DEFAULT]);
    expect(invalidate(h, n0, [[0, 0], [0, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1]])).toEqual({ rc: 'EINVAL', num: 1 });
    expect(invalidate(h, n0, [[0, 1]])).toEqual({ rc: 'OK', num: 1 });
    expect(iotlbs(h, n0)).toEqual([0, 0, IOMMU_TEST_IOTLB_DEFAULT, IOMMU_TEST_IOTLB_DEFAULT]);
    expect(invalidate(h, n0, [[0, 2], [0, 3]])).toEqual({ rc: 'OK', num: 2 });
    expect(iotlbs(h, n0)).toEqual([0, 0, 0, 0]);
    expect(invalidate(h, n1, [[IOMMU_TEST_INVALIDATE_FLAG_ALL, 0]])).toEqual({ rc: 'OK', num: 1 });
    expect(iotlbs(h, n1)).toEqual([0, 0, 0, 0]);
    // 31-34: attach/replace between nested HWPTs and back; busy while attached.
    const replace = (pt: number) => h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: pt });
    expect(replace(n0)).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: n0 })).toBe('EBUSY');
    expect(replace(n1)).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: n1 })).toBe('EBUSY');
    expect(h.rc('IOMMU_DESTROY', { id: n0 })).toBe('OK');
    expect(replace(iopfId)).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: iopfId })).toBe('EBUSY');
    expect(h.testRc('IOMMU_TEST_OP_TRIGGER_IOPF', { dev_id: d.idev, pasid: 0, grpid: 1, perm: 1, addr: 0x4000 })).toBe('OK');
    expect(faultRead(h.ctx.table.get(f.out_fault_id!, 'FAULT') as Fault, 4)).toHaveLength(1);
    expect(replace(parent)).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: n1 })).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: iopfId })).toBe('OK');
    expect(replace(ioas)).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: parent })).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: notParent })).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: f.out_fault_id })).toBe('OK');
    expect(h.teardown()).toEqual({ pinned: 0, pool: 0, objects: 0 });
  });

  it('no_domain: device id 0', () => {
    const h = new H();
    const ioas = h.ioasAlloc();
    const data = h.u32s([IOMMU_TEST_IOTLB_DEFAULT]);
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: 0, pt_id: ioas })).toBe('ENOENT');
    expect(rcOf(nested(h, 0, ioas, 0, data))).toBe('ENOENT');
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: 0, pt_id: ioas })).toBe('ENOENT');
  });

  it('a nested HWPT translates through its parent: IOAS maps reach the device', () => {
    const { h, ioas, d, data } = setup();
    const parent = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: IOMMU_HWPT_ALLOC_NEST_PARENT }).out_hwpt_id!;
    const n = nested(h, d.idev, parent, 0, data).out.out_hwpt_id as number;
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: n })).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: MOCK_APERTURE_START, length: 64, flags: 1 })).toBe('EFAULT');
    h.map(ioas, h.mmap(PAGE_SIZE), PAGE_SIZE, MOCK_APERTURE_START);
    expect(h.testRc('IOMMU_TEST_OP_SIM_DMA', { id: d.stdev, iova: MOCK_APERTURE_START, length: 64, flags: 1 })).toBe('OK');
  });
});

/** The iommufd_viommu fixture (variant mock_viommu). */
function viommuFixture() {
  const { h, ioas, d, data } = setup();
  const hwpt = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: IOMMU_HWPT_ALLOC_NEST_PARENT }).out_hwpt_id!;
  const viommu = h.ok('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: hwpt, type: IOMMU_VIOMMU_TYPE_SELFTEST }).out_viommu_id!;
  const nestedId = nested(h, d.idev, viommu, 0, data).out.out_hwpt_id as number;
  return { h, ioas, d, data, hwpt, viommu, nestedId };
}

describe('iommufd_viommu', () => {
  it('viommu_auto_destroy: teardown with everything alive is clean', () => {
    const { h } = viommuFixture();
    expect(h.teardown()).toEqual({ pinned: 0, pool: 0, objects: 0 });
  });

  it('viommu_negative_tests', () => {
    const { h, ioas, d, hwpt, viommu } = viommuFixture();
    expect(h.rc('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: 0, type: IOMMU_VIOMMU_TYPE_SELFTEST })).toBe('ENOENT');
    const plain = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas }).out_hwpt_id!;
    expect(h.rc('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: plain, type: IOMMU_VIOMMU_TYPE_SELFTEST })).toBe('EINVAL');
    expect(h.rc('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: hwpt, type: 0xdead })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: hwpt, type: 0 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: hwpt, type: IOMMU_VIOMMU_TYPE_SELFTEST, flags: 1 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_DESTROY', { id: hwpt })).toBe('EBUSY');
    expect(h.rc('IOMMU_DESTROY', { id: viommu })).toBe('EBUSY');
    expect(h.rc('IOMMU_VIOMMU_ALLOC', { dev_id: 0, hwpt_id: hwpt, type: IOMMU_VIOMMU_TYPE_SELFTEST })).toBe('ENOENT');
    // GET/SET dirty and invalidation of a nested HWPT id on the paging-only ioctls.
    expect(h.rc('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: viommu, iova: 0, length: PAGE_SIZE, page_size: PAGE_SIZE, data: h.mmap(8) })).toBe('ENOENT');
  });

  it('viommu_alloc_nested_iopf: a vDEVICE is needed before attaching a vIOMMU nested HWPT', () => {
    const { h, ioas, d, data, viommu } = viommuFixture();
    const f = h.ok('IOMMU_FAULT_QUEUE_ALLOC');
    expect(rcOf(nested(h, d.idev, viommu, IOMMU_HWPT_FAULT_ID_VALID, data, { fault: UINT32_MAX }))).toBe('ENOENT');
    expect(rcOf(nested(h, d.idev, viommu, IOMMU_HWPT_FAULT_ID_VALID | (1 << 31), data, { fault: f.out_fault_id }))).toBe('EOPNOTSUPP');
    const iopf = nested(h, d.idev, viommu, IOMMU_HWPT_FAULT_ID_VALID, data, { fault: f.out_fault_id }).out.out_hwpt_id as number;
    const replace = (pt: number) => h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: pt });
    expect(replace(iopf)).toBe('ENOENT');
    const vdev = h.ok('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: d.idev, virt_id: 0x99 }).out_vdevice_id!;
    expect(replace(iopf)).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: iopf })).toBe('EBUSY');
    expect(h.testRc('IOMMU_TEST_OP_TRIGGER_IOPF', { dev_id: d.idev, grpid: 1, perm: 1, addr: 0x4000 })).toBe('OK');
    expect(replace(ioas)).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: iopf })).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: vdev })).toBe('OK');
    expect(h.teardown()).toEqual({ pinned: 0, pool: 0, objects: 0 });
  });

  it('viommu_alloc_with_data: in_data echoed to out_data, an mmap region reported', () => {
    const { h, d, hwpt } = viommuFixture();
    const va = h.u32s([0xbeef, 0, 0, 0, 0, 0]);
    h.ok('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: hwpt, type: IOMMU_VIOMMU_TYPE_SELFTEST, data_len: 24, data_uptr: va });
    const out = new DataView((h.ctx.mm.read(va, 24) as Uint8Array).buffer);
    expect(out.getUint32(4, true)).toBe(0xbeef);
    expect(Number(out.getBigUint64(16, true))).toBe(PAGE_SIZE);
    expect(h.rc('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: hwpt, type: IOMMU_VIOMMU_TYPE_SELFTEST, data_len: 4, data_uptr: va })).toBe('EINVAL');
  });

  it('vdevice_alloc: vEVENTQ per type, sequence numbers, overflow shows as a LOST_EVENTS header', () => {
    const { h, ioas, d, viommu, nestedId } = viommuFixture();
    const replace = (pt: number) => h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d.stdev, pt_id: pt });
    expect(replace(nestedId)).toBe('ENOENT');
    const qArgs = { viommu_id: viommu, type: IOMMU_VEVENTQ_TYPE_SELFTEST, veventq_depth: 2 };
    expect(h.rc('IOMMU_VEVENTQ_ALLOC', { ...qArgs, type: 0 })).toBe('EOPNOTSUPP');
    expect(h.rc('IOMMU_VEVENTQ_ALLOC', { ...qArgs, veventq_depth: 0 })).toBe('EINVAL');
    expect(h.rc('IOMMU_VEVENTQ_ALLOC', { ...qArgs, viommu_id: 0 })).toBe('ENOENT');
    const q = h.ok('IOMMU_VEVENTQ_ALLOC', qArgs);
    expect(h.rc('IOMMU_VEVENTQ_ALLOC', qArgs)).toBe('EEXIST');
    const queue = h.ctx.table.get(q.out_veventq_id!, 'VEVENTQ') as Veventq;
    const vdev = h.ok('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: d.idev, virt_id: 0x99 }).out_vdevice_id!;
    expect(replace(nestedId)).toBe('OK');
    expect(h.testRc('IOMMU_TEST_OP_TRIGGER_VEVENT', { dev_id: d.idev })).toBe('OK');
    let r = veventqRead(queue, 1024);
    expect(r.records.map((e) => [e.flags, e.sequence, new DataView(e.data!.buffer).getUint32(0, true)])).toEqual([[0, 0, 0x99]]);
    expect(h.rc('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: d.idev, virt_id: 0x99 })).toBe('EEXIST');
    expect(replace(ioas)).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: vdev })).toBe('OK');
    h.ok('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: d.idev, virt_id: 0x88 });
    expect(replace(nestedId)).toBe('OK');
    for (let i = 0; i < 3; i++) expect(h.testRc('IOMMU_TEST_OP_TRIGGER_VEVENT', { dev_id: d.idev })).toBe('OK');
    r = veventqRead(queue, 1024);
    expect(r.records.map((e) => [e.flags, e.sequence])).toEqual([[0, 1], [0, 2], [IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 3]]);
    expect(r.bytes).toBe(12 + 12 + 8);
    expect(h.testRc('IOMMU_TEST_OP_TRIGGER_VEVENT', { dev_id: d.idev })).toBe('OK');
    r = veventqRead(queue, 1024);
    expect(r.records.map((e) => [e.flags, e.sequence])).toEqual([[0, 4]]);
    // A buffer too small for one record reads nothing.
    expect(h.testRc('IOMMU_TEST_OP_TRIGGER_VEVENT', { dev_id: d.idev })).toBe('OK');
    expect(veventqRead(queue, 11).records).toEqual([]);
    expect(h.rc('IOMMU_DESTROY', { id: viommu })).toBe('EBUSY');
    expect(h.teardown()).toEqual({ pinned: 0, pool: 0, objects: 0 });
  });

  it('vdevice_cache: vIOMMU invalidation of device caches, full-array copy rules', () => {
    const { h, d, viommu } = viommuFixture();
    h.ok('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: d.idev, virt_id: 0x99 });
    const caches = () => [0, 1, 2, 3].map((i) => (h.testRc('IOMMU_TEST_OP_DEV_CHECK_CACHE', { id: d.idev, cache_id: i, cache: 0 }) === 'OK' ? 0 : h.testRc('IOMMU_TEST_OP_DEV_CHECK_CACHE', { id: d.idev, cache_id: i, cache: IOMMU_TEST_DEV_CACHE_DEFAULT }) === 'OK' ? 1 : -1));
    const inv = (entries: number[][], o: { type?: number; len?: number; num?: number; uptr?: number; extra?: number[] } = {}) => {
      const va = entries.length ? h.u32s(entries.flat(), o.extra) : 0;
      return invalidate(h, viommu, entries, { type: o.type ?? IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, len: o.len ?? 12, num: o.num, uptr: o.uptr ?? va });
    };
    expect(caches()).toEqual([1, 1, 1, 1]);
    expect(inv([], { num: 0 })).toEqual({ rc: 'OK', num: 0 });
    expect(inv([[0, 0x99, 0]], { type: IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID })).toEqual({ rc: 'EINVAL', num: 0 });
    // Full-array copy: a longer entry with a zero tail is fine, a non-zero tail is E2BIG; a
    // shorter entry is zero-extended (vdev_id 0 has no vDEVICE -> EINVAL).
    expect(inv([[0, 0x99, 0]], { len: 13, extra: [0xff, 0, 0, 0] })).toEqual({ rc: 'E2BIG', num: 0 });
    expect(inv([[0, 0x99, 0]], { len: 1 })).toEqual({ rc: 'EINVAL', num: 0 });
    expect(inv([[0xffffffff, 0x99, 0]])).toEqual({ rc: 'EOPNOTSUPP', num: 0 });
    expect(inv([[0, 0x99, 0]], { uptr: 0 })).toEqual({ rc: 'EINVAL', num: 0 });
    expect(inv([[0, 0x99, 0]], { len: 0 })).toEqual({ rc: 'EINVAL', num: 0 });
    expect(inv([[0, 0x99, MOCK_DEV_CACHE_ID_MAX + 1]])).toEqual({ rc: 'EINVAL', num: 0 });
    expect(inv([[0, 0x9, 0]])).toEqual({ rc: 'EINVAL', num: 0 });
    expect(caches()).toEqual([1, 1, 1, 1]);
    expect(inv([[0, 0x99, 0], [0xffffffff, 0x99, 1]])).toEqual({ rc: 'EOPNOTSUPP', num: 1 });
    expect(caches()).toEqual([0, 1, 1, 1]);
    expect(inv([[0, 0x99, 0], [0, 0x99, MOCK_DEV_CACHE_ID_MAX + 1]])).toEqual({ rc: 'EINVAL', num: 1 });
    expect(inv([[0, 0x99, 1]])).toEqual({ rc: 'OK', num: 1 });
    expect(inv([[0, 0x99, 2], [0, 0x99, 3]])).toEqual({ rc: 'OK', num: 2 });
    expect(caches()).toEqual([0, 0, 0, 0]);
    expect(inv([[IOMMU_TEST_INVALIDATE_FLAG_ALL, 0x99, 0]])).toEqual({ rc: 'OK', num: 1 });
    expect(inv([[0, 0x99, 0]], { len: 16 })).toEqual({ rc: 'OK', num: 1 });
  });

  it('hw_queue: argument order, index rules, pinned queue memory, dependencies', () => {
    const { h, ioas, viommu } = viommuFixture();
    const iova = MOCK_APERTURE_START;
    const q = (index: number, at: number, length = PAGE_SIZE, type = IOMMU_HW_QUEUE_TYPE_SELFTEST) => h.io('IOMMU_HW_QUEUE_ALLOC', { viommu_id: viommu, type, index, nesting_parent_iova: at, length });
    expect(rcOf(q(0, iova, PAGE_SIZE, 0))).toBe('EOPNOTSUPP');
    expect(rcOf(q(0, iova, 0))).toBe('EINVAL');
    expect(rcOf(q(0, 0xffff_ffff_ffff_ffffn as unknown as number))).toBe('EOVERFLOW');
    expect(rcOf(q(0, iova))).toBe('ENOENT');
    const buf = h.mmap(2 * PAGE_SIZE);
    h.map(ioas, buf, PAGE_SIZE, iova);
    h.map(ioas, buf + PAGE_SIZE, PAGE_SIZE, iova + PAGE_SIZE);
    expect(rcOf(q(1, iova))).toBe('EIO');
    expect(rcOf(q(IOMMU_TEST_HW_QUEUE_MAX, iova))).toBe('EINVAL');
    const q0 = q(0, iova).out.out_hw_queue_id as number;
    expect(rcOf(q(0, iova))).toBe('EEXIST');
    expect(h.unmap(ioas, iova, PAGE_SIZE).rc).toBe('EBUSY');
    expect(h.unmap(ioas, iova + PAGE_SIZE, PAGE_SIZE).rc).toBe('OK');
    const q1r = q(1, iova + PAGE_SIZE / 2, PAGE_SIZE / 2);
    expect(rcOf(q1r)).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: q0 })).toBe('EBUSY');
    expect(h.rc('IOMMU_DESTROY', { id: viommu })).toBe('EBUSY');
    expect(h.rc('IOMMU_DESTROY', { id: q1r.out.out_hw_queue_id })).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: q0 })).toBe('OK');
    expect(h.unmap(ioas, iova, PAGE_SIZE).rc).toBe('OK');
    expect(h.teardown()).toEqual({ pinned: 0, pool: 0, objects: 0 });
  });

  it('vdevice_tombstone: unbinding the device leaves the vDEVICE id unusable', () => {
    const { h, d, viommu } = viommuFixture();
    const vdev = h.ok('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: d.idev, virt_id: 0x99 }).out_vdevice_id!;
    expect(h.rc('IOMMU_DESTROY', { id: d.stdev })).toBe('OK');
    expect(h.rc('IOMMU_DESTROY', { id: vdev })).toBe('ENOENT');
    // The id is not reused by the next object.
    expect(h.ioasAlloc()).not.toBe(vdev);
    // The vIOMMU lost the vDEVICE's reference: only its nested HWPT holds it.
    expect(h.rc('IOMMU_DESTROY', { id: viommu })).toBe('EBUSY');
  });

  it('vDEVICE rules: another vIOMMU instance, one virt_id per vIOMMU', () => {
    const { h, ioas, d, viommu } = viommuFixture();
    const d2 = h.mockDomain(ioas);
    expect(h.rc('IOMMU_VDEVICE_ALLOC', { viommu_id: 0, dev_id: d.idev, virt_id: 1 })).toBe('ENOENT');
    expect(h.rc('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: 0, virt_id: 1 })).toBe('ENOENT');
    h.ok('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: d.idev, virt_id: 1 });
    expect(h.rc('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: d2.idev, virt_id: 1 })).toBe('EEXIST');
    expect(h.rc('IOMMU_VDEVICE_ALLOC', { viommu_id: viommu, dev_id: d2.idev, virt_id: 2 })).toBe('OK');
  });
});
