/**
 * Command streams as the kernel sends them, on hand-built sequences: AMD-Vi NpCache
 * natural-alignment split (a270be1b3fdf + 2212fc2acf3f), the DMA layer's jiffy-based flush
 * queue (dma-iommu.c queue_iova / fq_flush_timeout), and VT-d legacy (non-scalable) mode
 * attach (domain_context_mapping_one); plus the fixture replays against QEMU's trace window.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CMD_INV_IOMMU_ALL_PAGES_ADDRESS, npCacheChunks } from '../../../core/iommu/amd/driver';
import type { AmdIommuHw } from '../../../core/hw/amd/model';
import type { VtdIommuHw } from '../../../core/hw/intel/model';
import { LCE } from '../../../core/hw/intel/regs';
import { replayOnVendor } from '../../../core/scenario/replay';
import { parseFtrace, type FtraceEvent } from '../../../core/trace/ftrace';
import { parseQemuTrace } from '../../../core/trace/qemu';
import { NULL_RECORDER } from '../../../core/trace/types';
import { IOVA_FQ_SIZE, fqTimerExpiry, fqTimeoutJiffies } from '../../../core/workload/replay';
import { cmdNames, map, setup } from './helpers';

const MS = 1e6;

describe('AMD-Vi NpCache: naturally aligned flushes, one INVALIDATE_IOMMU_PAGES each, one wait', () => {
  it('the split loop (worked examples)', () => {
    expect(npCacheChunks(0xfffe3000, 0x4000)).toEqual([[0xfffe3000, 0x1000], [0xfffe4000, 0x2000], [0xfffe6000, 0x1000]]);
    expect(npCacheChunks(0x1000, 0x1000)).toEqual([[0x1000, 0x1000]]);
    expect(npCacheChunks(0, 0x3000)).toEqual([[0, 0x2000], [0x2000, 0x1000]]);
    expect(npCacheChunks(0x20_0000, 0x20_0000)).toEqual([[0x20_0000, 0x20_0000]]);
    // flush_all under NpCache: [0, 2^63 - 4K) → 2^62, 2^61, …, 2^12: 51 commands.
    const all = npCacheChunks(0, CMD_INV_IOMMU_ALL_PAGES_ADDRESS);
    expect(all).toHaveLength(51);
    expect(all[0]).toEqual([0, 2 ** 62]);
    expect(all.at(-1)![1]).toBe(4096);
  });

  it('unmap of 16 KiB at 0xfffe3000: 3 commands + 1 wait under NpCache, 1 command over the 32 KiB hull natively', () => {
    for (const npCache of [true, false]) {
      const { sys, dom } = setup('amd', { caps: { npCache } });
      map(dom, 0xfffe3000, 0x1000_0000, 0x4000);
      const n0 = sys.hw!.commands.toArray().length;
      dom.ops.iotlbSync(dom, { start: 0xfffe3000, end: 0xfffe6fff, pgsize: 4096, freelist: [], queued: false });
      const cmds = sys.hw!.commands.toArray().slice(n0);
      if (npCache) {
        expect(cmds.map((c) => c.name)).toEqual(['INVALIDATE_IOMMU_PAGES', 'INVALIDATE_IOMMU_PAGES', 'INVALIDATE_IOMMU_PAGES', 'COMPLETION_WAIT']);
        expect(cmds.slice(0, 3).map((c) => [c.fields.start, c.fields.size])).toEqual([[0xfffe3000, 0x1000], [0xfffe4000, 0x2000], [0xfffe6000, 0x1000]]);
      } else {
        expect(cmds.map((c) => c.name)).toEqual(['INVALIDATE_IOMMU_PAGES', 'COMPLETION_WAIT']);
        expect([cmds[0]!.fields.start, cmds[0]!.fields.size, cmds[0]!.fields.PDE]).toEqual([0xfffe0000, 0x8000, true]);
      }
    }
  });

  it('flush_iotlb_all under NpCache: 51 commands, the 10 of 2^53 bytes and more as all-pages, one wait', () => {
    const { sys, dom } = setup('amd', { caps: { npCache: true } });
    const n0 = sys.hw!.commands.toArray().length;
    dom.ops.flushIotlbAll(dom);
    const cmds = sys.hw!.commands.toArray().slice(n0);
    expect(cmds.filter((c) => c.name === 'INVALIDATE_IOMMU_PAGES')).toHaveLength(51);
    expect(cmds.filter((c) => c.fields.size === -1)).toHaveLength(10);
    expect(cmds.filter((c) => c.name === 'COMPLETION_WAIT')).toHaveLength(1);
    expect((sys.hw as AmdIommuHw).npCache).toBe(true);
  });
});

describe('flush queue timer in jiffies (lazy policy)', () => {
  it('msecs_to_jiffies(10) rounds up; the timer fires on the tick: delay in ((N-1)/HZ, N/HZ]', () => {
    expect([100, 250, 1000].map((hz) => fqTimeoutJiffies(hz as 100 | 250 | 1000))).toEqual([1, 3, 10]);
    expect(fqTimerExpiry(0.5 * MS, 100)).toBe(10 * MS);
    expect(fqTimerExpiry(9.5 * MS, 100)).toBe(10 * MS); // 0.5 ms after arming
    expect(fqTimerExpiry(0.5 * MS, 250)).toBe(12 * MS);
    expect(fqTimerExpiry(4.1 * MS, 250)).toBe(16 * MS);
    expect(fqTimerExpiry(0.5 * MS, 1000)).toBe(10 * MS);
  });

  const base = { comm: 't', pid: 1, cpu: 0, irqFlags: '' };
  const ev = (line: number, ts: number, event: 'map' | 'unmap', iova: number): FtraceEvent =>
    event === 'map' ? { ...base, line, ts, event, iova, paddr: 0x2000_0000 + iova, size: 4096 } : { ...base, line, ts, event, iova, size: 4096, unmappedSize: 4096 };

  it('an unmap at 0.5 ms arms the timer; an event at 10.2 ms finds it fired at HZ 100 and 1000, not at HZ 250', () => {
    const events = [ev(1, 0, 'map', 0x1000), ev(2, 0.5 * MS, 'unmap', 0x1000), ev(3, 10.2 * MS, 'map', 0x2000)];
    const fired = [100, 250, 1000].map((hz) => replayOnVendor('smmuv3', events, { flush: 'lazy', dma: 'none', recorder: NULL_RECORDER, hz: hz as 100 | 250 | 1000 }).stats.fqTimerFlushes);
    expect(fired).toEqual([1, 0, 1]);
  });

  it('a full ring (255 of 256 slots) is flushed before the next entry is added', () => {
    const events: FtraceEvent[] = [];
    for (let i = 0; i < 1000; i++) {
      const iova = 0x1000_0000 + i * 4096;
      events.push(ev(2 * i + 1, i * 1000, 'map', iova), ev(2 * i + 2, i * 1000 + 500, 'unmap', iova));
    }
    const r = replayOnVendor('smmuv3', events, { flush: 'lazy', dma: 'none', recorder: NULL_RECORDER });
    expect(IOVA_FQ_SIZE).toBe(256);
    expect(r.stats.fqFullFlushes).toBe(3); // at unmaps 256, 511 and 766
    expect(r.stats.fqTimerFlushes).toBe(0); // 1000 unmaps in 1 ms
    expect(r.stats.flushAll).toBe(4); // + the flush at the end of the trace
  });
});

describe('VT-d legacy (non-scalable) mode', () => {
  it('attach writes a legacy context entry; with CAP.CM: CC device-selective + wait, IOTLB DSI + wait', () => {
    const { sys, dev, dom } = setup('intel', { caps: { smts: false, cachingMode: true, mgaw: 39 } }, {}, 0);
    const hw = sys.hw as VtdIommuHw;
    expect(hw.legacyMode).toBe(true);
    expect(dom.pt.topLevel + 1).toBe(3);
    expect(dom.dirtyOps).toBeNull(); // no second-stage A/D without scalable mode
    expect(cmdNames(sys)).toEqual(['QI_CC_DEVICE', 'QI_IWD', 'QI_IOTLB_DSI', 'QI_IWD']);
    const pa = hw.legacyContextEntryAddr(dev.sid);
    const q1 = hw.mem.read64(pa + 8);
    expect(Number((q1 >> BigInt(LCE.DID_LO)) & 0xffffn)).toBe(dom.tag);
    expect(Number(q1 & 7n)).toBe(1); // AW 1 = 3-level, 39-bit
    map(dom, 0x10_0000, 0x20_0000, 0x1000);
    expect(sys.driver.dma(dev, 0, 0x10_0000, 8, true)).toBe(0);
    expect(sys.driver.dma(dev, 0, 0x30_0000, 8, false)).toBeLessThan(0);
    expect(hw.faultRecords.toArray().at(-1)!.name).toBe('PTE Read access is not set');
  });

  it('replaying intel-vtd-nvme as QEMU 7.2 ran it (legacy, caching mode): the PSIs QEMU saw, DSI only at attach', () => {
    const FIX = new URL('../../fixtures/', import.meta.url);
    const load = (n: string): string => readFileSync(new URL(n, FIX), 'utf8');
    const qemu = parseQemuTrace(load('intel-vtd-nvme.qemu-trace.txt'));
    const r = replayOnVendor('intel', parseFtrace(load('intel-vtd-nvme.trace.txt')).events, { flush: 'caching', dma: 'none', recorder: NULL_RECORDER });
    // Set-up: one device's context entry (QEMU's boot has six devices: 6 CC + 6 DSI).
    expect(r.counters['cmd:QI_CC_DEVICE'] - (r.windowCounters['cmd:QI_CC_DEVICE'] ?? 0)).toBe(1);
    expect(r.counters['cmd:QI_IOTLB_DSI'] - (r.windowCounters['cmd:QI_IOTLB_DSI'] ?? 0)).toBe(1);
    expect(r.windowCounters['cmd:QI_IOTLB_DSI'] ?? 0).toBe(0);
    expect(r.windowCounters['cmd:QI_IOTLB_PSI']).toBe(qemu.windowCommands.vtd_inv_desc_iotlb_pages);
    // All commands of the window within 1% of QEMU's (its IEC descriptors are interrupt remapping).
    const ours = Object.entries(r.windowCounters).filter(([k]) => k.startsWith('cmd:')).reduce((a, [, n]) => a + n, 0);
    expect(Math.abs(ours - qemu.windowTotal) / qemu.windowTotal).toBeLessThan(0.01);
  });

  it('replaying smmuv3-nvme (strict): every TLBI QEMU saw, the window within 1%', () => {
    const FIX = new URL('../../fixtures/', import.meta.url);
    const load = (n: string): string => readFileSync(new URL(n, FIX), 'utf8');
    const qemu = parseQemuTrace(load('smmuv3-nvme.qemu-trace.txt'));
    const r = replayOnVendor('smmuv3', parseFtrace(load('smmuv3-nvme.trace.txt')).events, { flush: 'strict', dma: 'none', recorder: NULL_RECORDER });
    expect(r.windowCounters['cmd:CMD_TLBI_NH_VA']).toBe(qemu.windowCommands.smmuv3_cmdq_tlbi_nh_va);
    const ours = Object.entries(r.windowCounters).filter(([k]) => k.startsWith('cmd:')).reduce((a, [, n]) => a + n, 0);
    expect(Math.abs(ours - qemu.windowTotal) / qemu.windowTotal).toBeLessThan(0.01);
  });
});
