/**
 * Replay a real kernel trace's map/unmap sequence (ftrace `iommu:map` / `iommu:unmap`)
 * through one vendor model, with the Linux DMA layer's flush policy:
 * - strict: every unmap is followed by iotlb_sync of its gather (iommu.strict=1);
 * - lazy: unmaps are queued; a domain-wide flush_iotlb_all runs when the flush queue holds
 *   IOVA_FQ_SIZE (256) entries or IOVA_FQ_TIMEOUT (10 ms) has passed (drivers/iommu/dma-iommu.c);
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

/** Flush-queue constants of drivers/iommu/dma-iommu.c. */
export const IOVA_FQ_SIZE = 256;
export const IOVA_FQ_TIMEOUT_NS = 10_000_000;

const PAGE = 4096;

export interface ReplayOptions {
  flushPolicy: FlushPolicy;
  dma: ReplayDma;
  /** QEMU translations (from parseQemuXlate) for dma = 'xlate'. */
  xlate?: QemuTranslation[];
  /** Records each replayed event as the kernel's iommu:map / iommu:unmap slice (core/trace/ftrace-record.ts layout). */
  recorder?: Recorder;
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
  const stats: ReplayStats = { maps: 0, mapLists: 0, unmaps: 0, mappedBytes: 0, unmappedBytes: 0, errors: {}, syncs: 0, flushAll: 0, dmaAccesses: 0, dmaFaults: 0, endNs: 0 };
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
  let fqStart = 0;
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
    if (o.flushPolicy === 'lazy' && fqCount > 0 && clock.now - fqStart >= IOVA_FQ_TIMEOUT_NS) flushQueue();
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
        if (fqCount === 0) fqStart = clock.now;
        if (++fqCount >= IOVA_FQ_SIZE) flushQueue();
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
