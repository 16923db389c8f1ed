/**
 * Non-coherent table walks (VT-d ECAP.C = 0, SMMUv3 IDR0.COHACC = 0): the drivers build their
 * page tables with PT_FEAT_DMA_INCOHERENT, every IOPTE write is written back and charged
 * (cache_flush_call / cache_flush_line), DMA still translates (no table is reachable before
 * it was written back), and dirty tracking is refused.
 */
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import type { PagingDomain } from '../../../core/iommu/paging-domain';
import { iotlbGatherInit } from '../../../core/pt';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '../../../core/uapi/iommufd';
import { ECAP } from '../../../core/hw/intel/regs';
import { RW, makeSystem, map } from './helpers';
import { BufferedRecorder } from '../../../core/trace/recorder';
import { MemorySink, decodeBatches } from '../../../core/trace/batch';

const GIB = 2 ** 30;

describe.each(['intel', 'smmuv3'] as const)('%s with non-coherent walks', (vendor) => {
  function domain(coherent: boolean) {
    const sys = makeSystem(vendor, { caps: { coherent } });
    const dev = sys.addDevice({ sid: 0x10 });
    const dom = sys.driver.domainAllocPagingFlags(dev, 0) as PagingDomain;
    expect(dom.ops.attachDev(dom, dev)).toBe(0);
    return { sys, dev, dom };
  }

  it('dirty tracking is refused; a plain paging domain gets a DMA-incoherent table', () => {
    const { sys, dev, dom } = domain(false);
    expect(sys.driver.domainAllocPagingFlags(dev, IOMMU_HWPT_ALLOC_DIRTY_TRACKING)).toBe(-ERRNO.EOPNOTSUPP);
    expect(sys.driver.capable(dev, 'IOMMU_CAP_DIRTY_TRACKING')).toBe(false);
    expect(sys.driver.hwInfo(dev).capabilities).toBe(0);
    expect(dom.pt.incoherent).not.toBeNull();
    expect(domain(true).dom.pt.incoherent).toBeNull();
  });

  it('map/unmap write back every IOPTE change and charge it; DMA translates without faults', () => {
    const { sys, dev, dom } = domain(false);
    const c0 = { ...sys.stats() };
    map(dom, GIB, 4 * GIB + 4096, 64 * 4096); // 64 x 4K: new L2/L1/L0 tables + 64 leaves
    const c1 = sys.stats();
    expect(c1.pt_cache_flush! - (c0.pt_cache_flush ?? 0)).toBe(3 + 3 + 1);
    expect(c1.pt_cache_flush_lines! - (c0.pt_cache_flush_lines ?? 0)).toBe(3 * 64 + 3 + 8);
    const ns = sys.hw!.cost.nsByAction();
    expect(ns.cache_flush_line).toBe(sys.hw!.cost.ns.cache_flush_line * c1.pt_cache_flush_lines!);
    for (let k = 0; k < 64; k++) expect(sys.driver.dma(dev, 0, GIB + k * 4096 + 8, 64, true)).toBe(0);
    expect(dom.pt.incoherent!.stats.unflushedWalks).toBe(0);
    const g = iotlbGatherInit();
    expect(dom.ops.unmapPages(dom, GIB, 4096, 64, g)).toBe(64 * 4096);
    dom.ops.iotlbSync(dom, g);
    // L0: 64 cleared items (8 lines), one write-back.
    expect(sys.stats().pt_cache_flush! - c1.pt_cache_flush!).toBe(1);
    expect(sys.stats().pt_cache_flush_lines! - c1.pt_cache_flush_lines!).toBe(8);
  });

  it('write-backs are recorded as the pt_cache_flush_lines counter series', () => {
    const sink = new MemorySink();
    const recorder = new BufferedRecorder(sink, { bucketNs: 1000 });
    const sys = makeSystem(vendor, { caps: { coherent: false }, recorder });
    const dev = sys.addDevice({ sid: 0x10 });
    const dom = sys.driver.domainAllocPagingFlags(dev, 0) as PagingDomain;
    for (let k = 0; k < 16; k++) map(dom, GIB + k * 2 * 1024 * 1024, 4 * GIB + 4096, 32 * 4096);
    recorder.flush();
    const series = decodeBatches(sink.batches).counters.filter((c) => c.name === 'pt_cache_flush_lines');
    expect(series.length).toBeGreaterThan(0);
    expect(series.reduce((a, c) => a + c.value, 0)).toBe(sys.stats().pt_cache_flush_lines);
  });

  it('coherent hardware charges no write-backs for the same work', () => {
    const { sys, dom } = domain(true);
    map(dom, GIB, 4 * GIB, 64 * 4096, 4096, RW);
    expect(sys.stats().pt_cache_flush ?? 0).toBe(0);
    expect(sys.hw!.cost.nsByAction().cache_flush_line).toBeUndefined();
  });
});

it('VT-d ECAP.C (bit 0) and ECAP.SMPWC (bit 48) reflect the coherent switch; scalable mode follows SMPWC', () => {
  const on = makeSystem('intel');
  const off = makeSystem('intel', { caps: { coherent: false } });
  const ecap = (s: ReturnType<typeof makeSystem>) => (s.hw as unknown as { ecap: bigint }).ecap;
  for (const b of [ECAP.C, ECAP.SMPWC]) {
    expect((ecap(on) >> BigInt(b)) & 1n).toBe(1n);
    expect((ecap(off) >> BigInt(b)) & 1n).toBe(0n);
  }
  expect(ECAP.SMPWC).toBe(48);
  const drv = (s: ReturnType<typeof makeSystem>) => s.driver as unknown as { pagingStructureCoherency: boolean };
  expect(drv(on).pagingStructureCoherency).toBe(true);
  expect(drv(off).pagingStructureCoherency).toBe(false);
});
