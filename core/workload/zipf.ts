/**
 * Seeded zipfian sampler over ranks [0, n), the YCSB generator (Gray et al., "Quickly
 * generating billion-record synthetic databases", SIGMOD 1994): O(n) set-up for zeta(n),
 * O(1) per sample. Rank 0 is the hottest item.
 */
import type { Rng } from '../base/rng';

export class Zipf {
  private readonly alpha: number;
  private readonly zetan: number;
  private readonly eta: number;
  private readonly half: number;

  /** @param n number of items (>= 1) @param theta skew in [0, 1) */
  constructor(
    private readonly n: number,
    private readonly theta: number,
    private readonly rng: Rng,
  ) {
    let zetan = 0;
    for (let i = 1; i <= n; i++) zetan += 1 / Math.pow(i, theta);
    const zeta2 = 1 + 1 / Math.pow(2, theta);
    this.zetan = zetan;
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - Math.pow(2 / n, 1 - theta)) / (1 - zeta2 / zetan);
    this.half = Math.pow(0.5, theta);
  }

  /** Next rank in [0, n). */
  next(): number {
    const u = this.rng.next();
    const uz = u * this.zetan;
    if (uz < 1) return 0;
    if (uz < 1 + this.half) return Math.min(1, this.n - 1);
    const r = Math.floor(this.n * Math.pow(this.eta * u - this.eta + 1, this.alpha));
    return r >= this.n ? this.n - 1 : r;
  }
}
