/**
 * Page-table dirty state per round (core/run/round-snapshots.ts, the page-table view's round
 * picker): the snapshot before round k's read holds exactly the pages that read reports, on
 * every vendor and page policy, and taking it does not change the run.
 */
import { describe, expect, it } from 'vitest';
import { SCENARIO_VENDORS } from '../../../core/iommu/registry';
import { pageDirty, simulateWithRoundSnapshots } from '../../../core/run/round-snapshots';
import { scenarioSchema, type ScenarioInput } from '../../../core/scenario/schema';
import { simulateVendor } from '../../../core/scenario/simulate';
import { NULL_RECORDER } from '../../../core/trace/types';

const base: ScenarioInput = {
  name: 'snapshots',
  seed: 3,
  guest: { memory: '64MiB' },
  devices: [{ name: 'nic0', workload: { kind: 'nic-rx', ringBuffers: 2048, packetsPerSec: 400_000 } }],
  migration: { maxRounds: 4, downtimeMs: 1 },
};
const huge: ScenarioInput = {
  ...base,
  guest: { memory: '64MiB', pagePolicy: 'huge', hugeBacking: 'hugetlb-2m' },
  devices: [{ name: 'h0', workload: { kind: 'hot-set', hotSetBytes: '32MiB', writePagesPerSec: 20_000 } }],
};

describe.each(SCENARIO_VENDORS)('%s: dirty state per round', (vendor) => {
  it.each([['4k', base], ['huge', huge]] as const)('%s: snapshot k = the pages round k reads, and the run is unchanged', (_name, input) => {
    const s = scenarioSchema.parse(input);
    const { report, snapshots } = simulateWithRoundSnapshots(s, vendor);
    expect(snapshots.complete).toBe(true);
    expect(report.rounds.length).toBeGreaterThan(1);
    expect(snapshots.dirtyPages).toEqual(report.rounds.map((r) => r.dirtyPages));
    // 4 KiB leaves: rounds differ (round 0 covers a whole-guest transfer of DMA); 2 MiB leaves
    // are recorded whole, so every snapshot is a multiple of 512 pages.
    if (_name === '4k') expect(new Set(snapshots.dirtyPages).size).toBeGreaterThan(1);
    else for (const n of snapshots.dirtyPages) expect(n % 512).toBe(0);
    const plain = simulateVendor(s, vendor, NULL_RECORDER).report;
    expect(report.rounds.map((r) => [r.dirtyPages, r.dur])).toEqual(plain.rounds.map((r) => [r.dirtyPages, r.dur]));
    expect(report.totalNs).toBe(plain.totalNs);
  });
});

it('pageDirty reads bit p of byte p >> 3', () => {
  const b = new Uint8Array(2);
  b[1] = 0b100;
  expect([pageDirty(b, 10), pageDirty(b, 9), pageDirty(b, 99)]).toEqual([true, false, false]);
});
