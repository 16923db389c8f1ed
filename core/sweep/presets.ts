/**
 * Preset sweeps shipped with the engine (core/sweep/presets/*.json), embedded at build time so
 * the CLI, the app and tests can run them by name.
 */
import dirtyCostVsGuestSize from './presets/dirty-cost-vs-guest-size.json';

const RAW: Record<string, unknown> = {
  'dirty-cost-vs-guest-size': dirtyCostVsGuestSize,
};

/** Names of all preset sweeps. */
export function sweepPresetNames(): string[] {
  return Object.keys(RAW);
}

/** The JSON text of a preset sweep, or null when none has that name. */
export function sweepPresetText(name: string): string | null {
  return Object.hasOwn(RAW, name) ? JSON.stringify(RAW[name], null, 2) : null;
}
