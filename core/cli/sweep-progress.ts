/**
 * Progress bar of `sweep run` (cli-progress): points done of the total, ETA, and the points
 * running with their vendor and round. Silent when stderr is not a terminal or --json is given.
 */
import cliProgress from 'cli-progress';
import type { SweepEvent } from '../sweep/local-run';

export interface SweepProgress {
  update(e: SweepEvent): void;
  stop(): void;
}

export function sweepProgress(enabled: boolean): SweepProgress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: ' points [{bar}] {value}/{total} | ETA {eta_formatted} | {running}', hideCursor: true, etaBuffer: 8, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  const running = new Map<number, string>();
  const label = (): string => [...running.entries()].map(([i, s]) => `#${i} ${s}`).join(', ') || 'idle';
  let started = false;
  return {
    update(e) {
      if (e.type === 'start') {
        // ETA counts only the points this run executes.
        bar.start(e.total, e.complete, { running: 'starting' });
        started = true;
        return;
      }
      if (!started) return;
      if (e.type === 'point-start') running.set(e.index, 'setup');
      else if (e.type === 'point-progress') running.set(e.index, `${e.p.vendor} r${e.p.round}`);
      else {
        running.delete(e.type === 'point-done' ? e.outcome.index : e.index);
        if (e.type === 'point-done') bar.increment(1, { running: label() });
        return;
      }
      bar.update({ running: label() });
    },
    stop: () => bar.stop(),
  };
}
