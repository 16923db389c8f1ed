/**
 * Columnar event batches: the unit the recorder hands to a sink (in-process for tests, or
 * posted to the SQLite writer worker with its ArrayBuffers transferred, zero-copy).
 *
 * Strings (event names, track names, argument keys, string argument values) are interned
 * to small integer ids by the recorder; each batch carries the strings first interned
 * since the previous batch (`strings`, ids `strBase`, `strBase + 1`, ...), so a consumer
 * that sees every batch in order can rebuild the table.
 *
 * Missing numeric values are NaN (stored as SQL NULL). Times are simulated ns.
 */
export interface EventBatch {
  /** Sequence number, 0, 1, 2, ... per recorder. */
  readonly seq: number;
  /** Id of the first string in `strings`. */
  readonly strBase: number;
  /** Strings first interned since the previous batch. */
  readonly strings: string[];
  /** Number of slice rows used in the column arrays below (arrays may be longer). */
  readonly count: number;
  readonly ts: Float64Array;
  readonly dur: Float64Array;
  /** Track name id (string id). */
  readonly track: Int32Array;
  /** Event name id (string id). */
  readonly name: Int32Array;
  /** Hot argument columns; NaN = absent. errno is the positive errno number, 0 = success. */
  readonly iova: Float64Array;
  readonly length: Float64Array;
  readonly errno: Float64Array;
  /** Number of rows in the arg columns. */
  readonly argCount: number;
  /** Index (0-based, within this batch) of the slice the argument belongs to. */
  readonly argSlice: Int32Array;
  readonly argKey: Int32Array;
  /** Numeric value (NaN when the value is a string or null). */
  readonly argNum: Float64Array;
  /** String value id, or -1. */
  readonly argStr: Int32Array;
  /** Number of counter rows. */
  readonly counterCount: number;
  /** Counter name id (string id). */
  readonly counterName: Int32Array;
  /** Bucket start, simulated ns. */
  readonly counterTs: Float64Array;
  /** Interval the delta accrued over, ns (the recorder's bucket width, or a countSpan interval). */
  readonly counterDur: Float64Array;
  /** Sum of deltas in the bucket. */
  readonly counterValue: Float64Array;
  /** Per-name totals of this batch's slices (one row per name seen): name id, count, dur sum, failures (errno > 0). */
  readonly statCount: number;
  readonly statName: Int32Array;
  readonly statSlices: Float64Array;
  readonly statDur: Float64Array;
  readonly statErr: Float64Array;
}

/** Receives batches in order. `write` may take ownership of (transfer) the arrays. */
export interface BatchSink {
  write(batch: EventBatch): void;
}

/** The ArrayBuffers of a batch, for `postMessage(batch, transferList)`. */
export function batchTransferList(b: EventBatch): ArrayBuffer[] {
  const arrays = [b.ts, b.dur, b.track, b.name, b.iova, b.length, b.errno, b.argSlice, b.argKey, b.argNum, b.argStr, b.counterName, b.counterTs, b.counterDur, b.counterValue, b.statName, b.statSlices, b.statDur, b.statErr];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/** A sink that keeps every batch (tests, in-memory analysis). */
export class MemorySink implements BatchSink {
  readonly batches: EventBatch[] = [];
  write(batch: EventBatch): void {
    this.batches.push(batch);
  }
}

/** One decoded slice, for tests and small consumers (not for hot paths). */
export interface DecodedSlice {
  ts: number;
  dur: number;
  track: string;
  name: string;
  args: Record<string, number | string | null>;
}

/** Decode batches back to plain objects (rebuilding the string table). */
export function decodeBatches(batches: readonly EventBatch[]): { slices: DecodedSlice[]; counters: { name: string; ts: number; dur: number; value: number }[] } {
  const str: string[] = [];
  const slices: DecodedSlice[] = [];
  const counters: { name: string; ts: number; dur: number; value: number }[] = [];
  for (const b of batches) {
    b.strings.forEach((s, i) => (str[b.strBase + i] = s));
    const base = slices.length;
    for (let i = 0; i < b.count; i++) {
      const args: Record<string, number | string | null> = {};
      if (!Number.isNaN(b.iova[i])) args.iova = b.iova[i];
      if (!Number.isNaN(b.length[i])) args.length = b.length[i];
      if (!Number.isNaN(b.errno[i])) args.errno = b.errno[i];
      slices.push({ ts: b.ts[i], dur: b.dur[i], track: str[b.track[i]], name: str[b.name[i]], args });
    }
    for (let j = 0; j < b.argCount; j++) {
      const v = b.argStr[j] >= 0 ? str[b.argStr[j]] : Number.isNaN(b.argNum[j]) ? null : b.argNum[j];
      slices[base + b.argSlice[j]].args[str[b.argKey[j]]] = v;
    }
    for (let j = 0; j < b.counterCount; j++) {
      counters.push({ name: str[b.counterName[j]], ts: b.counterTs[j], dur: b.counterDur?.[j] ?? 0, value: b.counterValue[j] });
    }
  }
  return { slices, counters };
}
