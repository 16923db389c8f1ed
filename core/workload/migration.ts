/**
 * Live-migration pre-copy driver (QEMU's RAM pre-copy, with the IOMMU as the dirty source).
 *
 * Round 0 sends all guest memory; every later round sends the pages the previous dirty read
 * found, while the devices keep writing. Each round ends with one dirty read (upstream:
 * IOMMU_HWPT_GET_DIRTY_BITMAP, which clears and flushes once); the devices also write during
 * the read, and those writes are collected by the next read (the final one at switch-over). Switch-over happens when the
 * remaining dirty data fits the downtime budget (QEMU migration_update_counters:
 * threshold = bandwidth × downtime-limit) or after `maxRounds`; then the final collection
 * (GET_DIRTY_BITMAP, the RFC's unmap-with-dirty, or write-protect-and-clear) runs with the
 * devices stopped and its cost adds to downtime.
 *
 * All times are simulated ns; sizes bytes; pages are 4 KiB bitmap units.
 * Source: QEMU migration/ram.c, migration.c (pre-copy rounds, switch-over when the rest fits
 * bandwidth × downtime-limit); docs/cost-model-sources.md rows 36-38.
 */
import type { SimClock } from '../base/clock';
import { INVALIDATION_ACTIONS } from '../iommu/costs';
import type { DmaSink, WorkloadGenerator } from './generators';

export const BITMAP_PAGE = 4096;

/** What the driver needs from one vendor's engine instance. */
export interface MigrationTarget {
  readonly clock: SimClock;
  /** One DMA access of device `dev` through the hardware model. */
  dma(dev: number, iova: number, length: number, write: boolean): void;
  /**
   * Read (and clear) the dirty bitmap of [0, guestBytes) at BITMAP_PAGE granularity, as
   * IOMMU_HWPT_GET_DIRTY_BITMAP does. `dirty`: pages reported; `missed`: pages a device
   * wrote since the previous read that the bitmap did not report (ground truth kept by
   * the target; non-zero only when dirtying was lost, e.g. the flush-elision what-if).
   */
  readDirty(round: number): DirtyRead;
  /** Final collection at switch-over with the devices stopped. */
  switchover(method: SwitchoverMethod): DirtyRead;
  /** Snapshot of the hardware/driver counters (exact counts). */
  counters(): Record<string, number>;
  /** Simulated ns charged so far per cost action (core/hw/cost/model.ts); absent = not costed. */
  costNs?(): Record<string, number>;
  /**
   * Device throughput (core/workload/device.ts): the fraction (0, 1] of device `dev`'s
   * demand (`demandPerSec` accesses/s) it can issue in the next window, from the DMA
   * latencies it saw since the previous call over `windowNs`. Absent = always 1.
   */
  deviceScale?(dev: number, demandPerSec: number, windowNs: number): number;
}

/** Result of one dirty read, in BITMAP_PAGE units. */
export interface DirtyRead {
  dirty: number;
  missed: number;
}

export type SwitchoverMethod = 'get-dirty-bitmap' | 'unmap-read-dirty' | 'write-protect-clear';

export interface MigrationParams {
  guestBytes: number;
  maxRounds: number;
  linkGbps: number;
  downtimeMs: number;
  switchover: SwitchoverMethod;
}

/** Per-round report. Counter deltas cover the whole round (DMA + dirty read). */
export interface RoundReport {
  round: number;
  /** Simulated start time and duration of the round (transfer + dirty read), ns. */
  ts: number;
  dur: number;
  /** Bytes sent on the link this round. */
  bytesSent: number;
  /** DMA accesses the devices made during the round. */
  dmaAccesses: number;
  /** DMA accesses the workloads asked for during the round (more than dmaAccesses when a device is translation-bound). */
  dmaDemanded: number;
  /** Dirty pages the read at the end of the round found (4 KiB units). */
  dirtyPages: number;
  /** Pages written during the round that the read did not report (lost dirtying). */
  missedPages: number;
  /** Simulated cost of the dirty read (ioctl + walk + flush), ns. */
  bitmapReadNs: number;
  /** IOTLB miss rate of this round's DMA (it follows the previous round's flush). */
  iotlbMissRate: number;
  /** Counter deltas over the round. */
  counters: Record<string, number>;
}

export interface MigrationReport {
  rounds: RoundReport[];
  /** True when the dirty set fit the downtime budget before maxRounds. */
  converged: boolean;
  /** Pages collected by the final read at switch-over. */
  finalDirtyPages: number;
  /** Pages lost over the whole migration (written but never reported). */
  missedPages: number;
  /** Cost of the final collection, ns. */
  switchoverNs: number;
  /** Counter deltas of the final collection (e.g. missed_untracked_leaf of its lost pages). */
  switchoverCounters?: Record<string, number>;
  /** Stop-and-copy time: final collection plus sending the remaining pages, ns. */
  downtimeNs: number;
  /** Downtime in its parts (they add up to downtimeNs), ns. */
  downtimeParts: DowntimeParts;
  /**
   * The headline: simulated ns from the start of pre-copy (dirty tracking already enabled)
   * to switch-over (the VM stops). Set-up and enable are reported separately by the caller.
   */
  precopyNs: number;
  /** Simulated ns charged per cost action during pre-copy (rounds and their dirty reads). */
  precopyCostNs: Record<string, number>;
  /** Simulated ns charged per cost action by the final collection at switch-over. */
  switchoverCostNs: Record<string, number>;
  totalBytesSent: number;
  /** Clock at the end of the stop-and-copy (set-up and enable included), ns. */
  totalNs: number;
}

/** The parts of the stop-and-copy downtime, ns. */
export interface DowntimeParts {
  /** Final dirty collection (walk, bitmap copy) without its invalidations. */
  finalReadNs: number;
  /** Invalidation commands and waits of the final collection (INVALIDATION_ACTIONS). */
  flushNs: number;
  /** Sending the remaining dirty pages over the link. */
  transferNs: number;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const k of Object.keys(after)) {
    const v = after[k] - (before[k] ?? 0);
    if (v !== 0) d[k] = v;
  }
  return d;
}

/** Hooks for progress, time series and cancellation. */
export interface PrecopyHooks {
  /** After each round. */
  onRound?: (r: RoundReport) => void;
  /** Counter deltas over [t0, t1) ns, called SAMPLES_PER_ROUND times per transfer window and once per dirty read. */
  onSample?: (t0: number, t1: number, delta: Record<string, number>) => void;
  /** Checked between rounds; true forces switch-over (cancellation). */
  shouldStop?: () => boolean;
  /** Right before round `round`'s dirty read, with nothing in between (page-table snapshots). */
  beforeRead?: (round: number) => void;
}

/** Sub-windows per round for the counter time series. */
export const SAMPLES_PER_ROUND = 16;

/**
 * Run pre-copy to switch-over.
 * @throws nothing; a target that fails DMA records faults in its counters instead.
 */
export function runPrecopy(target: MigrationTarget, devices: WorkloadGenerator[], p: MigrationParams, hooks: PrecopyHooks = {}): MigrationReport {
  const bytesPerNs = (p.linkGbps * 1e9) / 8 / 1e9;
  const budgetBytes = bytesPerNs * p.downtimeMs * 1e6;
  const clock = target.clock;
  const rounds: RoundReport[] = [];
  const startNs = clock.now;
  const cost0 = target.costNs?.() ?? {};
  let toSend = p.guestBytes;
  let converged = false;
  const sinks: DmaSink[] = devices.map((_, i) => ({
    dma: (iova, length, write, ts) => {
      if (ts > clock.now) clock.now = ts;
      target.dma(i, iova, length, write);
    },
  }));

  // Fraction of each device's demand it can issue (device-throughput feedback), per window.
  const scales = devices.map(() => 1);
  let demanded = 0;
  const runWindow = (a: number, b: number): number => {
    let n = 0;
    devices.forEach((g, i) => {
      n += g.run(a, b, sinks[i], scales[i]);
      demanded += ((b - a) * g.ratePerSec) / 1e9;
    });
    if (target.deviceScale && b > a) devices.forEach((g, i) => (scales[i] = target.deviceScale!(i, g.ratePerSec, b - a)));
    return n;
  };

  for (let round = 0; round <= p.maxRounds; round++) {
    const before = target.counters();
    const ts = clock.now;
    const transferNs = Math.ceil(toSend / bytesPerNs);
    let dmaAccesses = 0;
    demanded = 0;
    let last = before;
    for (let k = 0; k < SAMPLES_PER_ROUND; k++) {
      const a = ts + Math.floor((transferNs * k) / SAMPLES_PER_ROUND);
      const b = ts + Math.floor((transferNs * (k + 1)) / SAMPLES_PER_ROUND);
      dmaAccesses += runWindow(a, b);
      if (clock.now < b) clock.now = b;
      if (hooks.onSample) {
        const now = target.counters();
        hooks.onSample(a, b, delta(now, last));
        last = now;
      }
    }
    hooks.beforeRead?.(round);
    const readStart = clock.now;
    const { dirty: dirtyPages, missed: missedPages } = target.readDirty(round);
    const bitmapReadNs = clock.now - readStart;
    // The devices keep writing while the bitmap is read (the VM runs until switch-over), so
    // a slow read means more dirtying: writes of the read window land in the next collection
    // (the final one, with the devices stopped, after the last pre-copy read).
    dmaAccesses += runWindow(readStart, clock.now);
    const after = target.counters();
    if (hooks.onSample) hooks.onSample(readStart, clock.now, delta(after, last));
    const counters = delta(after, before);
    const hits = counters.iotlb_hit ?? 0;
    const misses = counters.iotlb_miss ?? 0;
    const report: RoundReport = {
      round,
      ts,
      dur: clock.now - ts,
      bytesSent: toSend,
      dmaAccesses,
      dmaDemanded: Math.round(demanded),
      dirtyPages,
      missedPages,
      bitmapReadNs,
      iotlbMissRate: hits + misses > 0 ? misses / (hits + misses) : 0,
      counters,
    };
    rounds.push(report);
    hooks.onRound?.(report);
    toSend = dirtyPages * BITMAP_PAGE;
    if (toSend <= budgetBytes) {
      converged = true;
      break;
    }
    if (hooks.shouldStop?.()) break;
  }

  // Stop-and-copy (QEMU: stop the VM, final bitmap sync, send the rest). The final read only
  // reports pages dirtied after the last read; adding both counts is an upper bound (a page
  // may be in both), which is what a migration tool must budget for.
  const swStart = clock.now;
  const swBefore = target.counters();
  const cost1 = target.costNs?.() ?? {};
  const final = target.switchover(p.switchover);
  const switchoverCounters = delta(target.counters(), swBefore);
  const switchoverCostNs = delta(target.costNs?.() ?? {}, cost1);
  const finalDirtyPages = final.dirty;
  const switchoverNs = clock.now - swStart;
  const remaining = toSend + finalDirtyPages * BITMAP_PAGE;
  const transferNs = Math.ceil(remaining / bytesPerNs);
  const downtimeNs = switchoverNs + transferNs;
  const flushNs = Math.min(switchoverNs, INVALIDATION_ACTIONS.reduce((s, a) => s + (switchoverCostNs[a] ?? 0), 0));
  clock.now += transferNs;
  const totalBytesSent = rounds.reduce((s, r) => s + r.bytesSent, 0) + remaining;
  const missedPages = rounds.reduce((s, r) => s + r.missedPages, 0) + final.missed;
  return {
    rounds, converged, finalDirtyPages, missedPages, switchoverNs, switchoverCounters, downtimeNs,
    downtimeParts: { finalReadNs: switchoverNs - flushNs, flushNs, transferNs },
    precopyNs: swStart - startNs,
    precopyCostNs: delta(cost1, cost0),
    switchoverCostNs,
    totalBytesSent, totalNs: clock.now,
  };
}
