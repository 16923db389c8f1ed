/**
 * Resolve a scenario argument: a preset name (`nic-rx-16g`) or a path to a scenario JSON
 * file. Bad files yield "file:line:col field: message" errors (exit code 2 in the CLI).
 */
import { existsSync } from 'node:fs';
import { formatScenarioErrors, MAX_SCENARIO_CHARS, parseScenario } from '../scenario/load';
import { loadPreset, presetNames } from '../scenario/presets';
import type { Scenario } from '../scenario/schema';
import { readInputFile } from './input-file';

export type ScenarioArg = { ok: true; scenario: Scenario; source: string } | { ok: false; message: string };

export function resolveScenario(arg: string): ScenarioArg {
  const preset = loadPreset(arg);
  if (preset) return { ok: true, scenario: preset, source: `preset ${arg}` };
  if (!existsSync(arg)) {
    return { ok: false, message: `no preset or file named '${arg}' (presets: ${presetNames().join(', ')})` };
  }
  // UTF-8 bytes ≥ characters: a file within the byte limit is within the parser's.
  const text = readInputFile(arg, 'scenario', MAX_SCENARIO_CHARS);
  if (!text.ok) return { ok: false, message: text.message };
  const r = parseScenario(text.text);
  return r.ok ? { ok: true, scenario: r.scenario, source: arg } : { ok: false, message: formatScenarioErrors(arg, r.errors) };
}
