import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSweep } from '../../../core/sweep/sweep-file';
import type { SweepPlan } from '../../../core/sweep/plan';

/** A small base scenario: 2 vendors, 64 MiB guest, 2 rounds (about a second per point). */
export const SMALL_BASE = {
  name: 'small',
  seed: 3,
  vendors: ['amd', 'smmuv3'],
  guest: { memory: '64MiB' },
  devices: [{ name: 'nvme0', workload: { kind: 'nvme-read', iops: 50000 } }],
  migration: { maxRounds: 2, downtimeMs: 5 },
};

/** A fresh temp dir. */
export function tempDir(): { dir: string; path: (n: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'iwb-sweep-'));
  return { dir, path: (n) => join(dir, n), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Write a sweep file into `dir` and resolve its plan. */
export function writeSweep(dir: string, sweep: Record<string, unknown>, name = 'sweep.jsonc'): { file: string; plan: SweepPlan } {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(sweep, null, 2));
  const r = resolveSweep(file);
  if (!r.ok) throw new Error(r.message);
  return { file, plan: r.plan };
}
