/**
 * Device-side throughput: translation latency feeds back into how fast a device can DMA, so
 * IOTLB size, walk caches and A/D updates change how fast the guest dirties memory.
 *
 * A device keeps at most `outstanding` DMA requests in flight; each takes the engine's DMA
 * latency L = dma_rtt + translation (IOTLB lookup, walk reads the walk caches miss, A/D
 * update; IommuHwModel.lastDmaNs). By Little's law the device sustains at most
 * outstanding / L accesses per ns. The IOMMU's page walkers bound the misses of all devices
 * together: with W walks in flight and an average miss (handling + walk) time w, at most
 * W / w misses per ns (the pcie-bench data put W ≈ 5.4 on Xeon E5: docs/cost-model-sources.md pcie-bench).
 * Each sample window's measurements set the fraction of its demand the device issues in the
 * next window (one window of lag, 1/16 of a round).
 *
 * Units: ns, accesses. Source: docs/cost-model-sources.md pcie-bench (600 ns round trip, +280 ns per miss,
 * walker concurrency), F&S; docs/vendors.md "Device throughput".
 */

/** Accumulates one device's DMA latencies over a window. */
export class DeviceLatency {
  accesses = 0;
  latencyNs = 0;

  /** @param outstanding DMA requests the device keeps in flight (≥ 1). */
  constructor(readonly outstanding: number) {}

  record(latencyNs: number): void {
    this.accesses++;
    this.latencyNs += latencyNs;
  }

  /** Accesses per second the device sustains at the window's average latency (Infinity when idle). */
  capacityPerSec(): number {
    if (this.accesses === 0 || this.latencyNs <= 0) return Infinity;
    return (this.outstanding * 1e9) / (this.latencyNs / this.accesses);
  }

  reset(): void {
    this.accesses = 0;
    this.latencyNs = 0;
  }
}

/**
 * The fraction (0, 1] of its demand a device can issue in the next window.
 * @param demandPerSec the workload's demanded accesses per second
 * @param deviceCapPerSec DeviceLatency.capacityPerSec of the window
 * @param walkerFactor the walkers' bound as a factor of the window's miss demand (≥ 0; 1 or
 *   more = walkers keep up), see {@link walkerFactor}
 */
export function deviceScale(demandPerSec: number, deviceCapPerSec: number, walkerFactor: number): number {
  const s = Math.min(1, deviceCapPerSec / demandPerSec, walkerFactor);
  return s > 0 ? s : 1e-3;
}

/**
 * How far the IOMMU's walkers can keep up with the misses of a window: walkers / (average
 * miss time) misses per ns, over the misses per ns the devices would make at full demand
 * (`misses` made at `scale` of the demand in `windowNs`). Infinity when there were no misses.
 */
export function walkerFactor(walkers: number, misses: number, missNs: number, windowNs: number, scale: number): number {
  if (misses <= 0 || missNs <= 0 || windowNs <= 0) return Infinity;
  const capacity = walkers / (missNs / misses);
  const demand = misses / scale / windowNs;
  return capacity / demand;
}
