import { describe, expect, it } from 'vitest';
import { estimateScenario } from '../../../core/scenario/estimate';
import { runComparison } from '../../../core/scenario/runner';
import { scenarioSchema } from '../../../core/scenario/schema';

const base = { name: 'est', seed: 5, vendors: ['amd'], devices: [{ name: 'nvme0', workload: { kind: 'nvme-read', iops: 100000 } }], migration: { maxRounds: 5, linkGbps: 25, downtimeMs: 300 } };

describe('scenario estimate: the predicted pre-copy matches the simulated one', () => {
  it.each([
    ['4k', '1GiB'],
    ['4k', '4GiB'],
    ['huge', '1GiB'],
  ])('%s pages, %s guest: DMA accesses within 10 percent, rounds and convergence equal', async (pagePolicy, memory) => {
    const s = scenarioSchema.parse({ ...base, guest: { memory, pagePolicy } });
    const e = estimateScenario(s);
    const r = await runComparison(s, { sink: null });
    const t = r.summary.vendors[0].totals;
    expect(e.rounds).toBe(t.rounds);
    expect(e.converges).toBe(t.converged);
    expect(Math.abs(e.dmaAccesses - t.dmaAccesses) / t.dmaAccesses).toBeLessThan(0.1);
    expect(Math.abs(e.dirtyPages - t.dirtyPages) / t.dirtyPages).toBeLessThan(0.15);
    expect(e.leaves).toBe(pagePolicy === '4k' ? s.guest.memory / 4096 : s.guest.memory / 2 ** 21);
  });

  it('memory and time grow with the guest and the vendors', () => {
    const small = estimateScenario(scenarioSchema.parse({ ...base, guest: { memory: '4GiB' } }));
    const big = estimateScenario(scenarioSchema.parse({ ...base, guest: { memory: '64GiB' } }));
    const three = estimateScenario(scenarioSchema.parse({ ...base, vendors: ['amd', 'intel', 'smmuv3'], guest: { memory: '64GiB' } }));
    expect(big.memoryBytes).toBeGreaterThan(small.memoryBytes);
    expect(big.seconds).toBeGreaterThan(small.seconds);
    expect(three.memoryBytes).toBe(big.memoryBytes);
    expect(three.seconds).toBeGreaterThan(2.5 * big.secondsPerVendor);
  });
});
