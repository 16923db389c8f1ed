/**
 * Replay a real kernel trace's map/unmap sequence (ftrace `iommu:map` / `iommu:unmap`)
 * through one vendor model, with the Linux DMA layer's flush policy:
 * - strict: every unmap is followed by iotlb_sync of its gather (iommu.strict=1);
 * - lazy: unmaps are queued (drivers/iommu/dma-iommu.c queue_iova); a domain-wide
 *   flush_iotlb_all runs when an unmap finds the per-CPU ring full (IOVA_DEFAULT_FQ_SIZE 256
 *   slots, 255 usable: fq_full) and when the flush-queue timer fires. The timer is armed by
 *   the first unmap after the previous expiry (not re-armed by later ones) with
 *   mod_timer(jiffies + msecs_to_jiffies(IOVA_DEFAULT_FQ_TIMEOUT = 10 ms)): msecs_to_jiffies
 *   rounds up to whole jiffies and the timer fires on the tick where jiffies reaches the
 *   expiry, so the delay is in ((N-1)/HZ, N/HZ] with N = ceil(10 ms × HZ / 1000) — (0, 10] ms
 *   at HZ 100, (8, 12] ms at 250, (9, 10] ms at 1000 (level 0 of the timer wheel: no extra
 *   slack). fq_flush_timeout flushes even when the ring is empty;
 * - caching: strict, on hardware that caches non-present entries (VT-d caching mode, AMD
 *   NpCache), so iotlb_sync_map also flushes after every map — the driver decides that from
 *   its capability registers, the replay only calls iotlb_sync_map as iommu_map does.
 * DMA: 'none', 'mapped' (the device touches every mapped 4 KiB page once), or 'xlate'
 * (the IOVAs QEMU translated, in order, issued once their page is mapped).
 *
 * The trace's own timestamps pace the simulated clock. Units: bytes, simulated ns.
 * Source: include/trace/events/iommu.h, drivers/iommu/dma-iommu.c (flush queue); test/fixtures/README.md.
 */
import { IOMMU_READ, IOMMU_WRITE } from '../pt/types';
import type { Device, IommuDevice } from '../iommu/types';
import { iommuMap, iommuUnmap, newIotlbGather } from '../iommu/iommu';
import type { FtraceEvent } from '../trace/ftrace';
import { FTRACE_TRACK } from '../trace/ftrace-record';
import type { QemuTranslation } from '../trace/qemu';
import { NULL_RECORDER, type Recorder } from '../trace/types';

export type FlushPolicy = 'strict' | 'lazy' | 'caching';
export type ReplayDma = 'none' | 'mapped' | 'xlate';

/** Flush-queue constants of drivers/iommu/dma-iommu.c (IOVA_DEFAULT_FQ_SIZE, IOVA_DEFAULT_FQ_TIMEOUT). */
export const IOVA_FQ_SIZE = 256;
export const IOVA_FQ_TIMEOUT_NS = 10_000_000;
/** CONFIG_HZ values the flush-queue timer can run at; Debian's amd64/arm64 kernels use 250. */
export const HZ_VALUES = [100, 250, 1000] as const;
export type Hz = (typeof HZ_VALUES)[number];

/** msecs_to_jiffies(IOVA_DEFAULT_FQ_TIMEOUT) at `hz`: whole jiffies, rounded up. */
export function fqTimeoutJiffies(hz: Hz): number {
  return Math.ceil((IOVA_FQ_TIMEOUT_NS * hz) / 1e9);
}

/**
 * Simulated time at which the flush-queue timer armed at `now` ns fires: on the tick where
 * jiffies = floor(now / tick) + fqTimeoutJiffies(hz) (jiffies count from simulated time 0).
 */
export function fqTimerExpiry(now: number, hz: Hz): number {
  const tick = 1e9 / hz;
  return (Math.floor(now / tick) + fqTimeoutJiffies(hz)) * tick;
}

const PAGE = 4096;

export interface ReplayOptions {
  flushPolicy: FlushPolicy;
  /** CONFIG_HZ of the replayed kernel: the lazy policy's flush-queue timer ticks at it. Default 250. */
  hz?: Hz;
  dma: ReplayDma;
  /** QEMU translations (from parseQemuXlate) for dma = 'xlate'. */
  xlate?: QemuTranslation[];
  /** Records each replayed event as the kernel's iommu:map / iommu:unmap slice (core/trace/ftrace-record.ts layout). */
  recorder?: Recorder;
  /** Called once the domain is allocated and attached, before the first event (set-up done). */
  onAttached?: () => void;
  /** Called every 4096 events (index 0, 4096, …) with (index, events.length), and at the end with (total, total). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Checked every 4096 events (with onProgress): once `aborted` is true the replay stops
   * there, flushes what it queued as at the end of a trace, and returns with `cancelled`.
   * Results of a replay that is not aborted do not depend on it.
   */
  signal?: { readonly aborted: boolean };
}

export interface ReplayStats {
  /** ftrace map events (one per sg segment) and the dma_map_sg lists they form. */
  maps: number;
  mapLists: number;
  unmaps: number;
  mappedBytes: number;
  unmappedBytes: number;
  /** Map/unmap calls the model refused (errno name → count); zero for a clean trace. */
  errors: Record<string, number>;
  syncs: number;
  flushAll: number;
  dmaAccesses: number;
  dmaFaults: number;
  /** Simulated time at the end of the replay, ns. */
  endNs: number;
  /** Lazy policy: flush_iotlb_all calls by the flush-queue timer and by a full ring. */
  fqTimerFlushes: number;
  fqFullFlushes: number;
  /** Present (true) only when `signal` stopped the replay before the end of the trace. */
  cancelled?: true;
}

/**
 * Replay `events` into a fresh paging domain of `driver` attached to `dev`.
 * @returns counts; refused calls are counted in `errors`, never thrown.
 * @throws Error when the driver cannot allocate or attach a domain.
 */
export function replayTrace(driver: IommuDevice, dev: Device, events: FtraceEvent[], o: ReplayOptions): ReplayStats {
  const domain = driver.domainAllocPagingFlags(dev, 0);
  if (typeof domain === 'number') throw new Error(`domain_alloc_paging failed: ${domain}`);
  const rc = domain.ops.attachDev(domain, dev);
  if (rc !== 0) throw new Error(`attach_dev failed: ${rc}`);
  o.onAttached?.();
  const stats: ReplayStats = { maps: 0, mapLists: 0, unmaps: 0, mappedBytes: 0, unmappedBytes: 0, errors: {}, syncs: 0, flushAll: 0, fqTimerFlushes: 0, fqFullFlushes: 0, dmaAccesses: 0, dmaFaults: 0, endNs: 0 };
  const hz = o.hz ?? 250;
  const clock = driver.clock;
  const rec = o.recorder ?? NULL_RECORDER;
  const t0 = events.find((e) => e.event === 'map' || e.event === 'unmap')?.ts ?? 0;
  const base = clock.now;
  const fail = (errno: number): void => {
    const k = String(errno);
    stats.errors[k] = (stats.errors[k] ?? 0) + 1;
  };
  const dma = (iova: number, length: number, write: boolean): void => {
    stats.dmaAccesses++;
    if (driver.dma(dev, 0, iova, length, write) !== 0) stats.dmaFaults++;
  };
  // Live mappings by 4 KiB page, for xlate-driven DMA.
  const live = new Set<number>();
  const xl = o.xlate ?? [];
  let xi = 0;
  let fqCount = 0;
  /** Flush-queue timer expiry (simulated ns), -1 when not armed. */
  let fqTimerAt = -1;
  let groupStart = 0;
  let groupLen = 0;
  const endGroup = (): void => {
    if (groupLen === 0) return;
    domain.ops.iotlbSyncMap(domain, groupStart, groupLen);
    stats.mapLists++;
    groupLen = 0;
  };
  const flushQueue = (): void => {
    domain.ops.flushIotlbAll(domain);
    stats.flushAll++;
    fqCount = 0;
  };

  for (let i = 0; i < events.length; i++) {
    if (i % 4096 === 0) {
      o.onProgress?.(i, events.length);
      if (o.signal?.aborted) {
        stats.cancelled = true;
        break;
      }
    }
    const e = events[i];
    if (e.event !== 'map' && e.event !== 'unmap') continue;
    const ts = base + (e.ts - t0);
    if (ts > clock.now) clock.now = ts;
    if (o.flushPolicy === 'lazy' && fqTimerAt >= 0 && clock.now >= fqTimerAt) {
      // fq_flush_timeout: clear fq_timer_on, flush_iotlb_all, free every ring.
      fqTimerAt = -1;
      stats.fqTimerFlushes++;
      flushQueue();
    }
    if (e.event === 'map') {
      stats.maps++;
      // ftrace logs one map per segment of a dma_map_sg list; iommu_map_sg maps every
      // segment (__iommu_map) and calls iotlb_sync_map once for the list, which is what
      // caching-mode hardware flushes on. Segments of one list are IOVA-contiguous
      // (the IOVA allocator hands out one range per list, top-down).
      if (groupLen > 0 && e.iova !== groupStart + groupLen) endGroup();
      const err = iommuMap(domain, e.iova, e.paddr, e.size, IOMMU_READ | IOMMU_WRITE, false);
      if (err !== 0) {
        fail(err);
        continue;
      }
      if (groupLen === 0) groupStart = e.iova;
      groupLen += e.size;
      stats.mappedBytes += e.size;
      if (rec.enabled) rec.slice(FTRACE_TRACK, 'iommu:map', ts, clock.now - ts, { iova: e.iova, length: e.size, paddr: e.paddr });
      if (o.dma === 'mapped') for (let a = e.iova; a < e.iova + e.size; a += PAGE) dma(a, Math.min(PAGE, e.iova + e.size - a), true);
      if (o.dma === 'xlate') {
        for (let a = e.iova - (e.iova % PAGE); a < e.iova + e.size; a += PAGE) live.add(a);
        while (xi < xl.length && live.has(xl[xi].iova - (xl[xi].iova % PAGE))) {
          const t = xl[xi++];
          dma(t.iova, 1, t.perm === null ? true : (t.perm & 2) !== 0);
        }
      }
    } else {
      endGroup();
      stats.unmaps++;
      const gather = newIotlbGather();
      gather.queued = o.flushPolicy === 'lazy';
      const n = iommuUnmap(domain, e.iova, e.size, gather);
      if (n !== e.size) fail(n === 0 ? -2 : -22);
      stats.unmappedBytes += n;
      if (rec.enabled) rec.slice(FTRACE_TRACK, 'iommu:unmap', ts, clock.now - ts, { iova: e.iova, length: e.size, unmapped_size: n });
      if (o.dma === 'xlate') for (let a = e.iova - (e.iova % PAGE); a < e.iova + e.size; a += PAGE) live.delete(a);
      if (o.flushPolicy === 'lazy') {
        // queue_iova: a full ring (255 of 256 slots) is flushed before the entry is added.
        if (fqCount === IOVA_FQ_SIZE - 1) {
          stats.fqFullFlushes++;
          flushQueue();
        }
        fqCount++;
        if (fqTimerAt < 0) fqTimerAt = fqTimerExpiry(clock.now, hz);
      } else {
        domain.ops.iotlbSync(domain, gather);
        stats.syncs++;
      }
    }
  }
  endGroup();
  if (fqCount > 0) flushQueue();
  if (!stats.cancelled) o.onProgress?.(events.length, events.length);
  stats.endNs = clock.now;
  return stats;
}
