/**
 * Parse and validate scenario text (untrusted input). Errors carry the line and column of
 * the offending field, so a user can fix the file: "nic.json:12:7 devices.0.workload.kind: ...".
 * Reading the file is the caller's job (core/cli), so this stays free of Node modules.
 */
import { formatTextErrors, parseJsonText, type TextError } from '../base/json-text';
import { scenarioSchema, type Scenario } from './schema';

/** One problem in a scenario file; line and column are 1-based. */
export type ScenarioError = TextError;

export type ScenarioParse = { ok: true; scenario: Scenario } | { ok: false; errors: ScenarioError[] };

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

/** Parse scenario JSON text (strict JSON) and validate it against {@link scenarioSchema}. */
export function parseScenario(text: string): ScenarioParse {
  const r = parseJsonText(text, scenarioSchema, {
    jsonc: false,
    maxChars: MAX_SCENARIO_CHARS,
    maxDepth: MAX_SCENARIO_DEPTH,
    tooLong: (n) => `${n} characters is more than the ${MAX_SCENARIO_CHARS} (1 MiB) a scenario may have`,
    tooDeep: `nested more than ${MAX_SCENARIO_DEPTH} levels deep (a scenario needs 5)`,
  });
  return r.ok ? { ok: true, scenario: r.value } : r;
}

/** Format errors as "file:line:col field: message" lines. */
export const formatScenarioErrors = formatTextErrors;
