/**
 * Scenario level: `hardware.smmuv3DirtyDesign` and `guest.mappedAfterEnable` (SMMUv3 RFC v1
 * what-if; errata E6/E20 in docs/rfc-errata.md).
 */
import { describe, expect, it } from 'vitest';
import { SMMU_DIRTY_DESIGNS } from '../../../core/iommu/smmuv3/driver';
import { loadPreset, presetNames } from '../../../core/scenario/presets';
import { compareVendors, vendorResult, type VendorResult } from '../../../core/scenario/compare';
import { runComparison, runVendor } from '../../../core/scenario/runner';
import { SMMUV3_DIRTY_DESIGNS, scenarioSchema, type ScenarioInput } from '../../../core/scenario/schema';
import type { VendorName } from '../../../core/iommu/registry';
import { NULL_RECORDER } from '../../../core/trace/types';

function scenario(extra: { design?: (typeof SMMUV3_DIRTY_DESIGNS)[number]; late?: string } = {}): ScenarioInput {
  return {
    name: 'rfc-v1-small',
    seed: 3,
    guest: { memory: '256MiB', ...(extra.late ? { mappedAfterEnable: extra.late } : {}) },
    devices: [{ name: 'nvme0', workload: { kind: 'nvme-read', iops: 50_000 } }],
    ...(extra.design ? { hardware: { smmuv3DirtyDesign: extra.design } } : {}),
    migration: { maxRounds: 3, downtimeMs: 1 },
  };
}

function run(vendor: VendorName, input: ScenarioInput): VendorResult {
  return vendorResult(vendor, null, runVendor(scenarioSchema.parse(input), vendor, NULL_RECORDER));
}

/** A counter over the pre-copy rounds and the final collection at switch-over. */
const sum = (r: VendorResult, k: string): number => r.rounds.reduce((s, x) => s + (x.counters[k] ?? 0), 0) + (r.switchoverCounters?.[k] ?? 0);

describe('scenario: SMMUv3 dirty design and late maps', () => {
  it('schema: defaults v2 and 0; the design list matches the driver; mappedAfterEnable is validated', () => {
    const s = scenarioSchema.parse(scenario());
    expect(s.hardware.smmuv3DirtyDesign).toBe('v2');
    expect(s.guest.mappedAfterEnable).toBe(0);
    expect([...SMMUV3_DIRTY_DESIGNS]).toEqual([...SMMU_DIRTY_DESIGNS]);
    expect(scenarioSchema.safeParse(scenario({ late: '256MiB' })).success).toBe(false);
    expect(scenarioSchema.safeParse(scenario({ late: '6KiB' })).success).toBe(false);
    expect(scenarioSchema.safeParse({ ...scenario(), hardware: { smmuv3DirtyDesign: 'rfc-v2' } }).success).toBe(false);
  });

  it('the preset is listed, valid and selects rfc-v1 with a late-mapped region', () => {
    expect(presetNames()).toContain('smmuv3-rfc-v1-what-if');
    const p = loadPreset('smmuv3-rfc-v1-what-if')!;
    expect(p.hardware.smmuv3DirtyDesign).toBe('rfc-v1');
    expect(p.guest.mappedAfterEnable).toBeGreaterThan(0);
    expect(p.guest.memory).toBeLessThanOrEqual(4 * 2 ** 30);
  });

  it('default (no hardware field) equals explicit v2, and nothing is missed on any vendor', () => {
    const def = run('smmuv3', scenario());
    const v2 = run('smmuv3', scenario({ design: 'v2' }));
    expect(def.totals).toEqual(v2.totals);
    expect(def.enable).toEqual(v2.enable);
    expect(def.totals.missedPages).toBe(0);
  });

  it('rfc-v1 loses the writes to memory mapped after enabling; AMD-Vi, VT-d and SMMUv3 v2 do not', () => {
    const late = '64MiB';
    const rfc = run('smmuv3', scenario({ design: 'rfc-v1', late }));
    const v2 = run('smmuv3', scenario({ design: 'v2', late }));
    const amd = run('amd', scenario({ design: 'rfc-v1', late }));
    const intel = run('intel', scenario({ design: 'rfc-v1', late }));
    expect(v2.totals.missedPages).toBe(0);
    expect(amd.totals.missedPages).toBe(0);
    expect(intel.totals.missedPages).toBe(0);
    // nvme-read writes uniformly: about a quarter of the written pages are in the late 64 MiB.
    const written = amd.totals.dirtyPages;
    expect(rfc.totals.missedPages).toBeGreaterThan(written * 0.15);
    expect(rfc.totals.missedPages).toBeLessThan(written * 0.35);
    // Every lost page is attributed to a leaf without DBM, and the summary says so.
    expect(sum(rfc, 'missed_untracked_leaf')).toBe(rfc.totals.missedPages);
    expect(sum(v2, 'missed_untracked_leaf')).toBe(0);
    const summary = compareVendors('x', 3, [amd, rfc]);
    expect(summary.explanations.join('\n')).toMatch(/never got DBM/);
    // Without a late map, rfc-v1 loses nothing.
    expect(run('smmuv3', scenario({ design: 'rfc-v1' })).totals.missedPages).toBe(0);
  });

  it('the enable cost is reported: rfc-v1 walks and flushes (TLBI_NH_VA + CMD_SYNC); v2 clears every writable-dirty leaf with set_bit', () => {
    const rfc = run('smmuv3', scenario({ design: 'rfc-v1' }));
    const v2 = run('smmuv3', scenario({ design: 'v2' }));
    expect(rfc.enable!.commands.CMD_TLBI_NH_VA).toBeGreaterThanOrEqual(1);
    expect(rfc.enable!.commands.CMD_SYNC).toBeGreaterThanOrEqual(1);
    expect(rfc.enable!.invalidations).toBeGreaterThanOrEqual(2);
    // v2 installs writable leaves writable-dirty (IO_PGTABLE_QUIRK_ARM_HD), so iommufd's
    // enable-time clearing read records and set_bit()s every one of them (a locked RMW each);
    // the RFC range op writes DBM|AP[2] with a plain WRITE_ONCE and its clearing read finds
    // nothing dirty. Per leaf the v2 enable is the dearer one.
    expect(v2.enable!.ns).toBeGreaterThan(rfc.enable!.ns);
  });

  it('rfc-v1-faithful: enabling fails with -EINVAL (E6), the SMMUv3 run is reported as failed', async () => {
    const s = scenarioSchema.parse({ ...scenario({ design: 'rfc-v1-faithful' }), vendors: ['amd', 'smmuv3'] });
    const { summary, failed } = await runComparison(s, { sink: null });
    expect(failed).toEqual([{ vendor: 'smmuv3', message: expect.stringMatching(/IOMMU_HWPT_SET_DIRTY_TRACKING failed with EINVAL/) }]);
    expect(summary.vendors.map((v) => v.vendor)).toEqual(['amd']);
    const only = await runComparison(scenarioSchema.parse({ ...s, vendors: ['smmuv3'] }), { sink: null });
    expect(only.summary.vendors).toEqual([]);
  });
});
