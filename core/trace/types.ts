/**
 * Contract of the trace recorder every engine layer writes to (core/trace owns the
 * implementation and the event catalogue, ./events.ts). Timestamps are simulated ns
 * (core/base/clock). Cost when recording is off must be near zero: callers test
 * `rec.enabled` (a plain field) before building arguments.
 *
 * Recording is typed by the catalogue: an event name outside it, the wrong track for it, an
 * argument key it does not declare or an unknown counter is a compile error. The types are
 * compile-time only; at run time names are plain strings (the recorder interns them).
 * Design: docs/trace-store.md; kernel trace event names: include/trace/events/iommu.h.
 */
import type { ArgKey, CounterName, EventName, TrackOf } from './events';

export type ArgValue = number | string | boolean | null;

/** The arguments event `E` may carry (each optional). */
export type ArgsOf<E extends EventName> = { readonly [K in ArgKey<E>]?: ArgValue };

export interface Recorder {
  /** False when recording is off: callers skip building arguments. */
  readonly enabled: boolean;
  /** True when every DMA access is to be recorded individually. */
  readonly traceDma: boolean;
  /**
   * A slice (an operation with a duration) of catalogue event `name` on its track (e.g.
   * 'iommufd' for 'IOMMU_IOAS_MAP', 'hw.cmdq' for 'qi_submit'); ts/dur in simulated ns.
   */
  slice<E extends EventName>(track: TrackOf<E>, name: E, ts: number, dur: number, args?: ArgsOf<E>): void;
  /** An instant event (dur 0). */
  instant<E extends EventName>(track: TrackOf<E>, name: E, ts: number, args?: ArgsOf<E>): void;
  /** Add `delta` to a bucketed catalogue counter series (e.g. 'dirty_pages', 'iotlb_miss') at ts. */
  count(counter: CounterName, ts: number, delta: number): void;
  /**
   * Add `delta` accrued uniformly over [t0, t1) simulated ns (e.g. 'migration_bytes' over a
   * round's transfer window), so rates read from the store are events ÷ time at any zoom.
   */
  countSpan(counter: CounterName, t0: number, t1: number, delta: number): void;
}

/**
 * The recorder without the catalogue's types: for tests of the recorder and store mechanics
 * (arbitrary names and argument keys). Engine code records through {@link Recorder}.
 */
export interface UntypedRecorder {
  readonly enabled: boolean;
  readonly traceDma: boolean;
  slice(track: string, name: string, ts: number, dur: number, args?: Record<string, ArgValue>): void;
  instant(track: string, name: string, ts: number, args?: Record<string, ArgValue>): void;
  count(counter: string, ts: number, delta: number): void;
  /**
   * Add `delta` accrued uniformly over [t0, t1) simulated ns (e.g. 'migration_bytes' over a
   * round's transfer window), so rates read from the store are events ÷ time at any zoom.
   */
  countSpan(counter: string, t0: number, t1: number, delta: number): void;
}

/** View a recorder as an {@link UntypedRecorder} (same object, no run-time cost). */
export function untyped(rec: Recorder): UntypedRecorder {
  return rec as unknown as UntypedRecorder;
}

/** A recorder that records nothing (the default when recording is off). */
export const NULL_RECORDER: Recorder = {
  enabled: false,
  traceDma: false,
  slice() {},
  instant() {},
  count() {},
  countSpan() {},
};
