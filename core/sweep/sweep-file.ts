/**
 * Resolve a sweep argument: a preset sweep name (`dirty-cost-vs-guest-size`) or a sweep file
 * (JSON/JSONC). The base scenario is resolved too: a scenario preset name, a scenario file
 * path relative to the sweep file, or inline.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'jsonc-parser';
import { parseScenario, formatScenarioErrors } from '../scenario/load';
import { presetText } from '../scenario/presets';
import { formatSweepErrors, MAX_SWEEP_TEXT, parseSweep } from './load';
import { makePlan, type SweepPlan } from './plan';
import { sweepPresetNames, sweepPresetText } from './presets';
import type { Sweep } from './schema';

export type SweepArg = { ok: true; plan: SweepPlan; source: string } | { ok: false; message: string };

function readText(path: string, max: number): { ok: true; text: string } | { ok: false; message: string } {
  try {
    const st = statSync(path);
    if (!st.isFile()) return { ok: false, message: `${path}: not a regular file` };
    if (st.size > max) return { ok: false, message: `${path}: ${st.size} bytes; at most ${max}` };
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (e) {
    return { ok: false, message: `cannot read ${path}: ${(e as Error).message}` };
  }
}

/** Resolve the base of a sweep read from `dir` (the sweep file's folder; cwd for presets). */
function resolveBase(sweep: Sweep, dir: string): { ok: true; base: Record<string, unknown>; source: string } | { ok: false; message: string } {
  if (typeof sweep.base !== 'string') return { ok: true, base: sweep.base, source: 'inline' };
  const preset = presetText(sweep.base);
  if (preset) return { ok: true, base: JSON.parse(preset) as Record<string, unknown>, source: `preset ${sweep.base}` };
  const path = resolve(dir, sweep.base);
  if (!existsSync(path)) return { ok: false, message: `base: no scenario preset or file named '${sweep.base}' (looked for ${path})` };
  const t = readText(path, MAX_SWEEP_TEXT);
  if (!t.ok) return t;
  const r = parseScenario(t.text);
  if (!r.ok) return { ok: false, message: formatScenarioErrors(path, r.errors) };
  return { ok: true, base: parse(t.text) as Record<string, unknown>, source: path };
}

/** Parse sweep text read from `dir` and build its plan; errors are printable lines. */
export function planFromText(text: string, file: string, dir: string): SweepArg {
  const p = parseSweep(text);
  if (!p.ok) return { ok: false, message: formatSweepErrors(file, p.errors) };
  const b = resolveBase(p.sweep, dir);
  if (!b.ok) return b;
  const plan = makePlan(p.sweep, b.base, b.source);
  return plan.ok ? { ok: true, plan: plan.plan, source: file } : { ok: false, message: plan.errors.map((e) => `${file}: ${e}`).join('\n') };
}

/** Resolve a preset sweep name or a sweep file path to its plan. */
export function resolveSweep(arg: string): SweepArg {
  const preset = sweepPresetText(arg);
  if (preset) return planFromText(preset, `preset ${arg}`, process.cwd());
  if (!existsSync(arg)) return { ok: false, message: `no preset sweep or file named '${arg}' (presets: ${sweepPresetNames().join(', ')})` };
  const t = readText(arg, MAX_SWEEP_TEXT);
  if (!t.ok) return t;
  return planFromText(t.text, arg, dirname(resolve(arg)));
}
