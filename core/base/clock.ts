/**
 * Simulated clock, in nanoseconds. Every hardware action advances it by a cost taken from
 * the vendor cost model (core/hw/cost). Never wall-clock time (docs/architecture.md "Engine rules").
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
