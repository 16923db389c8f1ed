/**
 * Contract of the trace recorder every engine layer writes to (core/trace owns the
 * implementation and the event catalogue). Timestamps are simulated ns (core/hw/clock).
 * Cost when recording is off must be near zero: callers test `rec.enabled` (a plain field)
 * before building arguments.
 *
 * Source: DESIGN.md section 4; spec/upstream-uapi.md §6 (kernel trace event names).
 */
export type ArgValue = number | string | boolean | null;

export interface Recorder {
  /** False when recording is off: callers skip building arguments. */
  readonly enabled: boolean;
  /** True when every DMA access is to be recorded individually. */
  readonly traceDma: boolean;
  /**
   * A slice (an operation with a duration) on a track such as 'iommufd', 'domain',
   * 'driver', 'hw.cmdq', 'hw.fault', 'migration'. `name` is a catalogue event name
   * (e.g. 'iommu:map', 'IOMMU_IOAS_MAP', 'qi_submit'); ts/dur in simulated ns.
   */
  slice(track: string, name: string, ts: number, dur: number, args?: Record<string, ArgValue>): void;
  /** An instant event (dur 0). */
  instant(track: string, name: string, ts: number, args?: Record<string, ArgValue>): void;
  /** Add `delta` to a bucketed counter series (e.g. 'dirty_pages', 'iotlb_miss') at ts. */
  count(counter: string, ts: number, delta: number): void;
}

/** A recorder that records nothing (the default when recording is off). */
export const NULL_RECORDER: Recorder = {
  enabled: false,
  traceDma: false,
  slice() {},
  instant() {},
  count() {},
};
