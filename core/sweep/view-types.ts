/**
 * Shapes the Sweep view reads (electron/api.ts re-exports them; pure types so the renderer's
 * type check can read them). Times in simulated ns, sizes in bytes.
 */

/** A metric of the `results` table the view can plot. */
export interface SweepMetric {
  /** Column of `results`, e.g. "bitmap_read_ns". */
  key: string;
  label: string;
  unit: 'ns' | 'count' | 'bytes' | 'rate';
}

/** A swept parameter and the values it takes. */
export interface SweepAxisInfo {
  path: string;
  /** 'bytes' for sizes. */
  unit: 'bytes' | null;
  /** Numeric axes plot on a numeric x scale; the others as categories. */
  numeric: boolean;
  /** Distinct values, ascending (strings for categories, JSON text for lists). */
  values: (number | string)[];
}

/** A merged sweep result opened by the view (`openSweep`). */
export interface SweepInfo {
  /** The results database read (DIR/results.duckdb when a directory was opened). */
  path: string;
  name: string;
  hash: string;
  /** Points of the sweep / points merged. */
  count: number;
  points: number;
  vendors: string[];
  axes: SweepAxisInfo[];
  metrics: SweepMetric[];
  /** Whether `path` was (re)merged from the directory's point files by this call. */
  merged: boolean;
}

/** One recorded point behind a plotted value: its file and the vendor's run in it. */
export interface SweepRunRef {
  point: number;
  file: string;
  runId: number | null;
  value: number | null;
}

/** Request of `sweepSeries`: y = metric over x = one axis, the other axes fixed by `filters` or pooled. */
export interface SweepSeriesRequest {
  /** The results database (SweepInfo.path). */
  path: string;
  /** Axis path on the x axis. */
  x: string;
  /** SweepMetric.key. */
  metric: string;
  /** Axis path → value; axes neither x nor filtered (e.g. `seed`) are pooled into the band. */
  filters: Record<string, number | string | boolean>;
}

/** One line per vendor: mean of the pooled points at each x, their min and max (the band). */
export interface SweepSeries {
  x: SweepAxisInfo;
  metric: SweepMetric;
  vendors: {
    vendor: string;
    /** One entry per x value (null where the vendor has no point there). */
    mean: (number | null)[];
    min: (number | null)[];
    max: (number | null)[];
    /** Points pooled at each x. */
    n: number[];
    runs: SweepRunRef[][];
  }[];
}
