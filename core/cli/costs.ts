/**
 * `costs`: the cost table — every cost parameter per vendor with value, unit, class
 * (measured / derived / estimate / override) and source (docs/cost-model-sources.md ids). With a
 * scenario, its costOverrides and hardware capacities are applied and marked; the dirty-read
 * walker each vendor's driver uses under the kernel (--kernel, else the scenario's) is listed
 * with the cost actions it charges. One function builds it for the CLI and the UI
 * (core/scenario/cost-table.ts costTable).
 */
import type { Command } from 'commander';
import { isVendorName, vendorTitle, type VendorName } from '../iommu/registry';
import { isKernelVersion, KERNEL_VERSIONS, type KernelVersion } from '../iommu/kernel';
import { costTable, costTableMarkdown, hwParamTableMarkdown, type CostTable } from '../scenario/cost-table';
import { VENDORS, type Scenario } from '../scenario/schema';
import { resolveScenario } from './scenario-arg';

interface CostsFlags {
  vendors?: string;
  scenario?: string;
  json?: boolean;
  markdown?: boolean;
  kernel?: string;
}

export function registerCosts(program: Command): void {
  program
    .command('costs')
    .description('print the cost table: value, unit, class and source of every cost parameter per vendor')
    .option('--vendors <list>', `vendors to show (default: the scenario's, else ${VENDORS.join(',')})`)
    .option('--scenario <file|preset>', "apply a scenario's costOverrides (marked 'override')")
    .option('--kernel <version>', `kernel whose dirty-read walkers to list (${KERNEL_VERSIONS.join(' | ')}; default: the scenario's, else ${KERNEL_VERSIONS[0]})`)
    .option('--json', 'machine-readable output')
    .option('--markdown', 'GitHub markdown table (as in docs/vendors.md)')
    .action((o: CostsFlags) => {
      process.exitCode = costsCommand(o);
    });
}

function costsCommand(o: CostsFlags): number {
  const vendors = o.vendors?.split(',').map((v) => v.trim());
  const bad = (vendors ?? []).filter((v) => !isVendorName(v) || !(VENDORS as readonly string[]).includes(v));
  if (bad.length) {
    console.error(`error: unknown vendor(s) ${bad.join(', ')} (vendors: ${VENDORS.join(', ')})`);
    return 2;
  }
  if (o.kernel !== undefined && !isKernelVersion(o.kernel)) {
    console.error(`error: unknown kernel '${o.kernel}' (kernels: ${KERNEL_VERSIONS.join(', ')})`);
    return 2;
  }
  let scenario: Scenario | undefined;
  if (o.scenario) {
    const s = resolveScenario(o.scenario);
    if (!s.ok) {
      console.error(s.message);
      return 2;
    }
    scenario = s.scenario;
  }
  let t: CostTable;
  try {
    t = costTable({ vendors: vendors as VendorName[] | undefined, allVendors: VENDORS, scenario, kernel: o.kernel as KernelVersion | undefined });
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 2;
  }
  const { costs: rows, hardware: hw, walkers, vendors: vs } = t;
  if (o.json) {
    console.log(JSON.stringify(t, null, 2));
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
  console.log(`\nDirty-read walkers, kernel ${t.kernel} (docs/vendors.md#dirty-read-walkers):`);
  for (const w of walkers) console.log(`  ${vendorTitle(w.vendor)}: ${w.kind} (${w.source}) charges ${w.actions.join(', ')}`);
  console.log('\nSources (docs/cost-model-sources.md):');
  for (const r of rows) for (const v of vs) console.log(`  ${r.action} ${vendorTitle(v)}: ${r.byVendor[v]!.source}`);
  for (const r of hw) for (const v of vs) console.log(`  ${r.param} ${vendorTitle(v)}: ${r.byVendor[v]!.source}`);
  return 0;
}
