/**
 * VT-d RFC v1 unmap-with-dirty as posted (caps.rfcFaithful, scenario hardware.intelRfcFaithful):
 * errata E2 (docs/rfc-errata.md; RFC patch 19 `dma_clear_pte_dirty`): `(val & VTD_PAGE_MASK) & DMA_SL_PTE_DIRTY` never sees D (bit 9), so
 * IOMMU_IOAS_UNMAP_DIRTY (scenario switch-over 'unmap-read-dirty') reports nothing on VT-d.
 */
import { describe, expect, it } from 'vitest';
import { DMA_SL_PTE_DIRTY, VTD_PAGE_MASK, dmaClearPteDirtyTest } from '../../../core/iommu/intel/driver';
import { iotlbGatherInit } from '../../../core/pt';
import type { LeafRef } from '../../../core/pt/types';
import { vendorResult, type VendorResult } from '../../../core/scenario/compare';
import { Vmm } from '../../../core/workload/vmm';
import { vmmConfig } from '../../../core/scenario/simulate';
import { runVendor } from '../../../core/scenario/runner';
import { scenarioSchema, type ScenarioInput } from '../../../core/scenario/schema';
import type { VendorName } from '../../../core/iommu/registry';
import { NULL_RECORDER } from '../../../core/trace/types';
import { map, readDirty, setup } from './helpers';

function tracked(rfcFaithful: boolean) {
  const s = setup('intel', rfcFaithful ? { caps: { rfcFaithful: true } } : {});
  map(s.dom, 0x100000, 0x4000_0000, 0x4000);
  const g = iotlbGatherInit();
  expect(s.dom.dirtyOps!.readAndClearDirty(s.dom, 0x100000, 0x4000, 0, { bitmap: null, gather: g })).toBe(0);
  s.dom.ops.iotlbSync(s.dom, g);
  expect(s.dom.dirtyOps!.setDirtyTracking(s.dom, true)).toBe(0);
  return s;
}

function unmapDirty(dom: ReturnType<typeof setup>['dom'], iova: number, size: number): { bytes: number; recs: [number, number][] } {
  const recs: [number, number][] = [];
  const g = iotlbGatherInit();
  const bytes = dom.ops.unmapReadDirty(dom, iova, size, g, { bitmap: { set: (i, l) => recs.push([i, l]) }, gather: g });
  dom.ops.iotlbSync(dom, g);
  return { bytes, recs };
}

describe('VT-d RFC v1 unmap_read_dirty, errata E2', () => {
  it('the masked test drops bit 9; the unmasked one sees it on the real second-stage PTE', () => {
    const { sys, dev, dom } = tracked(false);
    expect(sys.driver.dma(dev, 0, 0x101000, 64, true)).toBe(0);
    const ref: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 0, oa: 0, levelsWalked: 0 };
    expect(dom.pt.lookupLeaf(0x101000, ref)).toBe(true);
    const t = dom.pt.pool.pages[ref.page]!;
    const val = (BigInt(t[2 * ref.index + 1]! >>> 0) << 32n) | BigInt(t[2 * ref.index]! >>> 0);
    expect(val & DMA_SL_PTE_DIRTY).toBe(DMA_SL_PTE_DIRTY); // the hardware set D at bit 9
    expect(dmaClearPteDirtyTest(val, false)).toBe(true);
    expect(dmaClearPteDirtyTest(val, true)).toBe(false);
    expect(VTD_PAGE_MASK & 0xfffn).toBe(0n);
    expect(VTD_PAGE_MASK >> 12n).toBe((1n << 52n) - 1n);
  });

  it('default: unmap_read_dirty reports the written page; faithful: unmaps everything and reports nothing', () => {
    for (const faithful of [false, true]) {
      const { sys, dev, dom } = tracked(faithful);
      expect(sys.driver.dma(dev, 0, 0x101000, 64, true)).toBe(0);
      expect(sys.driver.dma(dev, 0, 0x103000, 8, true)).toBe(0);
      const r = unmapDirty(dom, 0x100000, 0x4000);
      expect(r.bytes).toBe(0x4000);
      expect(r.recs).toEqual(faithful ? [] : [[0x101000, 0x1000], [0x103000, 0x1000]]);
      expect(dom.ops.iovaToPhys(dom, 0x101000)).toBe(0);
      // read_and_clear_dirty (GET_DIRTY_BITMAP) is not affected by E2.
    }
  });

  it('faithful: GET_DIRTY_BITMAP read_and_clear_dirty still reports, the walk cost equals the default', () => {
    const costs: number[] = [];
    for (const faithful of [false, true]) {
      const { sys, dev, dom } = tracked(faithful);
      expect(sys.driver.dma(dev, 0, 0x102000, 64, true)).toBe(0);
      expect(readDirty(dom, 0x100000, 0x4000, true).records).toEqual([[0x102000, 0x1000]]);
      expect(sys.driver.dma(dev, 0, 0x102000, 64, true)).toBe(0);
      const c0 = sys.hw!.counters.dirty_entries_read;
      unmapDirty(dom, 0x100000, 0x4000);
      costs.push(sys.hw!.counters.dirty_entries_read - c0);
    }
    expect(costs[0]).toBeGreaterThan(0);
    expect(costs[1]).toBe(costs[0]);
  });
});

function scenario(intelRfcFaithful: boolean | undefined, switchover: 'unmap-read-dirty' | 'get-dirty-bitmap'): ScenarioInput {
  return {
    name: 'intel-e2',
    seed: 5,
    guest: { memory: '128MiB' },
    devices: [{ name: 'nvme0', workload: { kind: 'nvme-read', iops: 50_000 } }],
    ...(intelRfcFaithful === undefined ? {} : { hardware: { intelRfcFaithful } }),
    migration: { maxRounds: 3, downtimeMs: 1, switchover },
  };
}

function run(vendor: VendorName, input: ScenarioInput): VendorResult {
  return vendorResult(vendor, null, runVendor(scenarioSchema.parse(input), vendor, NULL_RECORDER));
}

describe('scenario: hardware.intelRfcFaithful', () => {
  it('defaults to false, and the default run equals an explicit false', () => {
    expect(scenarioSchema.parse(scenario(undefined, 'unmap-read-dirty')).hardware.intelRfcFaithful).toBe(false);
    const def = run('intel', scenario(undefined, 'unmap-read-dirty'));
    expect(def.totals).toEqual(run('intel', scenario(false, 'unmap-read-dirty')).totals);
    expect(def.totals.missedPages).toBe(0);
  });

  it("switch-over 'unmap-read-dirty' through the scenario target: VT-d faithful reports nothing, every written page is missed", () => {
    const results: Record<string, { dirty: number; missed: number }> = {};
    for (const [vendor, faithful] of [['intel', false], ['intel', true], ['amd', true]] as const) {
      const s = scenarioSchema.parse(scenario(faithful, 'unmap-read-dirty'));
      const t = new Vmm(vendor, vmmConfig(s, vendor), NULL_RECORDER);
      // Pages the devices write after the last pre-copy read: what the final collection must find.
      for (let p = 0; p < 100; p++) t.dma(0, p * 3 * 4096 + 512, 64, true);
      t.dma(0, 2 ** 24, 3 * 4096, true); // one DMA across 3 pages
      results[`${vendor}-${String(faithful)}`] = t.switchover('unmap-read-dirty');
    }
    expect(results['intel-false']).toEqual({ dirty: 103, missed: 0 });
    expect(results['intel-true']).toEqual({ dirty: 0, missed: 103 });
    expect(results['amd-true']).toEqual({ dirty: 103, missed: 0 }); // the switch is VT-d only
  });

  it('full comparison runs: the writes of the last read window reach the final unmap-with-dirty, which E2 loses', () => {
    // core/workload/migration.ts runPrecopy: the devices keep writing while the last pre-copy
    // bitmap is read; those pages are what the final collection at switch-over must report.
    const on = run('intel', scenario(true, 'unmap-read-dirty'));
    const off = run('intel', scenario(false, 'unmap-read-dirty'));
    expect(off.totals.missedPages).toBe(0);
    expect(on.totals.missedPages).toBeGreaterThan(0);
    // Everything before the switch-over is identical: only the final collection differs.
    expect(on.rounds).toEqual(off.rounds);
  });

  it("with switch-over 'get-dirty-bitmap' the switch changes nothing", () => {
    expect(run('intel', scenario(true, 'get-dirty-bitmap')).totals).toEqual(run('intel', scenario(false, 'get-dirty-bitmap')).totals);
  });
});
