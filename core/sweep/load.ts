/**
 * Parse and validate sweep text (JSON or JSONC: comments and trailing commas allowed; it is
 * untrusted input). Errors carry the line and column of the offending field, as scenario
 * files do: "sweep.jsonc:7:5 axes.1.range: give exactly one of factor (geometric) or step".
 */
import { formatTextErrors, parseJsonText, type TextError } from '../base/json-text';
import { sweepSchema, type Sweep } from './schema';

/** Largest sweep file accepted, bytes of text (a sweep is a few axes, not data). */
export const MAX_SWEEP_TEXT = 1 << 20;

/** Deepest nesting of arrays and objects accepted (a sweep with a base scenario needs about 7). */
export const MAX_SWEEP_DEPTH = 32;

export type SweepParse = { ok: true; sweep: Sweep } | { ok: false; errors: TextError[] };

/** Parse sweep JSONC text and validate it against {@link sweepSchema}. */
export function parseSweep(text: string): SweepParse {
  const r = parseJsonText(text, sweepSchema, {
    jsonc: true,
    maxChars: MAX_SWEEP_TEXT,
    maxDepth: MAX_SWEEP_DEPTH,
    tooLong: (n) => `sweep file of ${n} characters; at most ${MAX_SWEEP_TEXT}`,
    tooDeep: `nested more than ${MAX_SWEEP_DEPTH} levels deep`,
  });
  return r.ok ? { ok: true, sweep: r.value } : r;
}

/** Format errors as "file:line:col field: message" lines. */
export const formatSweepErrors = formatTextErrors;
