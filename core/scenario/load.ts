/**
 * Parse and validate scenario text (untrusted input). Errors carry the line and column of
 * the offending field, so a user can fix the file: "nic.json:12:7 devices.0.workload.kind: ...".
 * Reading the file is the caller's job (core/cli), so this stays free of Node modules.
 */
import { findNodeAtLocation, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { scenarioSchema, type Scenario } from './schema';

/** One problem in a scenario file; line and column are 1-based. */
export interface ScenarioError {
  line: number;
  column: number;
  /** Dotted path of the field, e.g. "devices.0.workload.iops"; "" for the whole file. */
  field: string;
  message: string;
}

export type ScenarioParse = { ok: true; scenario: Scenario } | { ok: false; errors: ScenarioError[] };

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

/**
 * Largest scenario text accepted, characters (the presets are about 1 KiB; the UI's
 * runComparison request allows the same 1 MiB). Checked before parsing, so a 200 MB file
 * cannot exhaust the heap.
 */
export const MAX_SCENARIO_CHARS = 1 << 20;

/**
 * Deepest nesting of arrays and objects accepted (a scenario needs 5: scenario → devices →
 * device → workload → value). Checked before parsing: the parsers recurse, and about 10,000
 * levels overflow the stack.
 */
export const MAX_SCENARIO_DEPTH = 32;

/** The first place `text` nests deeper than `max` (outside strings), or -1. */
function tooDeepAt(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return i;
    } else if (c === 93 || c === 125) depth--;
  }
  return -1;
}

/** Parse scenario JSON text and validate it against {@link scenarioSchema}. */
export function parseScenario(text: string): ScenarioParse {
  if (text.length > MAX_SCENARIO_CHARS) {
    return { ok: false, errors: [{ line: 1, column: 1, field: '', message: `${text.length} characters is more than the ${MAX_SCENARIO_CHARS} (1 MiB) a scenario may have` }] };
  }
  const deep = tooDeepAt(text, MAX_SCENARIO_DEPTH);
  if (deep >= 0) {
    return { ok: false, errors: [{ ...lineCol(text, deep), field: '', message: `nested more than ${MAX_SCENARIO_DEPTH} levels deep (a scenario needs 5)` }] };
  }
  const parseErrors: ParseError[] = [];
  const tree = parseTree(text, parseErrors, { allowTrailingComma: false, disallowComments: true });
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
  const json: unknown = JSON.parse(text);
  const r = scenarioSchema.safeParse(json);
  if (r.success) return { ok: true, scenario: r.data };
  return {
    ok: false,
    errors: r.error.issues.map((issue) => {
      // Point at the deepest existing node on the issue's path.
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
export function formatScenarioErrors(file: string, errors: ScenarioError[]): string {
  return errors.map((e) => `${file}:${e.line}:${e.column} ${e.field || '(file)'}: ${e.message}`).join('\n');
}
