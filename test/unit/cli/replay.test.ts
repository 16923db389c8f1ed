import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { replayOnVendor } from '../../../core/scenario/replay';
import { parseFtrace, type FtraceEvent } from '../../../core/trace/ftrace';
import { IOVA_FQ_SIZE } from '../../../core/workload/replay';
import { parseQemuTrace } from '../../../core/trace/qemu';
import { NULL_RECORDER } from '../../../core/trace/types';

// Real kernel traces from test/fixtures (Linux 6.1 guests under QEMU 7.2).
const FIX = new URL('../../fixtures/', import.meta.url);
const load = (name: string): string => readFileSync(new URL(name, FIX), 'utf8');

const traces = {
  intel: parseFtrace(load('intel-vtd-nvme.trace.txt')),
  smmuv3: parseFtrace(load('smmuv3-nvme.trace.txt')),
};

function commands(counters: Record<string, number>): number {
  return Object.entries(counters)
    .filter(([k]) => k.startsWith('cmd:'))
    .reduce((s, [, n]) => s + n, 0);
}

describe('replay of the real kernel traces', () => {
  for (const [name, imp] of Object.entries(traces)) {
    for (const vendor of ['amd', 'intel', 'smmuv3'] as const) {
      it(`${name} trace replays on ${vendor} with zero errors and zero faults`, () => {
        expect(imp.errors).toEqual([]);
        const r = replayOnVendor(vendor, imp.events, { flush: 'strict', dma: 'mapped', recorder: NULL_RECORDER });
        expect(r.stats.errors).toEqual({});
        expect(r.stats.maps).toBeGreaterThan(10_000);
        expect(r.stats.unmappedBytes).toBeGreaterThan(0);
        expect(r.stats.dmaFaults).toBe(0);
        expect(r.stats.syncs).toBe(r.stats.unmaps);
      });
    }
  }

  it('--non-coherent: every map and unmap writes back its IOPTEs on VT-d and SMMUv3; AMD-Vi walks stay coherent', () => {
    const imp = traces.smmuv3;
    for (const vendor of ['amd', 'intel', 'smmuv3'] as const) {
      const r = replayOnVendor(vendor, imp.events, { flush: 'strict', dma: 'mapped', recorder: NULL_RECORDER, nonCoherent: true });
      expect(r.stats.errors).toEqual({});
      expect(r.stats.dmaFaults).toBe(0);
      if (vendor === 'amd') {
        expect(r.counters.pt_cache_flush).toBe(0);
        continue;
      }
      // At least one write-back per map_pages and unmap_pages call, each charged.
      expect(r.counters.pt_cache_flush).toBeGreaterThanOrEqual(r.stats.maps + r.stats.unmaps);
      expect(r.counters.pt_cache_flush_lines).toBeGreaterThanOrEqual(r.counters.pt_cache_flush);
      expect(r.costNs.cache_flush_line).toBeGreaterThan(0);
    }
  });

  it('SMMUv3 strict replay issues invalidation commands within 5% of what QEMU recorded', () => {
    const qemu = parseQemuTrace(load('smmuv3-nvme.qemu-trace.txt'));
    const r = replayOnVendor('smmuv3', traces.smmuv3.events, { flush: 'strict', dma: 'none', recorder: NULL_RECORDER });
    const ours = commands(r.counters);
    expect(Math.abs(ours - qemu.totalCommands) / qemu.totalCommands).toBeLessThan(0.05);
    expect(r.counters['cmd:CMD_TLBI_NH_VA']).toBeCloseTo(qemu.commands.smmuv3_cmdq_tlbi_nh_va, -2);
  });

  it('VT-d strict + caching-mode replay issues invalidation descriptors within 5% of QEMU', () => {
    const qemu = parseQemuTrace(load('intel-vtd-nvme.qemu-trace.txt'));
    const r = replayOnVendor('intel', traces.intel.events, { flush: 'caching', dma: 'none', recorder: NULL_RECORDER });
    const ours = commands(r.counters);
    expect(Math.abs(ours - qemu.totalCommands) / qemu.totalCommands).toBeLessThan(0.05);
    // One PSI per unmap and one per dma_map_sg list (caching mode flushes maps too).
    expect(r.counters['cmd:QI_IOTLB_PSI']).toBe(r.stats.unmaps + r.stats.mapLists);
    expect(Math.abs(r.counters['cmd:QI_IOTLB_PSI'] - qemu.commands.vtd_inv_desc_iotlb_pages) / qemu.commands.vtd_inv_desc_iotlb_pages).toBeLessThan(0.01);
  });

  it('lazy mode replaces per-unmap page flushes with flush-queue domain flushes', () => {
    const strict = replayOnVendor('intel', traces.intel.events, { flush: 'strict', dma: 'none', recorder: NULL_RECORDER });
    const lazy = replayOnVendor('intel', traces.intel.events, { flush: 'lazy', dma: 'none', recorder: NULL_RECORDER });
    // The emulated guest's unmaps are often > 10 ms apart, so the FQ timeout fires often.
    expect(lazy.stats.syncs).toBe(0);
    expect(lazy.stats.flushAll).toBeGreaterThan(0);
    expect(lazy.stats.flushAll).toBeLessThan(strict.stats.unmaps);
    // Without caching mode the unit has ECAP.FLTS, so the domain is first stage and its
    // flushes are PASID-based (QI_EIOTLB), as intel_iommu_domain_alloc_paging_flags prefers.
    expect(lazy.counters['cmd:QI_EIOTLB_PSI'] ?? 0).toBe(0);
    expect(lazy.counters['cmd:QI_EIOTLB_PASID']).toBe(lazy.stats.flushAll);
    expect(strict.counters['cmd:QI_EIOTLB_PSI']).toBe(strict.stats.unmaps);
    expect(strict.counters['cmd:QI_IOTLB_PSI'] ?? 0).toBe(0);
  });

  it('the flush queue flushes every IOVA_FQ_SIZE unmaps when they come quickly', () => {
    const events: FtraceEvent[] = [];
    const base = { comm: 't', pid: 1, cpu: 0, irqFlags: '' };
    for (let i = 0; i < 1000; i++) {
      const iova = 0x1000_0000 + i * 4096;
      events.push({ ...base, line: 2 * i + 1, ts: i * 1000, event: 'map', iova, paddr: 0x2000_0000 + i * 4096, size: 4096 });
      events.push({ ...base, line: 2 * i + 2, ts: i * 1000 + 500, event: 'unmap', iova, size: 4096, unmappedSize: 4096 });
    }
    const lazy = replayOnVendor('smmuv3', events, { flush: 'lazy', dma: 'none', recorder: NULL_RECORDER });
    expect(lazy.stats.flushAll).toBe(Math.ceil(1000 / IOVA_FQ_SIZE));
    expect(lazy.stats.mapLists).toBe(1000);
  });
});

describe('replay recorded into a database', () => {
  it('records every replayed map/unmap as iommu:* slices that export back to the same ftrace events', async () => {
    const { main } = await import('../../../core/cli/main');
    const { mkdtempSync, readFileSync: read } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'wb-replay-'));
    const trace = new URL('smmuv3-nvme.trace.txt', FIX).pathname;
    const quiet = { log: console.log, error: console.error };
    console.log = () => {};
    console.error = () => {};
    try {
      expect(await main(['replay', trace, '--vendors', 'smmuv3', '--db', join(dir, 'r.sqlite')])).toBe(0);
      expect(await main(['export', join(dir, 'r.sqlite'), '--format', 'ftrace', '--out', join(dir, 'r.txt')])).toBe(0);
    } finally {
      Object.assign(console, quiet);
      process.exitCode = undefined;
    }
    const back = parseFtrace(read(join(dir, 'r.txt'), 'utf8'));
    expect(back.errors).toEqual([]);
    const orig = traces.smmuv3.events.filter((e) => e.event === 'map' || e.event === 'unmap');
    expect(back.events.map((e) => [e.event, 'iova' in e ? e.iova : 0])).toEqual(orig.map((e) => [e.event, 'iova' in e ? e.iova : 0]));
  });
});
