/**
 * A sweep plan: the validated sweep, its base scenario and its grid, and the scenario of any
 * point. A point's scenario is the base with the point's assignments applied at their dotted
 * paths, then validated like any scenario file (so a field added to the scenario schema is
 * sweepable, and a bad value is reported with the point and field).
 */
import { createHash } from 'node:crypto';
import { scenarioSchema, type Scenario } from '../scenario/schema';
import { assignments, buildGrid, gridAxes, type Assignment, type Grid } from './expand';
import { getPath, setPath } from './paths';
import type { Sweep, SweepInput } from './schema';

/** A sweep ready to run. */
export interface SweepPlan {
  sweep: Sweep;
  /** The base scenario as written (input form, `$schema` removed). */
  base: Record<string, unknown>;
  /** Where the base came from ("preset nvme-random-64g", a file path, or "inline"). */
  baseSource: string;
  grid: Grid;
  /**
   * Identity of the expansion (hex SHA-256 of the canonical JSON of base and axes, first 16
   * digits): two plans with the same hash give the same point N. Stored in every point file.
   */
  hash: string;
}

/** One point of a sweep. */
export interface SweepPoint {
  index: number;
  /** Scenario name of the point: "<sweep>-p<index>". */
  name: string;
  /** The fields the point sets, as written in the sweep. */
  assignments: Assignment[];
  /** Each axis path → the value in the validated scenario (sizes in bytes, defaults applied). */
  params: Record<string, unknown>;
  scenario: Scenario;
}

/** JSON with object keys sorted, so equal values hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Build the plan of a validated sweep whose base has been resolved to scenario input.
 * @returns the plan, or error messages (a bad base names its fields; bad axes name their path).
 */
export function makePlan(sweep: Sweep, baseInput: Record<string, unknown>, baseSource: string): { ok: true; plan: SweepPlan } | { ok: false; errors: string[] } {
  const base = { ...baseInput };
  delete base.$schema;
  const b = scenarioSchema.safeParse(base);
  if (!b.success) return { ok: false, errors: b.error.issues.map((i) => `base scenario (${baseSource}) ${i.path.join('.') || '(file)'}: ${i.message}`) };
  const g = buildGrid(sweep);
  if (!g.ok) return g;
  const hash = createHash('sha256').update(canonicalJson({ base, axes: sweep.axes })).digest('hex').slice(0, 16);
  return { ok: true, plan: { sweep, base, baseSource, grid: g.grid, hash } };
}

/**
 * The scenario of point `index`.
 * @returns the point, or errors naming the point, its assignments and the rejected field.
 * @throws RangeError when index is outside 0..count-1.
 */
export function pointScenario(plan: SweepPlan, index: number): { ok: true; point: SweepPoint } | { ok: false; errors: string[] } {
  const as = assignments(plan.grid, index);
  const name = `${plan.sweep.name}-p${index}`;
  let input: unknown = { ...plan.base, name };
  for (const a of as) {
    const r = setPath(input, a.path, a.value);
    if (!r.ok) return { ok: false, errors: [`point ${index}: ${r.message}`] };
    input = r.value;
  }
  const s = scenarioSchema.safeParse(input);
  const where = `point ${index} (${as.map((a) => `${a.path}=${JSON.stringify(a.value)}`).join(', ')})`;
  if (!s.success) return { ok: false, errors: s.error.issues.map((i) => `${where} ${i.path.join('.') || '(scenario)'}: ${i.message}`) };
  const params: Record<string, unknown> = {};
  for (const a of gridAxes(plan.grid)) {
    const v = getPath(s.data, a.path);
    params[a.path] = v === undefined ? as.find((x) => x.path === a.path)!.value : v;
  }
  return { ok: true, point: { index, name, assignments: as, params, scenario: s.data } };
}

/**
 * Validate every point (first `limit` errors). Cheap next to running them; `sweep plan`
 * and `sweep run` call it so a bad value fails before any point runs.
 */
export function checkPoints(plan: SweepPlan, limit = 20): string[] {
  const errors: string[] = [];
  for (let i = 0; i < plan.grid.count && errors.length < limit; i++) {
    const r = pointScenario(plan, i);
    if (!r.ok) errors.push(...r.errors);
  }
  return errors.slice(0, limit);
}

/** The sweep with its base inlined: a self-contained file for the output directory and cluster jobs. */
export function selfContained(plan: SweepPlan): SweepInput {
  const out: SweepInput = { ...plan.sweep, base: plan.base };
  delete out.$schema;
  return out;
}
