/**
 * `costs`: the cost table — every cost parameter per vendor with value, unit, class
 * (measured / derived / estimate / override) and source (docs/cost-model-sources.md ids). With a
 * scenario, its costOverrides are applied and marked.
 */
import type { Command } from 'commander';
import { isVendorName, vendorTitle, type VendorName } from '../iommu/registry';
import { costRows, costTableMarkdown, hwParamRows, hwParamTableMarkdown } from '../scenario/cost-table';
import { VENDORS } from '../scenario/schema';
import { resolveScenario } from './scenario-arg';

interface CostsFlags {
  vendors?: string;
  scenario?: string;
  json?: boolean;
  markdown?: boolean;
}

export function registerCosts(program: Command): void {
  program
    .command('costs')
    .description('print the cost table: value, unit, class and source of every cost parameter per vendor')
    .option('--vendors <list>', 'vendors to show', VENDORS.join(','))
    .option('--scenario <file|preset>', "apply a scenario's costOverrides (marked 'override')")
    .option('--json', 'machine-readable output')
    .option('--markdown', 'GitHub markdown table (as in docs/vendors.md)')
    .action((o: CostsFlags) => {
      process.exitCode = costsCommand(o);
    });
}

function costsCommand(o: CostsFlags): number {
  let vendors = (o.vendors ?? VENDORS.join(',')).split(',').map((v) => v.trim());
  const bad = vendors.filter((v) => !isVendorName(v) || !(VENDORS as readonly string[]).includes(v));
  if (bad.length) {
    console.error(`error: unknown vendor(s) ${bad.join(', ')} (vendors: ${VENDORS.join(', ')})`);
    return 2;
  }
  let overrides: Record<string, number> = {};
  let hwOverrides: { iotlbEntries?: number; walkCacheEntries?: number; walkers?: number } = {};
  if (o.scenario) {
    const s = resolveScenario(o.scenario);
    if (!s.ok) {
      console.error(s.message);
      return 2;
    }
    overrides = s.scenario.costOverrides;
    const sc = s.scenario;
    hwOverrides = {
      ...(sc.iotlbEntries !== undefined ? { iotlbEntries: sc.iotlbEntries } : {}),
      ...(sc.walkCacheEntries !== undefined ? { walkCacheEntries: sc.walkCacheEntries } : {}),
      ...(sc.walkers !== undefined ? { walkers: sc.walkers } : {}),
    };
    if (!o.vendors) vendors = s.scenario.vendors;
  }
  const vs = vendors as VendorName[];
  let rows;
  let hw;
  try {
    rows = costRows(vs, overrides);
    hw = hwParamRows(vs, hwOverrides);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  if (o.json) {
    console.log(JSON.stringify({ costs: rows, hardware: hw }, null, 2));
    return 0;
  }
  if (o.markdown) {
    console.log(costTableMarkdown(rows, vs));
    console.log('');
    console.log(hwParamTableMarkdown(hw, vs));
    return 0;
  }
  const aw = Math.max(...rows.map((r) => r.action.length)) + 2;
  const uw = Math.max(...rows.map((r) => r.unit.length)) + 2;
  console.log('action'.padEnd(aw) + 'unit'.padEnd(uw) + vs.map((v) => vendorTitle(v).padEnd(22)).join(''));
  for (const r of rows) {
    console.log(r.action.padEnd(aw) + r.unit.padEnd(uw) + vs.map((v) => { const c = r.byVendor[v]!; return `${c.ns} ${c.class}`.padEnd(22); }).join(''));
  }
  for (const r of hw) {
    console.log(r.param.padEnd(aw) + r.unit.padEnd(uw) + vs.map((v) => { const c = r.byVendor[v]!; return `${c.value} ${c.class}`.padEnd(22); }).join(''));
  }
  console.log('\nSources (docs/cost-model-sources.md):');
  for (const r of rows) for (const v of vs) console.log(`  ${r.action} ${vendorTitle(v)}: ${r.byVendor[v]!.source}`);
  for (const r of hw) for (const v of vs) console.log(`  ${r.param} ${vendorTitle(v)}: ${r.byVendor[v]!.source}`);
  return 0;
}
