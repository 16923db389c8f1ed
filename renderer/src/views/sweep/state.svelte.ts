/** The Sweep view's state, kept outside the component so it survives switching views. */
import type { SweepInfo, SweepSeries } from '../../../../electron/api';

const RECENT_KEY = 'wb.recentSweeps';

export const sweep = $state({
  info: null as SweepInfo | null,
  x: '',
  metric: 'bitmap_read_ns',
  /** Axis path → the value fixed, or '' to pool the axis into the band. */
  filters: {} as Record<string, string>,
  series: null as SweepSeries | null,
  /** Index of the x value whose points are listed. */
  selected: null as number | null,
});

/** Defaults for a newly opened sweep: x = the first numeric axis other than seed; seed pooled; others fixed to their first value. */
export function defaults(info: SweepInfo): void {
  const x = info.axes.find((a) => a.numeric && a.path !== 'seed' && a.values.length > 1) ?? info.axes.find((a) => a.values.length > 1) ?? info.axes[0];
  sweep.x = x?.path ?? '';
  sweep.filters = Object.fromEntries(info.axes.filter((a) => a.path !== sweep.x).map((a) => [a.path, a.path === 'seed' ? '' : String(a.values[0])]));
  if (!info.metrics.some((m) => m.key === sweep.metric)) sweep.metric = info.metrics[0]?.key ?? '';
  sweep.selected = null;
}

export function recentSweeps(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 8) : [];
  } catch {
    return [];
  }
}

export function rememberSweep(path: string): void {
  localStorage.setItem(RECENT_KEY, JSON.stringify([path, ...recentSweeps().filter((p) => p !== path)].slice(0, 8)));
}
