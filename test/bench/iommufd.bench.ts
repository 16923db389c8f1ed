/**
 * iommufd benchmarks: ioctl throughput (IOAS_MAP + IOAS_UNMAP of 4 KiB with one attached
 * domain), and GET_DIRTY_BITMAP over 64 MiB with every other page written, per model.
 * Reports wall-clock rates of the simulator (machine dependent) and simulated ns per
 * request from the vendor cost models (machine independent).
 */
import { performance } from 'node:perf_hooks';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from '../unit/iommufd/harness';

const VENDORS = ['mock', 'amd', 'intel', 'smmuv3'] as const;

function mapUnmap(vendor: (typeof VENDORS)[number]): Record<string, number> {
  const h = new H(vendor);
  const ioas = h.ioasAlloc();
  h.mockDomain(ioas);
  const buf = h.mmap(64 * PAGE_SIZE);
  const n = 5000;
  const ns0 = h.clock.now;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const iova = MOCK_APERTURE_START + (i % 64) * PAGE_SIZE;
    h.map(ioas, buf + (i % 64) * PAGE_SIZE, PAGE_SIZE, iova);
    h.unmap(ioas, iova, PAGE_SIZE);
  }
  const ms = performance.now() - t0;
  return { ioctls_per_s: Math.round((2 * n) / (ms / 1000)), sim_ns_per_map_unmap: Math.round((h.clock.now - ns0) / n) };
}

function dirtyRead(vendor: (typeof VENDORS)[number]): Record<string, number> {
  const h = new H(vendor);
  const size = 64 * 1024 * 1024;
  const ioas = h.ioasAlloc();
  const md = h.mockDomain(ioas);
  h.map(ioas, h.mmap(size), size, MOCK_APERTURE_START);
  const hw = h.ok('IOMMU_HWPT_ALLOC', { dev_id: md.idev, pt_id: ioas, flags: 2 }).out_hwpt_id!;
  h.ok('IOMMU_TEST_CMD', { op: 10, id: md.stdev, pt_id: hw });
  h.ok('IOMMU_HWPT_SET_DIRTY_TRACKING', { hwpt_id: hw, flags: 1 });
  const nbits = size / PAGE_SIZE;
  const bm = h.bitmapBuf(nbits / 8);
  h.setBits(bm, nbits, Array.from({ length: nbits / 2 }, (_, i) => 2 * i));
  h.ok('IOMMU_TEST_CMD', { op: 13, id: hw, iova: MOCK_APERTURE_START, length: size, page_size: PAGE_SIZE, uptr: bm });
  h.zero(bm, nbits);
  const ns0 = h.clock.now;
  const t0 = performance.now();
  const r = h.io('IOMMU_HWPT_GET_DIRTY_BITMAP', { hwpt_id: hw, iova: MOCK_APERTURE_START, length: size, page_size: PAGE_SIZE, data: bm });
  const ms = performance.now() - t0;
  return { get_dirty_64MiB_ms: Math.round(ms * 10) / 10, sim_ns: h.clock.now - ns0, dirty_bits: h.bits(bm, nbits).length, windows: (r.extra.stats as { windows: number }).windows };
}

export async function run(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const v of VENDORS) out[v] = { ...mapUnmap(v), ...dirtyRead(v) };
  return out;
}
