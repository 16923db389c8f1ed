/**
 * Parse and validate sweep text (JSON or JSONC: comments and trailing commas allowed; it is
 * untrusted input). Errors carry the line and column of the offending field, as scenario
 * files do: "sweep.jsonc:7:5 axes.1.range: give exactly one of factor (geometric) or step".
 */
import { findNodeAtLocation, parse, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { formatScenarioErrors, type ScenarioError } from '../scenario/load';
import { sweepSchema, type Sweep } from './schema';

/** Largest sweep file accepted, bytes of text (a sweep is a few axes, not data). */
export const MAX_SWEEP_TEXT = 1 << 20;

export type SweepParse = { ok: true; sweep: Sweep } | { ok: false; errors: ScenarioError[] };

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** Parse sweep JSONC text and validate it against {@link sweepSchema}. */
export function parseSweep(text: string): SweepParse {
  if (text.length > MAX_SWEEP_TEXT) return { ok: false, errors: [{ line: 1, column: 1, field: '', message: `sweep file of ${text.length} characters; at most ${MAX_SWEEP_TEXT}` }] };
  const parseErrors: ParseError[] = [];
  const opts = { allowTrailingComma: true, disallowComments: false };
  const tree = parseTree(text, parseErrors, opts);
  if (parseErrors.length > 0 || !tree) {
    return {
      ok: false,
      errors: (parseErrors.length ? parseErrors : [{ error: 0, offset: 0, length: 0 }]).map((e) => ({
        ...lineCol(text, e.offset),
        field: '',
        message: parseErrors.length ? `JSON syntax: ${printParseErrorCode(e.error)}` : 'empty file',
      })),
    };
  }
  const r = sweepSchema.safeParse(parse(text, [], opts));
  if (r.success) return { ok: true, sweep: r.data };
  return {
    ok: false,
    errors: r.error.issues.map((issue) => {
      let path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      let node = findNodeAtLocation(tree, path);
      while (!node && path.length > 0) {
        path = path.slice(0, -1);
        node = findNodeAtLocation(tree, path);
      }
      const at = node?.parent?.type === 'property' ? node.parent.offset : (node?.offset ?? 0);
      return { ...lineCol(text, at), field: issue.path.join('.'), message: issue.message };
    }),
  };
}

/** Format errors as "file:line:col field: message" lines. */
export const formatSweepErrors = formatScenarioErrors;
