/**
 * Preset scenarios shipped with the engine (core/scenario/scenarios/*.json), embedded at build
 * time so the CLI, the app and tests can run them by name.
 */
import nicRx16g from './scenarios/nic-rx-16g.json';
import nvmeRandom64g from './scenarios/nvme-random-64g.json';
import gpuBulk32g from './scenarios/gpu-bulk-32g.json';
import hotSetHuge16g from './scenarios/hot-set-huge-16g.json';
import hugeDemote16g from './scenarios/huge-demote-16g.json';
import flushElision from './scenarios/flush-elision-what-if.json';
import smmuv3RfcV1 from './scenarios/smmuv3-rfc-v1-what-if.json';
import viommuNicRx from './scenarios/viommu-nic-rx.json';
import iopfOnDemand from './scenarios/iopf-on-demand-4g.json';
import { scenarioSchema, type Scenario } from './schema';

const RAW: Record<string, unknown> = {
  'nic-rx-16g': nicRx16g,
  'nvme-random-64g': nvmeRandom64g,
  'gpu-bulk-32g': gpuBulk32g,
  'hot-set-huge-16g': hotSetHuge16g,
  'huge-demote-16g': hugeDemote16g,
  'flush-elision-what-if': flushElision,
  'smmuv3-rfc-v1-what-if': smmuv3RfcV1,
  'viommu-nic-rx': viommuNicRx,
  'iopf-on-demand-4g': iopfOnDemand,
};

/** The default preset (README's main command). */
export const DEFAULT_PRESET = 'nic-rx-16g';

/** Names of all presets. */
export function presetNames(): string[] {
  return Object.keys(RAW);
}

/** The raw JSON text of a preset (for `scenarios --show` and the UI). */
export function presetText(name: string): string | null {
  return name in RAW ? JSON.stringify(RAW[name], null, 2) : null;
}

/** A validated preset, or null when no preset has that name. @throws Error if a shipped preset is invalid (a test guards this). */
export function loadPreset(name: string): Scenario | null {
  if (!(name in RAW)) return null;
  return scenarioSchema.parse(RAW[name]);
}
