/**
 * Progress bars for long runs (cli-progress) on a terminal; silent when stdout/stderr is
 * piped or --json is given, so machine-readable output stays clean.
 */
import cliProgress from 'cli-progress';
import type { CompareProgress } from '../scenario/runner';

export interface ProgressReporter {
  update(p: CompareProgress): void;
  stop(): void;
}

export function compareProgress(enabled: boolean): ProgressReporter {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bars = new cliProgress.MultiBar({ stream: process.stderr, format: ' {vendor} [{bar}] round {value}/{total} {phase}', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  const byVendor = new Map<string, cliProgress.SingleBar>();
  return {
    update(p) {
      let bar = byVendor.get(p.vendor);
      if (!bar) {
        bar = bars.create(p.maxRounds + 1, 0, { vendor: p.vendor.padEnd(6), phase: p.phase });
        byVendor.set(p.vendor, bar);
      }
      bar.update(p.phase === 'done' ? p.maxRounds + 1 : p.round, { phase: p.phase });
    },
    stop: () => bars.stop(),
  };
}
