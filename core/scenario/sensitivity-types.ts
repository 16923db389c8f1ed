/**
 * Shapes of a sensitivity report as `sensitivity --json` prints it and the UI's Sensitivity
 * view shows it (core/scenario/sensitivity.ts builds them). Pure types, so the API contract
 * (electron/api.ts) can share them with the renderer; `V` / `A` narrow vendor and cost-action
 * names where core builds them.
 */

/** Metrics whose ranking is checked: the headline (migration time, enable to switch-over) and the bitmap read time, ns. */
export type SensitivityMetric = 'migrationNs' | 'bitmapReadNs';

/** One (vendor, cost entry, scale) probe. */
export interface SensitivityProbe<V extends string = string, A extends string = string> {
  vendor: V;
  action: A;
  /** The entry's default value (ns) and the scale tried. */
  ns: number;
  scale: number;
  metric: SensitivityMetric;
  /** The vendor's metric at the defaults and at first order with the entry scaled, ns. */
  base: number;
  firstOrder: number;
  /** Ranking (vendor names, best first) at first order. */
  rankingFirstOrder: V[];
  flipsFirstOrder: boolean;
  /**
   * How close the probe comes to changing the ranking: its first-order move over the gap to the
   * nearest other vendor in the direction it moves (≥ 1 = flips at first order; 0 = no vendor
   * in that direction). The re-runs and the plain-language lines take the closest first.
   */
  closeness: number;
  /** When re-run: the vendor's metric (ns), the ranking and whether it flips. */
  rerun?: { value: number; ranking: V[]; flips: boolean };
}

/** The answer for one scenario. */
export interface SensitivityReport<V extends string = string, A extends string = string> {
  scenario: string;
  factor: number;
  /** Ranking per metric at the defaults, best (lowest) first. */
  ranking: Record<SensitivityMetric, V[]>;
  /** Every probe of an estimate entry that moves a metric at all, largest move first. */
  probes: SensitivityProbe<V, A>[];
}
