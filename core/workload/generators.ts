/**
 * Seeded device DMA workload generators. Each turns a simulated time window into a sequence
 * of DMA accesses (IOVA, length, direction, timestamp) delivered to a sink, which drives the
 * hardware model's DMA path (so A/D bits, IOTLB hits and faults come from the model).
 * Guest memory is identity-mapped: IOVA = guest physical address, [0, guestBytes).
 *
 * Units: bytes, simulated ns; rates per simulated second.
 */
import { Rng } from '../base/rng';
import type { Workload } from './schema';
import { Zipf } from './zipf';

const PAGE = 4096;

/** Receives generated DMA accesses in timestamp order. */
export interface DmaSink {
  dma(iova: number, length: number, write: boolean, ts: number): void;
}

/** A workload instance: call `run` for consecutive windows [t0, t1). */
export interface WorkloadGenerator {
  readonly kind: Workload['kind'];
  /** Accesses per simulated second the workload asks for (its demand). */
  readonly ratePerSec: number;
  /**
   * Emit the accesses due in [t0, t1) ns; returns how many were emitted. `scale` (0..1,
   * default 1) is the fraction of the demand the device can sustain in this window
   * (core/workload/device.ts): a translation-bound device issues fewer accesses.
   */
  run(t0: number, t1: number, sink: DmaSink, scale?: number): number;
}

/** Spreads `ratePerSec` events evenly over windows, carrying fractions between them. */
class Pacer {
  private carry = 0;
  constructor(readonly ratePerSec: number) {}
  count(t0: number, t1: number, scale = 1): number {
    const exact = ((t1 - t0) * this.ratePerSec * scale) / 1e9 + this.carry;
    const n = Math.floor(exact);
    this.carry = exact - n;
    return n;
  }
}

function emitEvenly(t0: number, t1: number, n: number, each: (ts: number) => void): number {
  const step = (t1 - t0) / Math.max(n, 1);
  for (let i = 0; i < n; i++) each(t0 + Math.floor(i * step));
  return n;
}

/** Pick a page-aligned offset for a region of `bytes` inside the guest. */
function regionBase(rng: Rng, guestBytes: number, bytes: number): number {
  const pages = Math.max(1, Math.floor((guestBytes - bytes) / PAGE) + 1);
  return rng.int(pages) * PAGE;
}

/**
 * Build the generator for one device's workload (kernel traces are replayed by
 * core/workload/replay, not generated).
 * @throws Error for a region larger than the guest (the scenario schema refuses those first).
 */
export function createGenerator(w: Workload, guestBytes: number, seed: number): WorkloadGenerator {
  const rng = new Rng(seed);
  switch (w.kind) {
    case 'nic-rx': {
      // Receive ring: buffers at distinct random guest pages, filled round-robin.
      const buffers = new Float64Array(w.ringBuffers);
      for (let i = 0; i < buffers.length; i++) buffers[i] = rng.int(guestBytes / PAGE) * PAGE;
      const pacer = new Pacer(w.packetsPerSec);
      const len = Math.min(w.packetBytes, w.bufferBytes);
      let next = 0;
      return {
        kind: w.kind,
        ratePerSec: pacer.ratePerSec,
        run: (t0, t1, sink, scale) =>
          emitEvenly(t0, t1, pacer.count(t0, t1, scale), (ts) => {
            sink.dma(buffers[next], len, true, ts);
            next = next + 1 === buffers.length ? 0 : next + 1;
          }),
      };
    }
    case 'nvme-read': {
      // Block reads land in random block-aligned guest pages (device writes to memory).
      const blocks = Math.floor(guestBytes / w.blockBytes);
      const pacer = new Pacer(w.iops);
      return {
        kind: w.kind,
        ratePerSec: pacer.ratePerSec,
        run: (t0, t1, sink, scale) => emitEvenly(t0, t1, pacer.count(t0, t1, scale), (ts) => sink.dma(rng.int(blocks) * w.blockBytes, w.blockBytes, true, ts)),
      };
    }
    case 'gpu-bulk': {
      if (w.regionBytes > guestBytes) throw new Error(`gpu-bulk regionBytes ${w.regionBytes} exceeds guest memory ${guestBytes}`);
      const base = regionBase(rng, guestBytes, w.regionBytes);
      const pacer = new Pacer(w.bytesPerSec / w.chunkBytes);
      let off = 0;
      return {
        kind: w.kind,
        ratePerSec: pacer.ratePerSec,
        run: (t0, t1, sink, scale) =>
          emitEvenly(t0, t1, pacer.count(t0, t1, scale), (ts) => {
            sink.dma(base + off, w.chunkBytes, true, ts);
            off += w.chunkBytes;
            if (off + w.chunkBytes > w.regionBytes) off = 0;
          }),
      };
    }
    case 'hot-set': {
      if (w.hotSetBytes > guestBytes) throw new Error(`hot-set hotSetBytes ${w.hotSetBytes} exceeds guest memory ${guestBytes}`);
      const base = regionBase(rng, guestBytes, w.hotSetBytes);
      const pages = Math.max(1, Math.floor(w.hotSetBytes / PAGE));
      const zipf = w.distribution === 'zipfian' ? new Zipf(pages, w.theta, rng) : null;
      // Scatter ranks over the set so the hottest pages are not adjacent (YCSB "scrambled"):
      // multiplying by a prime coprime to `pages` is a bijection mod `pages`; the product
      // stays below 2^53 for any guest up to 2^33 pages.
      const P = pages % 1_000_003 === 0 ? 999_983 : 1_000_003;
      const scatter = (rank: number): number => (rank * P) % pages;
      const pacer = new Pacer(w.writePagesPerSec);
      return {
        kind: w.kind,
        ratePerSec: pacer.ratePerSec,
        run: (t0, t1, sink, scale) =>
          emitEvenly(t0, t1, pacer.count(t0, t1, scale), (ts) => {
            const page = zipf ? scatter(zipf.next()) : rng.int(pages);
            sink.dma(base + page * PAGE, 64, true, ts);
          }),
      };
    }
  }
}
