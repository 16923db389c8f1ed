/**
 * BufferedRecorder: the Recorder implementation (contract in ./types). Events go into
 * preallocated typed-array columns; when `batchSize` slices (or `batchSize` args) have
 * accumulated, the columns are handed to the sink as one EventBatch and fresh arrays are
 * allocated (the sink may transfer the old ones to a worker). Names are interned to ids.
 *
 * Counters are summed per bucket of `bucketNs` simulated ns (bucket start = floor(ts /
 * bucketNs) * bucketNs). A bucket row is emitted when the counter moves to another bucket
 * and at every flush, so the same (counter, bucket) may appear in several batches: consumers
 * add them up (the store upserts). Such rows carry `dur` 0 (the delta accrued somewhere in
 * the bucket that starts at ts). {@link BufferedRecorder.countSpan} records a delta that accrued
 * uniformly over an interval as one row with that interval's duration, so a rate drawn from
 * the store is the same at every bucket width (core/store/queries/slices.ts counterBuckets).
 *
 * Timestamps and durations are integer ns: slice times are rounded to the nearest ns (cost
 * models may advance the clock by fractions of a ns).
 *
 * Invalidation events (catalogue category 'invalidation') also count into `inv.<name>` and
 * `invalidations`, so per-type invalidation series exist without extra engine calls.
 *
 * Cost when off: use NULL_RECORDER (./types); callers test `rec.enabled` first.
 */
import type { ArgValue, ArgsOf, Recorder } from './types';
import type { BatchSink, EventBatch } from './batch';
import { eventSpec, type CounterName, type EventName, type TrackOf } from './events';
import { ERRNO } from '../base/errno';

/** Options for {@link BufferedRecorder}. */
export interface RecorderOptions {
  /** Slices per batch (default 65536). */
  batchSize?: number;
  /** Counter bucket width in simulated ns (default 1_000_000 = 1 ms). */
  bucketNs?: number;
  /** Record every DMA access individually (Recorder.traceDma). Default false. */
  traceDma?: boolean;
}

const ERRNO_BY_NAME = ERRNO as Record<string, number>;

/** errno argument → positive errno number (0 = success); NaN when not representable. */
export function errnoValue(v: ArgValue): number {
  if (typeof v === 'number') return Math.abs(v);
  if (typeof v === 'string') return ERRNO_BY_NAME[v] ?? (v === '' || v === 'OK' ? 0 : NaN);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return NaN;
}

export class BufferedRecorder implements Recorder {
  readonly enabled = true;
  readonly traceDma: boolean;
  readonly bucketNs: number;
  private readonly cap: number;
  private readonly sink: BatchSink;
  private readonly ids = new Map<string, number>();
  private newStrings: string[] = [];
  private strBase = 0;
  private seq = 0;
  // Slice columns.
  private n = 0;
  private ts!: Float64Array;
  private dur!: Float64Array;
  private track!: Int32Array;
  private name!: Int32Array;
  private iova!: Float64Array;
  private len!: Float64Array;
  private errno!: Float64Array;
  // Arg columns.
  private na = 0;
  private argSlice!: Int32Array;
  private argKey!: Int32Array;
  private argNum!: Float64Array;
  private argStr!: Int32Array;
  // Counters: current bucket and sum per counter id (indexed by string id).
  private cBucket: number[] = [];
  private cSum: number[] = [];
  private cActive: number[] = [];
  private cRows: { name: number[]; ts: number[]; dur: number[]; value: number[] } = { name: [], ts: [], dur: [], value: [] };
  // Per-name totals of the current batch (indexed by name id) and the ids touched.
  private sCount: number[] = [];
  private sDur: number[] = [];
  private sErr: number[] = [];
  private sActive: number[] = [];
  /** Per string id: 1 if the name is an invalidation event (derived counters), 0 if not, undefined unknown. */
  private invFlag: (number | undefined)[] = [];
  private readonly invTotal: number;

  constructor(sink: BatchSink, opts: RecorderOptions = {}) {
    this.sink = sink;
    this.cap = opts.batchSize ?? 65536;
    this.bucketNs = opts.bucketNs ?? 1_000_000;
    this.traceDma = opts.traceDma ?? false;
    if (!(this.cap > 0) || !(this.bucketNs > 0)) throw new RangeError('batchSize and bucketNs must be > 0');
    this.alloc();
    this.invTotal = this.intern('invalidations');
  }

  /** Intern a string; returns its id (stable for the recorder's life). */
  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(s, id);
      this.newStrings.push(s);
    }
    return id;
  }

  slice<E extends EventName>(track: TrackOf<E>, name: E, ts: number, dur: number, args?: ArgsOf<E>): void {
    this.record(track, name, ts, dur, args as Record<string, ArgValue> | undefined);
  }

  instant<E extends EventName>(track: TrackOf<E>, name: E, ts: number, args?: ArgsOf<E>): void {
    this.record(track, name, ts, 0, args as Record<string, ArgValue> | undefined);
  }

  count(counter: CounterName, ts: number, delta: number): void {
    this.countId(this.intern(counter), ts, delta);
  }

  /** The untyped body of slice/instant (names are plain strings at run time). */
  private record(track: string, name: string, ts: number, dur: number, args: Record<string, ArgValue> | undefined): void {
    const i = this.n;
    const nameId = this.intern(name);
    // Integer ns everywhere (the store's ts/dur columns are INTEGER; keyset cursors are ints).
    const t = Math.round(ts);
    dur = Math.round(ts + dur) - t;
    ts = t;
    this.ts[i] = ts;
    this.dur[i] = dur;
    this.track[i] = this.intern(track);
    this.name[i] = nameId;
    let iova = NaN;
    let len = NaN;
    let errno = NaN;
    if (args !== undefined) {
      for (const k in args) {
        const v = args[k];
        if (k === 'iova' && typeof v === 'number') iova = v;
        else if (k === 'length' && typeof v === 'number') len = v;
        else if (k === 'errno' && !Number.isNaN(errnoValue(v))) errno = errnoValue(v);
        else this.arg(i, k, v);
      }
    }
    this.iova[i] = iova;
    this.len[i] = len;
    this.errno[i] = errno;
    this.n = i + 1;
    if (!(this.sCount[nameId] > 0)) {
      this.sActive.push(nameId);
      this.sCount[nameId] = 0;
      this.sDur[nameId] = 0;
      this.sErr[nameId] = 0;
    }
    this.sCount[nameId]++;
    this.sDur[nameId] += dur;
    if (errno > 0) this.sErr[nameId]++;
    let inv = this.invFlag[nameId];
    if (inv === undefined) inv = this.invFlag[nameId] = eventSpec(name)?.category === 'invalidation' ? this.intern(`inv.${name}`) : -1;
    if (inv >= 0) {
      this.countId(inv, ts, 1);
      this.countId(this.invTotal, ts, 1);
    }
    if (this.n === this.cap || this.na >= this.cap) this.flush();
  }

  /**
   * Add `delta` to counter `counter` as accrued uniformly over [t0, t1) simulated ns (bytes
   * sent during a transfer window, DMA of a sample window): one counter row with ts = t0 and
   * dur = t1 - t0 (rounded to integer ns). An empty interval is a point count at t0.
   */
  countSpan(counter: CounterName, t0: number, t1: number, delta: number): void {
    const a = Math.round(t0);
    const b = Math.round(t1);
    if (b <= a) return this.count(counter, t0, delta);
    if (delta === 0) return;
    this.cRows.name.push(this.intern(counter));
    this.cRows.ts.push(a);
    this.cRows.dur.push(b - a);
    this.cRows.value.push(delta);
  }

  /** Hand everything buffered (slices, args, open counter buckets) to the sink. */
  flush(): void {
    for (const id of this.cActive) this.emitCounter(id);
    this.cActive = [];
    if (this.n === 0 && this.na === 0 && this.cRows.name.length === 0 && this.newStrings.length === 0) return;
    const c = this.cRows;
    const act = this.sActive;
    const batch: EventBatch = {
      seq: this.seq++,
      strBase: this.strBase,
      strings: this.newStrings,
      count: this.n,
      ts: this.ts,
      dur: this.dur,
      track: this.track,
      name: this.name,
      iova: this.iova,
      length: this.len,
      errno: this.errno,
      argCount: this.na,
      argSlice: this.argSlice,
      argKey: this.argKey,
      argNum: this.argNum,
      argStr: this.argStr,
      counterCount: c.name.length,
      counterName: Int32Array.from(c.name),
      counterTs: Float64Array.from(c.ts),
      counterDur: Float64Array.from(c.dur),
      counterValue: Float64Array.from(c.value),
      statCount: act.length,
      statName: Int32Array.from(act),
      statSlices: Float64Array.from(act, (id) => this.sCount[id]),
      statDur: Float64Array.from(act, (id) => this.sDur[id]),
      statErr: Float64Array.from(act, (id) => this.sErr[id]),
    };
    for (const id of act) this.sCount[id] = 0;
    this.sActive = [];
    this.strBase += this.newStrings.length;
    this.newStrings = [];
    this.cRows = { name: [], ts: [], dur: [], value: [] };
    this.alloc();
    this.sink.write(batch);
  }

  private arg(slice: number, key: string, v: ArgValue): void {
    const j = this.na++;
    if (j === this.argKey.length) this.growArgs();
    this.argSlice[j] = slice;
    this.argKey[j] = this.intern(key);
    if (typeof v === 'string') {
      this.argStr[j] = this.intern(v);
      this.argNum[j] = NaN;
    } else {
      this.argStr[j] = -1;
      this.argNum[j] = v === null ? NaN : typeof v === 'boolean' ? (v ? 1 : 0) : v;
    }
  }

  private countId(id: number, ts: number, delta: number): void {
    const b = Math.floor(ts / this.bucketNs);
    const cur = this.cBucket[id];
    if (cur === b) {
      this.cSum[id] += delta;
      return;
    }
    if (cur === undefined || Number.isNaN(cur)) this.cActive.push(id);
    else this.emitCounter(id);
    this.cBucket[id] = b;
    this.cSum[id] = delta;
  }

  private emitCounter(id: number): void {
    const b = this.cBucket[id];
    if (b === undefined || Number.isNaN(b)) return;
    this.cRows.name.push(id);
    this.cRows.ts.push(b * this.bucketNs);
    this.cRows.dur.push(0);
    this.cRows.value.push(this.cSum[id]);
    this.cBucket[id] = NaN;
    this.cSum[id] = 0;
  }

  /** A slice with many args can overrun the arg columns before the flush check: grow them. */
  private growArgs(): void {
    const n = this.argKey.length * 2;
    const g = <T extends Int32Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
    this.argSlice = g(this.argSlice, new Int32Array(n));
    this.argKey = g(this.argKey, new Int32Array(n));
    this.argNum = g(this.argNum, new Float64Array(n));
    this.argStr = g(this.argStr, new Int32Array(n));
  }

  private alloc(): void {
    const n = this.cap;
    this.n = 0;
    this.na = 0;
    this.ts = new Float64Array(n);
    this.dur = new Float64Array(n);
    this.track = new Int32Array(n);
    this.name = new Int32Array(n);
    this.iova = new Float64Array(n);
    this.len = new Float64Array(n);
    this.errno = new Float64Array(n);
    this.argSlice = new Int32Array(n);
    this.argKey = new Int32Array(n);
    this.argNum = new Float64Array(n);
    this.argStr = new Int32Array(n);
  }
}
