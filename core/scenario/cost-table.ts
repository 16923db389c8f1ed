/**
 * The cost table as users see it (`costs` command, docs/vendors.md "Cost table", the stored
 * comparison summary): every cost action with its unit, and per vendor the value in force,
 * its evidence class and source, and whether a scenario override replaced the default.
 * Vendors come from the registry (core/iommu/registry.ts VendorEntry.costSpecs).
 */
import { COST_ACTIONS, COST_INFO, HW_PARAMS, HW_PARAM_INFO, type CostAction, type HwParam } from '../iommu/costs';
import { dirtyWalkActions } from '../iommu/dirty-walk';
import { DEFAULT_KERNEL, type KernelVersion } from '../iommu/kernel';
import { vendorEntry, vendorTitle, type VendorName } from '../iommu/registry';
import type { CostRow as CostRowOf, CostTable as CostTableOf, HwParamRow as HwParamRowOf, WalkerRow as WalkerRowOf } from './cost-types';
import type { Scenario } from './schema';

/** One vendor's cell of a row. */
export type { CostCell } from './cost-types';

/** One action. */
export type CostRow = CostRowOf<VendorName, CostAction>;

/**
 * The cost table for `vendors` with `overrides` (scenario costOverrides, ns by action).
 * @throws RangeError for a vendor without a cost table (e.g. the selftest mock).
 */
export function costRows(vendors: readonly VendorName[], overrides: Readonly<Record<string, number>> = {}): CostRow[] {
  const specs = vendors.map((v) => {
    const s = vendorEntry(v).costSpecs;
    if (!s) throw new RangeError(`vendor '${v}' has no cost table`);
    return [v, s] as const;
  });
  return COST_ACTIONS.map((action) => {
    const byVendor: CostRow['byVendor'] = {};
    for (const [v, s] of specs) {
      const d = s[action];
      const o = overrides[action];
      byVendor[v] = o === undefined ? { ns: d.ns, class: d.class, source: d.source } : { ns: o, class: 'override', source: 'scenario costOverrides', defaultNs: d.ns };
    }
    return { action, unit: COST_INFO[action].unit, doc: COST_INFO[action].doc, byVendor };
  });
}

function num(ns: number): string {
  return Number.isInteger(ns) ? ns.toLocaleString('en-US') : String(ns);
}

/** The table as GitHub markdown: action, unit, then value / class / source per vendor. */
export function costTableMarkdown(rows: CostRow[], vendors: readonly VendorName[]): string {
  const head = ['action', 'unit', ...vendors.map((v) => vendorTitle(v))];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const cells = vendors.map((v) => {
      const c = r.byVendor[v]!;
      return `${num(c.ns)} (${c.class}) ${c.source.replace(/\|/g, '\\|')}`;
    });
    out.push(`| \`${r.action}\` | ${r.unit} | ${cells.join(' | ')} |`);
  }
  return out.join('\n');
}

/** One hardware parameter (IOTLB entries, walk-cache entries per level, concurrent walks). */
export type HwParamRow = HwParamRowOf<VendorName, HwParam>;

/** The hardware-parameter table for `vendors`, with a scenario's overrides marked. */
export function hwParamRows(vendors: readonly VendorName[], overrides: Partial<Record<HwParam, number>> = {}): HwParamRow[] {
  return HW_PARAMS.map((param) => {
    const byVendor: HwParamRow['byVendor'] = {};
    for (const v of vendors) {
      const d = vendorEntry(v).hwParamSpecs?.[param];
      if (!d) throw new RangeError(`vendor '${v}' has no hardware parameters`);
      const o = overrides[param];
      byVendor[v] = o === undefined ? { value: d.value, class: d.class, source: d.source } : { value: o, class: 'override', source: 'scenario', defaultValue: d.value };
    }
    return { param, unit: HW_PARAM_INFO[param].unit, doc: HW_PARAM_INFO[param].doc, byVendor };
  });
}

/** The hardware-parameter table as GitHub markdown. */
export function hwParamTableMarkdown(rows: HwParamRow[], vendors: readonly VendorName[]): string {
  const head = ['parameter', 'unit', ...vendors.map((v) => vendorTitle(v))];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    out.push(`| \`${r.param}\` | ${r.unit} | ${vendors.map((v) => { const c = r.byVendor[v]!; return `${num(c.value)} (${c.class}) ${c.source.replace(/\|/g, '\\|')}`; }).join(' | ')} |`);
  }
  return out.join('\n');
}

/** One vendor's read_and_clear_dirty walker under a kernel (core/iommu/dirty-walk.ts). */
export type WalkerRow = WalkerRowOf<VendorName, CostAction>;

/**
 * The dirty-read walker of each of `vendors` under `kernel` (VendorEntry.dirtyWalk, the
 * profile each driver picks). @throws RangeError for a vendor without one (e.g. the mock).
 */
export function walkerRows(vendors: readonly VendorName[], kernel: KernelVersion): WalkerRow[] {
  return vendors.map((vendor) => {
    const pick = vendorEntry(vendor).dirtyWalk;
    if (!pick) throw new RangeError(`vendor '${vendor}' has no dirty-read walker`);
    const p = pick(kernel);
    return { vendor, kind: p.kind, source: p.source, actions: dirtyWalkActions(p) };
  });
}

/** What `costs --json` prints and the UI's Costs view shows (one function for both). */
export type CostTable = CostTableOf<VendorName, CostAction, HwParam> & { kernel: KernelVersion };

/**
 * The cost table for `vendors` (default: the scenario's, else all of `allVendors`), with a
 * scenario's costOverrides and hardware capacities (iotlbEntries, walkCacheEntries, walkers)
 * applied and marked 'override', and the dirty-read walkers of `kernel` (default: the
 * scenario's kernel, else 6.19). @throws RangeError for a vendor without a cost table.
 */
export function costTable(o: { vendors?: readonly VendorName[]; allVendors: readonly VendorName[]; scenario?: Scenario; kernel?: KernelVersion }): CostTable {
  const sc = o.scenario;
  const vendors = [...(o.vendors ?? sc?.vendors ?? o.allVendors)] as VendorName[];
  const hw: Partial<Record<HwParam, number>> = {};
  if (sc) for (const p of HW_PARAMS) if (sc[p] !== undefined) hw[p] = sc[p];
  const kernel = o.kernel ?? sc?.kernel ?? DEFAULT_KERNEL;
  return { vendors, kernel, costs: costRows(vendors, sc?.costOverrides ?? {}), hardware: hwParamRows(vendors, hw), walkers: walkerRows(vendors, kernel) };
}
