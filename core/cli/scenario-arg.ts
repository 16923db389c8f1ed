/**
 * Resolve a scenario argument: a preset name (`nic-rx-16g`) or a path to a scenario JSON
 * file. Bad files yield "file:line:col field: message" errors (exit code 2 in the CLI).
 */
import { existsSync, readFileSync } from 'node:fs';
import { formatScenarioErrors, parseScenario } from '../scenario/load';
import { loadPreset, presetNames } from '../scenario/presets';
import type { Scenario } from '../scenario/schema';

export type ScenarioArg = { ok: true; scenario: Scenario; source: string } | { ok: false; message: string };

export function resolveScenario(arg: string): ScenarioArg {
  const preset = loadPreset(arg);
  if (preset) return { ok: true, scenario: preset, source: `preset ${arg}` };
  if (!existsSync(arg)) {
    return { ok: false, message: `no preset or file named '${arg}' (presets: ${presetNames().join(', ')})` };
  }
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (e) {
    return { ok: false, message: `cannot read ${arg}: ${(e as Error).message}` };
  }
  const r = parseScenario(text);
  return r.ok ? { ok: true, scenario: r.scenario, source: arg } : { ok: false, message: formatScenarioErrors(arg, r.errors) };
}
