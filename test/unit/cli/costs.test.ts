import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli as run } from '../hardening/helpers';
import { COST_ACTIONS } from '../../../core/hw/cost/model';
import { costRows, costTableMarkdown, hwParamRows, hwParamTableMarkdown } from '../../../core/scenario/cost-table';



describe('cost table', () => {
  it('every action has a value, unit, class and source for every vendor', async () => {
    const r = await run(['costs', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { costs: { action: string; unit: string; byVendor: Record<string, { ns: number; class: string; source: string }> }[]; hardware: { param: string; byVendor: Record<string, { value: number; class: string }> }[] };
    const rows = out.costs;
    expect(out.hardware.map((h) => h.param)).toEqual(['iotlbEntries', 'walkCacheEntries', 'walkers']);
    for (const h of out.hardware) for (const v of ['amd', 'intel', 'smmuv3']) expect(['measured', 'derived', 'estimate']).toContain(h.byVendor[v]!.class);
    expect(rows.map((x) => x.action)).toEqual([...COST_ACTIONS]);
    for (const row of rows) {
      expect(row.unit).toMatch(/^ns \//);
      for (const v of ['amd', 'intel', 'smmuv3']) {
        const c = row.byVendor[v]!;
        expect(c.ns).toBeGreaterThanOrEqual(0);
        expect(['measured', 'derived', 'estimate']).toContain(c.class);
        expect(c.source.length).toBeGreaterThan(3);
      }
    }
  });

  it("a scenario's overrides replace the value and are marked", async () => {
    const rows = costRows(['amd', 'smmuv3'], { indirect_call: 9 });
    const ic = rows.find((x) => x.action === 'indirect_call')!;
    expect(ic.byVendor.smmuv3).toEqual({ ns: 9, class: 'override', source: 'scenario costOverrides', defaultNs: 2 });
    const r = await run(['costs', '--vendors', 'amd,nope']);
    expect(r.code).toBe(2);
  });

  it('docs/vendors.md carries the table the code has', () => {
    const doc = readFileSync(new URL('../../../docs/vendors.md', import.meta.url), 'utf8');
    expect(doc).toContain(costTableMarkdown(costRows(['amd', 'intel', 'smmuv3']), ['amd', 'intel', 'smmuv3']));
    expect(doc).toContain(hwParamTableMarkdown(hwParamRows(['amd', 'intel', 'smmuv3']), ['amd', 'intel', 'smmuv3']));
  });
});
