import { describe, expect, test } from 'vitest';
import { BufferedRecorder, errnoValue } from '../../../core/trace/recorder';
import { MemorySink, decodeBatches } from '../../../core/trace/batch';
import { EVENTS, EVENT_NAMES, COUNTER_NAMES, eventSpec } from '../../../core/trace/events';
import { NULL_RECORDER, untyped } from '../../../core/trace/types';

describe('event catalogue', () => {
  test('names are unique and include the kernel and QEMU trace point names', () => {
    expect(new Set(EVENT_NAMES).size).toBe(EVENT_NAMES.length);
    for (const n of ['iommu:map', 'iommu:unmap', 'iommu:io_page_fault', 'qi_submit', 'vtd_inv_desc_iotlb_pages', 'smmuv3_cmdq_tlbi_nh_va', 'amdvi_pages_inval', 'IOMMU_HWPT_GET_DIRTY_BITMAP']) {
      expect(eventSpec(n), n).toBeDefined();
    }
    expect(eventSpec('IOMMU_IOAS_MAP')?.args).toEqual(['size', 'flags', 'ioas_id', '__reserved', 'user_va', 'length', 'iova', 'errno']);
    expect(COUNTER_NAMES).toContain('inv.smmuv3_cmdq_sync');
    // Names the hardware models emit are catalogued (so UI filters and inv.* counters cover them).
    for (const n of ['amdvi_invalidate_iommu_pages', 'amdvi_completion_wait', 'vtd_inv_desc_dev_iotlb', 'smmuv3_cmdq_cfgi_cd_all', 'amdvi_dte_write', 'F_TRANSLATION', 'IO_PAGE_FAULT', 'dma_write', 'switchover', 'intel_flush_range']) {
      expect(eventSpec(n), n).toBeDefined();
    }
    expect(eventSpec('amdvi_invalidate_iommu_pages')?.category).toBe('invalidation');
    expect(eventSpec('F_PERMISSION')?.category).toBe('fault');
    expect(EVENTS.filter((e) => e.category === 'invalidation').every((e) => e.track === 'hw.cmdq')).toBe(true);
  });
});

describe('BufferedRecorder', () => {
  test('slices, typed hot args, other args and interning round-trip through batches', () => {
    const sink = new MemorySink();
    const r = new BufferedRecorder(sink, { batchSize: 3, bucketNs: 100 });
    untyped(r).slice('iommufd', 'IOMMU_IOAS_MAP', 10, 5, { iova: 0x1000, length: 8192, errno: 'EINVAL', flags: 7, dev: 'nvme', ok: true, none: null });
    r.instant('domain', 'iommu:map', 20, { iova: 0x2000, paddr: 0x9000, length: 4096 });
    untyped(r).slice('domain', 'iommu:unmap', 30, 1, { errno: -12 });
    r.slice('domain', 'iommu:unmap', 40, 1);
    // Flushed after slice 1 (its 5 non-hot args filled the arg columns) and after slice 4 (3 slices).
    expect(sink.batches.map((b) => b.count)).toEqual([1, 3]);
    r.flush();
    const { slices } = decodeBatches(sink.batches);
    expect(slices).toEqual([
      { ts: 10, dur: 5, track: 'iommufd', name: 'IOMMU_IOAS_MAP', args: { iova: 0x1000, length: 8192, errno: 22, flags: 7, dev: 'nvme', ok: 1, none: null } },
      { ts: 20, dur: 0, track: 'domain', name: 'iommu:map', args: { iova: 0x2000, paddr: 0x9000, length: 4096 } },
      { ts: 30, dur: 1, track: 'domain', name: 'iommu:unmap', args: { errno: 12 } },
      { ts: 40, dur: 1, track: 'domain', name: 'iommu:unmap', args: {} },
    ]);
    // Each string is sent once, in the first batch that uses it.
    const all = sink.batches.flatMap((b) => b.strings);
    expect(new Set(all).size).toBe(all.length);
  });

  test('counters are summed per bucket of simulated time; invalidations derive inv.* counters', () => {
    const sink = new MemorySink();
    const r = new BufferedRecorder(sink, { bucketNs: 1000 });
    r.count('dirty_pages', 0, 3);
    r.count('dirty_pages', 999, 2);
    r.count('dirty_pages', 1000, 7);
    r.instant('hw.cmdq', 'vtd_inv_desc_iotlb_pages', 1500, { addr: 0x1000 });
    r.instant('hw.cmdq', 'vtd_inv_desc_wait_sw', 1600);
    r.flush();
    r.count('dirty_pages', 1001, 1); // same bucket after a flush: emitted again, consumers add up
    r.flush();
    const { counters } = decodeBatches(sink.batches);
    const sum = (name: string, ts: number) => counters.filter((c) => c.name === name && c.ts === ts).reduce((a, c) => a + c.value, 0);
    expect(sum('dirty_pages', 0)).toBe(5);
    expect(sum('dirty_pages', 1000)).toBe(8);
    expect(sum('inv.vtd_inv_desc_iotlb_pages', 1000)).toBe(1);
    expect(sum('invalidations', 1000)).toBe(2);
  });

  test('each batch carries per-name totals of its slices', () => {
    const sink = new MemorySink();
    const r = new BufferedRecorder(sink, { batchSize: 4 });
    const durs = [5, 7, 11, 13, 17];
    durs.forEach((d, i) => untyped(r).slice('t', i % 2 ? 'b' : 'a', i, d, { errno: i === 2 ? 'EFAULT' : 0 }));
    r.flush();
    const totals: Record<string, [number, number, number]> = {};
    for (const b of sink.batches) {
      for (let j = 0; j < b.statCount; j++) {
        const name = sink.batches.flatMap((x) => x.strings)[b.statName[j]];
        const t = (totals[name] ??= [0, 0, 0]);
        t[0] += b.statSlices[j];
        t[1] += b.statDur[j];
        t[2] += b.statErr[j];
      }
    }
    expect(totals).toEqual({ a: [3, 5 + 11 + 17, 1], b: [2, 7 + 13, 0] });
  });

  test('a slice with more args than the column capacity grows the columns', () => {
    const sink = new MemorySink();
    const r = new BufferedRecorder(sink, { batchSize: 4 });
    const args: Record<string, number> = {};
    for (let i = 0; i < 50; i++) args[`k${i}`] = i;
    untyped(r).slice('t', 'many', 0, 0, args);
    r.flush();
    expect(decodeBatches(sink.batches).slices[0].args).toEqual(args);
  });

  test('errnoValue maps names, negative kernel returns and success', () => {
    expect(errnoValue('ENOENT')).toBe(2);
    expect(errnoValue(-22)).toBe(22);
    expect(errnoValue(0)).toBe(0);
    expect(errnoValue('nonsense')).toBeNaN();
  });

  test('NULL_RECORDER is off', () => {
    expect(NULL_RECORDER.enabled).toBe(false);
    expect(() => untyped(NULL_RECORDER).slice('a', 'b', 0, 0)).not.toThrow();
  });
});
