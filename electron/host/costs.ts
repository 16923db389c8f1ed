/**
 * The `costTable` API method: the cost table of core/scenario/cost-table.ts costTable, the one
 * function `npm run cli -- costs --json` prints, for a preset or scenario text (its
 * costOverrides and hardware capacities applied and marked) and a kernel.
 */
import type { ApiResult, CostTable, CostTableRequest } from '../api';
import { isKernelVersion, KERNEL_VERSIONS } from '../../core/iommu/kernel';
import { costTable } from '../../core/scenario/cost-table';
import { formatScenarioErrors, parseScenario } from '../../core/scenario/load';
import { loadPreset } from '../../core/scenario/presets';
import { VENDORS, type Scenario } from '../../core/scenario/schema';

/** A request's scenario: the preset (ENOENT when unknown), the parsed text (EINVAL), or none. */
export function requestScenario(req: { preset?: string; scenarioText?: string }): ApiResult<Scenario | undefined> {
  if (req.preset !== undefined) {
    const s = loadPreset(req.preset);
    return s ? { ok: true, value: s } : { ok: false, error: { code: 'ENOENT', message: `no preset named ${req.preset}` } };
  }
  if (req.scenarioText === undefined) return { ok: true, value: undefined };
  const p = parseScenario(req.scenarioText);
  return p.ok ? { ok: true, value: p.scenario } : { ok: false, error: { code: 'EINVAL', message: formatScenarioErrors('scenario', p.errors) } };
}

/** The cost table for the request; EINVAL for an unknown kernel or a vendor without costs. */
export function costTableFor(req: CostTableRequest): ApiResult<CostTable> {
  if (req.kernel !== undefined && !isKernelVersion(req.kernel)) return { ok: false, error: { code: 'EINVAL', message: `unknown kernel '${req.kernel}' (${KERNEL_VERSIONS.join(' | ')})` } };
  const sc = requestScenario(req);
  if (!sc.ok) return sc;
  try {
    return { ok: true, value: costTable({ allVendors: VENDORS, scenario: sc.value, kernel: req.kernel }) };
  } catch (e) {
    return { ok: false, error: { code: 'EINVAL', message: (e as Error).message } };
  }
}
