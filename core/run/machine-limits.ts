/**
 * This machine's limits for a run (core/scenario/limits.ts MachineLimits): 80 % of physical
 * memory (os.totalmem(); the rest is left to the OS, the writer and the UI) and the default
 * longest run. The CLI and the engine hosts check scenarios and replays against them.
 */
import { totalmem } from 'node:os';
import { DEFAULT_MAX_RUN_SECONDS, type MachineLimits } from '../scenario/limits';

/** Share of physical memory a run may use. */
export const MEMORY_SHARE = 0.8;

/** Limits for a run with `concurrentVendors` vendors at once. */
export function machineLimits(concurrentVendors: number): MachineLimits {
  const total = totalmem();
  return { memoryBytes: Math.floor(total * MEMORY_SHARE), totalMemoryBytes: total, concurrentVendors: Math.max(1, concurrentVendors), maxSeconds: DEFAULT_MAX_RUN_SECONDS };
}
