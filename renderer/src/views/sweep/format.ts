/** Formatting of swept parameters and sweep metrics (sizes in bytes, times in simulated ns). */
import type { SweepAxisInfo, SweepMetric } from '../../../../electron/api';
import { bytes, int, ns } from '../../lib/format';

/** A parameter value as a person reads it: "16 GiB", "4k", "[\"amd\",\"intel\"]". */
export function paramLabel(axis: Pick<SweepAxisInfo, 'unit'>, v: number | string | boolean): string {
  if (axis.unit === 'bytes' && typeof v === 'number') return bytes(v);
  return typeof v === 'number' ? int(v) : String(v);
}

/** A metric value with its unit. */
export function metricLabel(m: Pick<SweepMetric, 'unit'>, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  if (m.unit === 'ns') return ns(v);
  if (m.unit === 'bytes') return bytes(v);
  if (m.unit === 'rate') return `${(v * 100).toFixed(2)} %`;
  return Number.isInteger(v) ? int(v) : v.toPrecision(4);
}

/** Colours of the vendor lines: the app's vendor colours when it has them, else a palette. */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00'];
export function vendorColor(vendor: string, i: number): string {
  const css = getComputedStyle(document.documentElement).getPropertyValue(`--${vendor}`).trim();
  return css || PALETTE[i % PALETTE.length];
}
