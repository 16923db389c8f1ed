/**
 * Shapes of a kernel-trace replay job's input options and results (core/run/replay-worker.ts,
 * `npm run cli -- replay`); the API contract (electron/api.ts) re-exports them. Pure types
 * (no imports), so the renderer's type check can read them. Sizes in bytes, times in
 * simulated ns.
 */

/** DMA-layer flush policy of a replay (core/workload/replay.ts): strict | lazy | caching. */
export type ReplayFlushPolicy = 'strict' | 'lazy' | 'caching';
/** Device DMA of a replay: none | mapped (every mapped page once) | xlate (QEMU's translations, needs `xlateText`). */
export type ReplayDmaMode = 'none' | 'mapped' | 'xlate';

/** A malformed input line (1-based line number). */
export interface LineError {
  line: number;
  message: string;
}

/** What the importer made of the uploaded files. */
export interface ReplayImportSummary {
  /** Lines read, events parsed (all iommu:* kinds), and of those map / unmap / io_page_fault. */
  lines: number;
  events: number;
  maps: number;
  unmaps: number;
  faults: number;
  /** tracing_mark_write lines (phase labels) and lines of other, non-iommu events. */
  markers: number;
  skipped: number;
  /** Malformed lines (counted, never fatal) and the first few of them. */
  malformed: number;
  firstErrors: LineError[];
  /** The QEMU xlate file, when one was given. */
  xlate: { lines: number; translations: number; malformed: number; firstErrors: LineError[] } | null;
}

/** One vendor's replay (the CLI's result line). */
export interface ReplayVendorResult {
  vendor: string;
  vendorTitle: string;
  /** Run recorded for it (null when it failed before a run was started). */
  runId: number | null;
  maps: number;
  /** dma_map_sg lists the maps form (one iotlb_sync_map each). */
  mapLists: number;
  unmaps: number;
  mappedBytes: number;
  unmappedBytes: number;
  /** Map/unmap calls the model refused, total and per errno. */
  errors: number;
  errorsByErrno: Record<string, number>;
  syncs: number;
  flushAll: number;
  dmaAccesses: number;
  dmaFaults: number;
  /** Invalidation commands by name (SMMUv3 CMD_*, VT-d descriptors, AMD-Vi commands), as counted by the model. */
  commands: { name: string; count: number }[];
  /** Cache write-backs of IOPTE writes (non-coherent walks only): calls, cache lines and simulated CPU ns; null when none. */
  writeBacks: { calls: number; lines: number; cpuNs: number } | null;
  /** Simulated end time, ns. */
  endNs: number;
  /** Stopped by cancelJob before the end of the trace (its run is marked failed). */
  cancelled: boolean;
}
