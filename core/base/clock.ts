/**
 * Simulated clock, in nanoseconds. Every hardware action advances it by a cost taken from
 * the vendor cost model (core/hw/cost). Never wall-clock time. DESIGN.md section 3.3.
 */
export class SimClock {
  /** Current simulated time in ns. */
  now = 0;
  /** Advance by `ns` (>= 0) and return the new time. */
  advance(ns: number): number {
    this.now += ns;
    return this.now;
  }
}
