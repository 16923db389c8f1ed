/**
 * Parse and validate a JSON / JSONC text that came from a user (untrusted input: scenario and
 * sweep files). Size and nesting are bounded before parsing, so a 200 MB file cannot exhaust
 * the heap and 10,000 nested brackets cannot overflow the parser's stack; errors carry the
 * 1-based line and column of the offending field ("nic.json:12:7 devices.0.workload.kind: ...").
 * Reading the file is the caller's job (core/cli), so this stays free of Node modules.
 */
import { findNodeAtLocation, parse, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';

/** One problem in a JSON text; line and column are 1-based. */
export interface TextError {
  line: number;
  column: number;
  /** Dotted path of the field, e.g. "devices.0.workload.iops"; "" for the whole file. */
  field: string;
  message: string;
}

/** How {@link parseJsonText} reads a text. */
export interface JsonTextRules {
  /** Comments and trailing commas allowed (JSONC), or strict JSON. */
  jsonc: boolean;
  /** Largest text accepted, characters. */
  maxChars: number;
  /** Deepest nesting of arrays and objects accepted. */
  maxDepth: number;
  /** Message when the text is longer than maxChars. */
  tooLong: (chars: number) => string;
  /** Message when the text nests deeper than maxDepth. */
  tooDeep: string;
}

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

/** The first place `text` nests deeper than `max` (outside strings and, for JSONC, comments), or -1. */
function tooDeepAt(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 47 && text.charCodeAt(i + 1) === 47) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === 91 || c === 123) {
      if (++depth > max) return i;
    } else if (c === 93 || c === 125) depth--;
  }
  return -1;
}

/**
 * Parse `text` under `rules` and validate it against `schema`.
 * @returns the parsed value, or the errors: size, depth, JSON syntax (with offset) or
 * schema issues (each at the deepest existing node on the issue's path).
 */
export function parseJsonText<S extends z.ZodType>(text: string, schema: S, rules: JsonTextRules): { ok: true; value: z.output<S> } | { ok: false; errors: TextError[] } {
  if (text.length > rules.maxChars) return { ok: false, errors: [{ line: 1, column: 1, field: '', message: rules.tooLong(text.length) }] };
  const deep = tooDeepAt(text, rules.maxDepth);
  if (deep >= 0) return { ok: false, errors: [{ ...lineCol(text, deep), field: '', message: rules.tooDeep }] };
  const parseErrors: ParseError[] = [];
  const opts = { allowTrailingComma: rules.jsonc, disallowComments: !rules.jsonc };
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
  const json: unknown = rules.jsonc ? parse(text, [], opts) : JSON.parse(text);
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
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
export function formatTextErrors(file: string, errors: TextError[]): string {
  return errors.map((e) => `${file}:${e.line}:${e.column} ${e.field || '(file)'}: ${e.message}`).join('\n');
}
