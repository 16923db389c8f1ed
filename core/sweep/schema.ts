/**
 * Sweep files: a base scenario plus axes, each axis a dotted path into the scenario and the
 * values it takes. The zod definition is the single source of truth; the JSON Schema users
 * see (`iommu-workbench sweep schema`, docs/sweep.schema.json) is generated from it.
 *
 * Axes combine as a grid (every combination); a `zip` group advances its axes together (one
 * dimension). Expansion and numbering: core/sweep/expand.ts.
 */
import { z } from 'zod';
import { PATH_PATTERN } from './paths';

/** Most values one axis may list or generate. */
export const MAX_AXIS_VALUES = 4096;
/** Most points one sweep may expand to (the index of a Slurm array / Indexed Job). */
export const MAX_POINTS = 1_000_000;

const number = z.union([z.number().finite(), z.string().min(1).max(32)]).describe('a number, or a size with a binary unit ("4GiB")');

const range = z
  .object({
    from: number.describe('first value (a size string such as "4GiB" is taken in bytes)'),
    to: number.describe('last value, included when the steps reach it exactly'),
    factor: z.number().gt(1).optional().describe('geometric: each value is the previous times this factor'),
    step: z.number().positive().optional().describe('linear: each value is the previous plus this step'),
  })
  .strict()
  .refine((r) => (r.factor === undefined) !== (r.step === undefined), { message: 'give exactly one of factor (geometric) or step (linear)' });

export const axisSchema = z
  .object({
    path: z.string().regex(PATH_PATTERN, 'a dotted path such as "guest.memory" or "devices.0.workload.packetsPerSec"').describe('scenario field the axis sets, as a dotted path'),
    values: z.array(z.unknown()).min(1).max(MAX_AXIS_VALUES).optional().describe('the values, in order (any JSON the field accepts)'),
    range: range.optional().describe('generated values instead of a list'),
  })
  .strict()
  .refine((a) => (a.values === undefined) !== (a.range === undefined), { message: 'give exactly one of values or range' });

export const zipSchema = z
  .object({ zip: z.array(axisSchema).min(2).max(16).describe('axes that advance together (equal lengths): one dimension of the grid') })
  .strict();

export const sweepSchema = z
  .object({
    $schema: z.string().optional(),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,46}$/, 'lower-case letters, digits and "-", at most 47 characters (it names Slurm and Kubernetes jobs)')
      .describe('sweep name (job names, file names)'),
    description: z.string().max(2000).default(''),
    base: z
      .union([z.string().min(1).max(4096), z.record(z.string(), z.unknown())])
      .describe('the base scenario: a preset name, a scenario file path (relative to the sweep file), or the scenario inline'),
    axes: z.array(z.union([axisSchema, zipSchema])).min(1).max(16).describe('grid dimensions, first = slowest-varying'),
    pointThreads: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(1)
      .describe("worker threads per point for its vendors (1: the point's vendors run one after another, so --jobs P uses P cores)"),
  })
  .strict();

/** A validated sweep file. */
export type Sweep = z.output<typeof sweepSchema>;
/** A sweep as written in a file. */
export type SweepInput = z.input<typeof sweepSchema>;
export type SweepAxis = z.output<typeof axisSchema>;
export type SweepZip = z.output<typeof zipSchema>;

/** JSON Schema (draft 2020-12) of sweep files, generated from the zod definition. */
export function sweepJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(sweepSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
