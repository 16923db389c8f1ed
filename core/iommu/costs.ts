/**
 * The cost model's vocabulary for the layers above core/iommu (which do not import core/hw):
 * the cost actions, their units and meanings, and the evidence types of the vendors' cost
 * tables (VendorEntry.costSpecs). Defined in core/hw/cost/model.ts.
 */
export { COST_ACTIONS, COST_INFO, HW_PARAMS, HW_PARAM_INFO, INVALIDATION_ACTIONS, isCostAction } from '../hw/cost/model';
export type { CostAction, CostClass, CostSpec, CostSpecTable, HwParam, HwParamSpec, HwParamSpecTable } from '../hw/cost/model';
