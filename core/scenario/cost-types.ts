/**
 * Shapes of the cost table as the `costs` command prints it and the UI's Costs view shows it
 * (core/scenario/cost-table.ts builds them). Pure types, so the API contract (electron/api.ts)
 * can share them with the renderer; the type parameters narrow vendor, action and parameter
 * names where core builds them (VendorName, CostAction, HwParam).
 */

/** Evidence class of a value (core/hw/cost/model.ts CostClass), or 'override' when a scenario replaced it. */
export type CostCellClass = 'measured' | 'derived' | 'estimate' | 'override';

/** One vendor's cell of a cost row. */
export interface CostCell {
  /** ns per action in force (the override when one is given). */
  ns: number;
  /** The default's class; 'override' when a scenario replaced the value. */
  class: CostCellClass;
  /** Source id and note (docs/cost-model-sources.md), or 'scenario costOverrides'. */
  source: string;
  /** The default value (ns) when overridden. */
  defaultNs?: number;
}

/** One cost action. */
export interface CostRow<V extends string = string, A extends string = string> {
  action: A;
  /** 'ns / command', 'ns / entry', …: what one unit of the action is. */
  unit: string;
  doc: string;
  byVendor: Partial<Record<V, CostCell>>;
}

/** One hardware parameter (IOTLB entries, walk-cache entries per level, concurrent walks). */
export interface HwParamRow<V extends string = string, P extends string = string> {
  param: P;
  /** 'entries', 'entries / level', 'walks in flight'. */
  unit: string;
  doc: string;
  byVendor: Partial<Record<V, { value: number; class: CostCellClass; source: string; defaultValue?: number }>>;
}

/** One vendor's read_and_clear_dirty walker under a kernel (core/iommu/dirty-walk.ts). */
export interface WalkerRow<V extends string = string, A extends string = string> {
  vendor: V;
  /** Profile kind. */
  kind: 'iommupt' | 'per-leaf-rewalk' | 'io-pgtable-arm';
  /** Kernel function that implements it. */
  source: string;
  /** The cost actions it charges: the cost-table rows that set the dirty-read time under this kernel. */
  actions: A[];
}

/** What `costs --json` prints and the UI's Costs view shows (one function builds both). */
export interface CostTable<V extends string = string, A extends string = string, P extends string = string> {
  /** Vendors, in column order. */
  vendors: V[];
  /** Kernel whose dirty-read walkers `walkers` lists: '6.19' | '6.7-6.18'. */
  kernel: string;
  costs: CostRow<V, A>[];
  hardware: HwParamRow<V, P>[];
  walkers: WalkerRow<V, A>[];
}
