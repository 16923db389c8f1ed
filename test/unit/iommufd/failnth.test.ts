// Allocation-failure injection like tools/testing/selftests/iommu/iommufd_fail_nth.c: for
// each ioctl path, walk n = 1, 2, ... making the n-th allocation fail (iommufd objects,
// areas, iopt_pages, pins, reserved ranges, bitmap windows, the mock's domain and xarray
// stores, core/pt table pages on vendor models) until the path runs clean. Every failing
// call must return ENOMEM (or the errno the path maps it to) and leave the ctx exactly as
// before: same objects and refcounts, areas, domain contents and pins; after tearing the
// ctx down no pin and no page-table page may remain (empty intermediate tables live until
// their domain is freed, as in iommupt, so pool occupancy is checked at teardown).
import { describe, expect, it } from 'vitest';
import type { VendorName } from '../../../core/iommu/registry';
import { IOMMU_HW_QUEUE_TYPE_SELFTEST, IOMMU_HWPT_DATA_SELFTEST, IOMMU_TEST_IOTLB_DEFAULT, IOMMU_VEVENTQ_TYPE_SELFTEST, IOMMU_VIOMMU_TYPE_SELFTEST } from '../../../core/uapi/iommufd-test';
import { MOCK_FLAGS_DEVICE_PASID } from '../../../core/iommu/mock';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';
import { vendorEntry } from '../../../core/iommu/registry';
import type { VendorNesting } from '../../../core/iommu/system';
import type { Platform } from '../../../core/iommufd/platform';
import { TablePool, createPtIommu } from '../../../core/pt';

const IOVA = MOCK_APERTURE_START;
const K = 1024;

interface Path {
  name: string;
  setup(h: H): Record<string, number>;
  run(h: H, s: Record<string, number>): string;
  /** errno a failed allocation maps to on this path (default ENOMEM). */
  errno?: string;
  /** Uses the selftest's mock-only data types (IOMMU_HWPT_DATA_SELFTEST, the mock vIOMMU). */
  mockOnly?: boolean;
  /** Runs only on vendor models whose registry entry has nesting (VendorEntry.nesting), with this predicate. */
  vendorNest?: (nest: VendorNesting) => boolean;
}

/**
 * A vendor's nesting set-up through the uAPI: device, mapped IOAS, NEST_PARENT HWPT, the
 * guest's stage-1 table (VendorEntry.nesting), the vIOMMU and vDEVICE where the vendor uses them.
 */
function vendorNestSetup(h: H, withViommu: boolean): Record<string, number> {
  const nest = vendorEntry(h.vendor).nesting!;
  const ioas = h.ioasAlloc();
  const d = h.mockDomain(ioas);
  h.map(ioas, h.mmap(32 * K), 32 * K, IOVA);
  const parent = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: 1 }).out_hwpt_id!;
  const gpt = createPtIommu(nest.s1Format, { pool: new TablePool({ base: 0xe800_0000_0000 }), levels: nest.s1Levels });
  (h.ctx.platform as Platform).system.hw!.attachPageTable(gpt);
  const bytes = nest.nestedData(gpt.rootPhys);
  const data = h.mmap(64);
  h.ctx.mm.write(data, bytes);
  const s: Record<string, number> = { ioas, idev: d.idev, stdev: d.stdev, parent, data, len: bytes.length, type: nest.dataType, pt: parent };
  if (withViommu && nest.viommuType !== null) {
    s.pt = h.ok('IOMMU_VIOMMU_ALLOC', { dev_id: d.idev, hwpt_id: parent, type: nest.viommuType }).out_viommu_id!;
    h.ok('IOMMU_VDEVICE_ALLOC', { viommu_id: s.pt, dev_id: d.idev, virt_id: 1 });
  }
  return s;
}

/** A mock device on an IOAS with 32 KiB mapped, a NEST_PARENT HWPT and the selftest nested data. */
function nestSetup(h: H, devFlags = 0): Record<string, number> {
  const ioas = h.ioasAlloc();
  const d = h.mockDomain(ioas, devFlags);
  h.map(ioas, h.mmap(32 * K), 32 * K, IOVA);
  const parent = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: 1 }).out_hwpt_id!;
  return { ioas, idev: d.idev, stdev: d.stdev, parent, data: h.u32s([IOMMU_TEST_IOTLB_DEFAULT]) };
}

function viommuSetup(h: H): Record<string, number> {
  const s = nestSetup(h);
  s.viommu = h.ok('IOMMU_VIOMMU_ALLOC', { dev_id: s.idev, hwpt_id: s.parent, type: IOMMU_VIOMMU_TYPE_SELFTEST }).out_viommu_id!;
  return s;
}

const nestedArgs = (s: Record<string, number>, pt: number) => ({ dev_id: s.idev, pt_id: pt, data_type: IOMMU_HWPT_DATA_SELFTEST, data_len: 4, data_uptr: s.data });

const PATHS: Path[] = [
  { name: 'IOAS_ALLOC', setup: () => ({}), run: (h) => h.rc('IOMMU_IOAS_ALLOC') },
  {
    name: 'MOCK_DOMAIN (bind + auto HWPT + fill)',
    setup: (h) => {
      const ioas = h.ioasAlloc();
      const buf = h.mmap(64 * K);
      h.map(ioas, buf, 32 * K, IOVA);
      h.map(ioas, buf + 32 * K, 32 * K, IOVA + 1024 * K);
      return { ioas };
    },
    run: (h, s) => h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: s.ioas }),
  },
  {
    name: 'IOAS_MAP into two domains',
    setup: (h) => {
      const ioas = h.ioasAlloc();
      const d = h.mockDomain(ioas);
      h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas });
      return { ioas, buf: h.mmap(64 * K) };
    },
    run: (h, s) => {
      const r = h.map(s.ioas!, s.buf!, 64 * K, IOVA);
      return typeof r === 'number' ? 'OK' : r;
    },
  },
  {
    name: 'IOAS_MAP auto IOVA',
    setup: (h) => {
      const ioas = h.ioasAlloc();
      h.mockDomain(ioas);
      return { ioas, buf: h.mmap(16 * K) };
    },
    run: (h, s) => {
      const r = h.map(s.ioas!, s.buf!, 16 * K);
      return typeof r === 'number' ? 'OK' : r;
    },
  },
  {
    name: 'IOAS_COPY across areas into a domain',
    setup: (h) => {
      const src = h.ioasAlloc();
      const dst = h.ioasAlloc();
      h.mockDomain(dst);
      const buf = h.mmap(32 * K);
      h.map(src, buf, 16 * K, IOVA);
      h.map(src, buf + 16 * K, 16 * K, IOVA + 16 * K);
      return { src, dst };
    },
    run: (h, s) => h.rc('IOMMU_IOAS_COPY', { flags: 7, dst_ioas_id: s.dst, src_ioas_id: s.src, length: 32 * K, src_iova: IOVA, dst_iova: IOVA }),
  },
  {
    name: 'HWPT_ALLOC dirty (link + fill)',
    setup: (h) => {
      const ioas = h.ioasAlloc();
      const d = h.mockDomain(ioas);
      h.map(ioas, h.mmap(32 * K), 32 * K, IOVA);
      return { ioas, idev: d.idev };
    },
    run: (h, s) => h.rc('IOMMU_HWPT_ALLOC', { dev_id: s.idev, pt_id: s.ioas, flags: 2 }),
  },
  {
    name: 'MOCK_DOMAIN_REPLACE to another IOAS',
    setup: (h) => {
      const a = h.ioasAlloc();
      const b = h.ioasAlloc();
      const d = h.mockDomain(a);
      h.map(b, h.mmap(16 * K), 16 * K, IOVA);
      return { b, stdev: d.stdev };
    },
    run: (h, s) => h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: s.stdev, pt_id: s.b }),
  },
  {
    name: 'HWPT_GET_DIRTY_BITMAP',
    setup: (h) => {
      const ioas = h.ioasAlloc();
      const d = h.mockDomain(ioas);
      h.map(ioas, h.mmap(64 * K), 64 * K, IOVA);
      const hwpt = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
      h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hwpt, flags: 1 });
      return { hwpt, bm: h.bitmapBuf(PAGE_SIZE) };
    },
    run: (h, s) => h.rc('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: s.hwpt, iova: IOVA, length: 64 * K, page_size: PAGE_SIZE, data: s.bm }),
  },
  {
    name: 'ACCESS_PAGES',
    setup: (h) => {
      const ioas = h.ioasAlloc();
      h.map(ioas, h.mmap(32 * K), 16 * K, IOVA);
      h.map(ioas, h.mmap(32 * K), 16 * K, IOVA + 16 * K);
      const acc = h.test('IOMMU_TEST_OP_CREATE_ACCESS', { id: ioas }).out.out_access_fd as number;
      return { acc };
    },
    run: (h, s) => h.testRc('IOMMU_TEST_OP_ACCESS_PAGES', { id: s.acc, iova: IOVA, length: 32 * K, flags: 1 }),
  },
  { name: 'FAULT_QUEUE_ALLOC', setup: () => ({}), run: (h) => h.rc('IOMMU_FAULT_QUEUE_ALLOC') },
  {
    name: 'IOAS_ALLOW_IOVAS',
    setup: (h) => {
      const ioas = h.ioasAlloc();
      const rv = h.mmap(PAGE_SIZE);
      const dv = new DataView(new ArrayBuffer(32));
      dv.setBigUint64(0, BigInt(IOVA), true);
      dv.setBigUint64(8, BigInt(IOVA + 1024 * K - 1), true);
      dv.setBigUint64(16, BigInt(IOVA + 4096 * K), true);
      dv.setBigUint64(24, BigInt(IOVA + 8192 * K - 1), true);
      h.ctx.mm.write(rv, new Uint8Array(dv.buffer));
      return { ioas, rv };
    },
    run: (h, s) => h.rc('IOMMU_IOAS_ALLOW_IOVAS', { ioas_id: s.ioas, num_iovas: 2, allowed_iovas: s.rv }),
  },
  {
    name: 'attach by HWPT id + destroy of the last device',
    setup: (h) => {
      const ioas = h.ioasAlloc();
      const d = h.mockDomain(ioas);
      h.map(ioas, h.mmap(16 * K), 16 * K, IOVA);
      return { hwpt: d.hwpt };
    },
    run: (h, s) => h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: s.hwpt }),
  },
  {
    name: 'ADD_RESERVED',
    setup: (h) => ({ ioas: h.ioasAlloc() }),
    run: (h, s) => h.testRc('IOMMU_TEST_OP_ADD_RESERVED', { id: s.ioas, start: PAGE_SIZE, length: PAGE_SIZE }),
  },
  {
    name: 'VFIO type1 partial unmap (split with cut_mapping)',
    setup: (h) => {
      const ioas = h.ioasAlloc();
      h.ok('IOMMU_VFIO_IOAS', { op: 1, ioas_id: ioas });
      h.ok('VFIO_SET_IOMMU', { arg: 1 });
      h.mockDomain(ioas);
      h.ok('VFIO_IOMMU_MAP_DMA', { argsz: 32, flags: 3, vaddr: h.mmap(64 * K), iova: IOVA, size: 64 * K });
      return {};
    },
    run: (h) => h.rc('VFIO_IOMMU_UNMAP_DMA', { argsz: 24, iova: IOVA + 16 * K, size: 16 * K }),
  },
  {
    name: 'nested HWPT_ALLOC on a parent with an IOPF queue',
    mockOnly: true,
    setup: (h) => ({ ...nestSetup(h), fault: h.ok('IOMMU_FAULT_QUEUE_ALLOC').out_fault_id! }),
    run: (h, s) => h.rc('IOMMU_HWPT_ALLOC', { ...nestedArgs(s, s.parent!), flags: 4, fault_id: s.fault }),
  },
  {
    name: 'VIOMMU_ALLOC',
    mockOnly: true,
    setup: (h) => nestSetup(h),
    run: (h, s) => h.rc('IOMMU_VIOMMU_ALLOC', { dev_id: s.idev, hwpt_id: s.parent, type: IOMMU_VIOMMU_TYPE_SELFTEST }),
  },
  {
    name: 'nested HWPT_ALLOC on a vIOMMU',
    mockOnly: true,
    setup: (h) => viommuSetup(h),
    run: (h, s) => h.rc('IOMMU_HWPT_ALLOC', nestedArgs(s, s.viommu!)),
  },
  {
    name: 'VDEVICE_ALLOC',
    mockOnly: true,
    setup: (h) => viommuSetup(h),
    run: (h, s) => h.rc('IOMMU_VDEVICE_ALLOC', { viommu_id: s.viommu, dev_id: s.idev, virt_id: 0x99 }),
  },
  {
    name: 'VEVENTQ_ALLOC',
    mockOnly: true,
    setup: (h) => viommuSetup(h),
    run: (h, s) => h.rc('IOMMU_VEVENTQ_ALLOC', { viommu_id: s.viommu, type: IOMMU_VEVENTQ_TYPE_SELFTEST, veventq_depth: 2 }),
  },
  {
    name: 'HW_QUEUE_ALLOC (internal access + pin)',
    mockOnly: true,
    setup: (h) => viommuSetup(h),
    run: (h, s) => h.rc('IOMMU_HW_QUEUE_ALLOC', { viommu_id: s.viommu, type: IOMMU_HW_QUEUE_TYPE_SELFTEST, index: 0, nesting_parent_iova: IOVA, length: PAGE_SIZE }),
  },
  {
    name: 'PASID attach of a nested HWPT',
    mockOnly: true,
    setup: (h) => {
      const s = nestSetup(h, MOCK_FLAGS_DEVICE_PASID);
      s.nested = h.ok('IOMMU_HWPT_ALLOC', { ...nestedArgs(s, s.parent!), flags: 8 }).out_hwpt_id!;
      const rid = h.ok('IOMMU_HWPT_ALLOC', { dev_id: s.idev, pt_id: s.ioas, flags: 8 }).out_hwpt_id!;
      h.ok('IOMMU_TEST_CMD', { op: 10, id: s.stdev, pt_id: rid });
      return s;
    },
    run: (h, s) => h.testRc('IOMMU_TEST_OP_PASID_ATTACH', { id: s.stdev, pasid: 100, pt_id: s.nested }),
  },
  {
    name: 'vendor nested HWPT_ALLOC (VTD_S1 / ARM_SMMUV3 / AMD_GUEST)',
    vendorNest: () => true,
    setup: (h) => vendorNestSetup(h, true),
    run: (h, s) => h.rc('IOMMU_HWPT_ALLOC', { dev_id: s.idev, pt_id: s.pt, data_type: s.type, data_len: s.len, data_uptr: s.data }),
  },
  {
    name: 'vendor VIOMMU_ALLOC + VDEVICE_ALLOC',
    vendorNest: (n) => n.viommuType !== null,
    setup: (h) => ({ ...vendorNestSetup(h, false), vtype: vendorEntry(h.vendor).nesting!.viommuType! }),
    run: (h, s) => {
      const r = h.io('IOMMU_VIOMMU_ALLOC', { dev_id: s.idev, hwpt_id: s.parent, type: s.vtype });
      if (!r.ok) return r.errno;
      const v = h.io('IOMMU_VDEVICE_ALLOC', { viommu_id: r.out.out_viommu_id, dev_id: s.idev, virt_id: 1 });
      if (!v.ok) h.rc('IOMMU_DESTROY', { id: r.out.out_viommu_id });
      return v.ok ? 'OK' : v.errno;
    },
  },
  {
    name: 'IOAS_MAP_FILE into a domain (map_file_domain)',
    setup: (h) => {
      const ioas = h.ioasAlloc();
      h.mockDomain(ioas);
      return { ioas, fd: h.ctx.mm.memfdCreate(256 * K).fd };
    },
    run: (h, s) => h.rc('IOMMU_IOAS_MAP_FILE', { ioas_id: s.ioas, flags: 7, fd: s.fd, start: 0, length: 256 * K, iova: IOVA }),
  },
];

function walk(vendor: VendorName, path: Path): { failures: number; sites: Set<string> } {
  const sites = new Set<string>();
  for (let n = 1; n < 500; n++) {
    const h = new H(vendor);
    const s = path.setup(h);
    const before = h.snapshot();
    h.fail.arm(n);
    const rc = h.fail.fired ? 'X' : path.run(h, s);
    const fired = h.fail.fired;
    h.fail.disarm();
    if (!fired) {
      expect(rc, `${path.name}: clean run`).toBe('OK');
      return { failures: n - 1, sites };
    }
    sites.add(h.fail.firedAt ?? '?');
    expect(rc, `${path.name}: n=${n} failed at ${h.fail.firedAt}`).toBe(path.errno ?? 'ENOMEM');
    expect(h.snapshot(), `${path.name}: n=${n} (${h.fail.firedAt}) must leave no trace`).toBe(before);
    expect(h.teardown(), `${path.name}: n=${n} teardown`).toEqual({ pinned: 0, pool: 0, objects: 0 });
  }
  throw new Error(`${path.name}: did not converge`);
}

for (const vendor of ['mock', 'amd', 'intel', 'smmuv3'] as const) {
  describe(`fail_nth on ${vendor}`, () => {
    for (const path of PATHS) {
      if (vendor !== 'mock' && (path.name.startsWith('VFIO') || path.mockOnly)) continue;
      if (path.vendorNest) {
        const nest = vendorEntry(vendor).nesting;
        if (!nest || !path.vendorNest(nest)) continue;
      }
      it(path.name, () => {
        const r = walk(vendor, path);
        expect(r.failures).toBeGreaterThan(0);
      });
    }
  });
}
