/**
 * Scenario level: `viommu: true` (the guest DMAs through its own stage-1 tables nested over
 * the host's NEST_PARENT table) on the three vendor models, and the viommu-nic-rx preset.
 * The outcomes follow each vendor's mainline nesting rules (docs/iommufd.md "Dirty tracking
 * under nesting"): VT-d tracks nested devices, AMD-Vi loses the writes of devices attached to
 * the nested domain before tracking was enabled, SMMUv3 cannot track (QEMU's all-dirty fallback).
 */
import { describe, expect, it } from 'vitest';
import { loadPreset } from '../../../core/scenario/presets';
import { compareVendors, vendorResult, type VendorResult } from '../../../core/scenario/compare';
import { runVendor } from '../../../core/scenario/runner';
import { scenarioSchema, type ScenarioInput } from '../../../core/scenario/schema';
import type { VendorName } from '../../../core/iommu/registry';
import { NULL_RECORDER } from '../../../core/trace/types';

const small: ScenarioInput = {
  name: 'viommu-small',
  seed: 5,
  viommu: true,
  guest: { memory: '64MiB' },
  devices: [{ name: 'nic0', workload: { kind: 'nic-rx', ringBuffers: 512, packetsPerSec: 200_000 } }],
  migration: { maxRounds: 3, downtimeMs: 5 },
};

function run(vendor: VendorName, input: ScenarioInput): VendorResult {
  return vendorResult(vendor, null, runVendor(scenarioSchema.parse(input), vendor, NULL_RECORDER));
}

const sum = (r: VendorResult, k: string): number => r.rounds.reduce((s, x) => s + (x.counters[k] ?? 0), 0) + (r.switchoverCounters?.[k] ?? 0);

describe('scenario: viommu (nested translation)', () => {
  const res = { intel: run('intel', small), amd: run('amd', small), smmuv3: run('smmuv3', small) };
  const flat = run('intel', { ...small, viommu: false });

  it('every IOTLB miss of a nested device is a 2-D walk', () => {
    for (const r of Object.values(res)) {
      const walks = sum(r, 'nested_walks');
      expect(walks).toBeGreaterThan(0);
      // 4-level guest stage 1 over a 4-level (VT-d, SMMUv3) or 3-4-level (AMD v1) stage 2: at least 4 + 4*3 + 3 reads.
      expect(sum(r, 'nested_walk_refs') / walks).toBeGreaterThanOrEqual(19);
    }
    expect(sum(flat, 'nested_walks')).toBe(0);
    expect(res.intel.totals.pteReads).toBeGreaterThan(flat.totals.pteReads * 3);
  });

  it('VT-d tracks nested devices; AMD-Vi loses writes of devices attached before tracking; SMMUv3 cannot track', () => {
    expect(res.intel.totals.missedPages).toBe(0);
    expect(res.intel.totals.dirtyPages).toBeGreaterThan(0);
    expect(res.amd.totals.missedPages).toBeGreaterThan(0);
    expect(sum(res.amd, 'missed_nested')).toBe(res.amd.totals.missedPages);
    expect(res.smmuv3.totals.missedPages).toBe(0);
    expect(sum(res.smmuv3, 'dirty_untracked_reads')).toBeGreaterThan(0);
    // Every read reports all of guest RAM (64 MiB = 16384 pages) on SMMUv3.
    expect(res.smmuv3.rounds[0]!.dirtyPages).toBe(16384);
    expect(res.smmuv3.totals.bitmapReadNs).toBe(0);
  });

  it('the comparison explains the 2-D walk cost and each vendor\'s nesting rule', () => {
    const c = compareVendors('viommu-small', 5, Object.values(res));
    const text = c.explanations.join('\n');
    expect(text).toMatch(/Intel VT-d: [\d,]+ nested \(2-D\) walks/);
    expect(text).toMatch(/AMD-Vi under nesting: [\d,]+ written pages lost\. AMD-Vi: .*HAD/);
    expect(text).toMatch(/Arm SMMUv3 under nesting: no IOMMU dirty tracking/);
    expect(text).toMatch(/Intel VT-d under nesting: every written page reported/);
    expect(text).toMatch(/written by devices on nested \(vIOMMU\) domains/);
  });

  it('the viommu-nic-rx preset is valid and nests', () => {
    const p = loadPreset('viommu-nic-rx')!;
    expect(p.viommu).toBe(true);
    expect(p.vendors).toEqual(['amd', 'intel', 'smmuv3']);
  });
});
