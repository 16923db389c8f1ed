/**
 * Expansion of a sweep into numbered points. Axes are the dimensions of a grid in file order,
 * the first varying slowest and the last fastest (row-major); a `zip` group is one dimension
 * whose axes advance together. Point N's coordinate on dimension d is
 *   c_d = floor(N / (L_{d+1} × … × L_last)) mod L_d,
 * so numbering depends only on the sweep file: the same file gives the same N → parameters on
 * every machine and run (a Slurm array task or an Indexed Job pod computes its own point).
 */
import { parseSize } from '../scenario/schema';
import { MAX_AXIS_VALUES, MAX_POINTS, type Sweep, type SweepAxis } from './schema';

/** One axis with its values generated. */
export interface ExpandedAxis {
  path: string;
  values: unknown[];
  /** 'bytes' when the axis was written with size strings ("4GiB"); the UI formats it so. */
  unit: 'bytes' | null;
}

/** One grid dimension: a single axis, or a zip group (all axes of equal length). */
export interface Dimension {
  axes: ExpandedAxis[];
  length: number;
}

/** The grid of a sweep. */
export interface Grid {
  dimensions: Dimension[];
  /** Number of points (product of the dimension lengths). */
  count: number;
}

/** One field a point sets. */
export interface Assignment {
  path: string;
  value: unknown;
}

const isSizeString = (v: unknown): boolean => typeof v === 'string' && Number.isFinite(parseSize(v));

function num(v: number | string, what: string): number | string {
  if (typeof v === 'number') return v;
  const n = parseSize(v);
  return Number.isFinite(n) ? n : `${what}: not a number or size: ${JSON.stringify(v)}`;
}

/** Values of an axis: its list, or its range generated. @returns the values or an error message. */
export function axisValues(a: SweepAxis): { values: unknown[]; unit: 'bytes' | null } | string {
  if (a.values) return { values: a.values, unit: a.values.every(isSizeString) ? 'bytes' : null };
  const r = a.range!;
  const from = num(r.from, `${a.path}: range.from`);
  const to = num(r.to, `${a.path}: range.to`);
  if (typeof from === 'string') return from;
  if (typeof to === 'string') return to;
  if (from > to) return `${a.path}: range.from (${from}) is greater than range.to (${to})`;
  if (r.factor !== undefined && from <= 0) return `${a.path}: a geometric range needs from > 0`;
  const out: number[] = [];
  const slack = Math.abs(to) * 1e-9;
  for (let k = 0; ; k++) {
    const v = r.factor !== undefined ? from * r.factor ** k : from + k * r.step!;
    if (v > to + slack) break;
    if (out.length >= MAX_AXIS_VALUES) return `${a.path}: the range generates more than ${MAX_AXIS_VALUES} values`;
    out.push(Math.abs(v - Math.round(v)) < 1e-9 * Math.max(1, Math.abs(v)) ? Math.round(v) : v);
  }
  return { values: out, unit: isSizeString(r.from) || isSizeString(r.to) ? 'bytes' : null };
}

/**
 * Build the grid: generate each axis's values, check zip groups have equal lengths, that no
 * two axes set the same field (or one inside another), and the point count limit.
 * @returns the grid, or error messages naming the axis.
 */
export function buildGrid(sweep: Sweep): { ok: true; grid: Grid } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const dimensions: Dimension[] = [];
  for (const entry of sweep.axes) {
    const group = 'zip' in entry ? entry.zip : [entry];
    const axes: ExpandedAxis[] = [];
    for (const a of group) {
      const v = axisValues(a);
      if (typeof v === 'string') errors.push(v);
      else axes.push({ path: a.path, values: v.values, unit: v.unit });
    }
    if (axes.length !== group.length) continue;
    const lengths = new Set(axes.map((a) => a.values.length));
    if (lengths.size > 1) {
      errors.push(`zip of ${axes.map((a) => `${a.path} (${a.values.length})`).join(', ')}: zipped axes need the same number of values`);
      continue;
    }
    dimensions.push({ axes, length: axes[0].values.length });
  }
  const paths = dimensions.flatMap((d) => d.axes.map((a) => a.path));
  for (let i = 0; i < paths.length; i++) {
    for (let j = 0; j < paths.length; j++) {
      if (i !== j && (paths[i] === paths[j] ? i < j : paths[j].startsWith(`${paths[i]}.`))) errors.push(`axes ${paths[i]} and ${paths[j]} set the same field`);
    }
  }
  if (errors.length) return { ok: false, errors };
  const count = dimensions.reduce((n, d) => n * d.length, 1);
  if (count > MAX_POINTS) return { ok: false, errors: [`the sweep expands to ${count} points; at most ${MAX_POINTS}`] };
  return { ok: true, grid: { dimensions, count } };
}

/** Coordinates of point `index` (one per dimension). @throws RangeError when index is out of range. */
export function coordinates(grid: Grid, index: number): number[] {
  if (!Number.isInteger(index) || index < 0 || index >= grid.count) throw new RangeError(`point index ${index} out of range 0..${grid.count - 1}`);
  const c = new Array<number>(grid.dimensions.length);
  let rest = index;
  for (let d = grid.dimensions.length - 1; d >= 0; d--) {
    const len = grid.dimensions[d].length;
    c[d] = rest % len;
    rest = Math.floor(rest / len);
  }
  return c;
}

/** The fields point `index` sets, in axis order. @throws RangeError when index is out of range. */
export function assignments(grid: Grid, index: number): Assignment[] {
  const c = coordinates(grid, index);
  return grid.dimensions.flatMap((d, i) => d.axes.map((a) => ({ path: a.path, value: a.values[c[i]] })));
}

/** Every axis of the grid, flattened in order (zip members in place). */
export function gridAxes(grid: Grid): ExpandedAxis[] {
  return grid.dimensions.flatMap((d) => d.axes);
}
