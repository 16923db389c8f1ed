/**
 * Device DMA workloads as scenario files describe them (zod; the scenario schema in
 * core/scenario/schema.ts composes these). Sizes accept bytes (number) or strings with
 * binary units ("16GiB", "2MiB", "4KiB"); rates are per simulated second.
 *
 * Every size is > 0 and every rate is bounded by what a device on a real link can do
 * ({@link LIMITS}), so no value makes the simulation divide by zero or generate more DMA than
 * physics allows; how much work a valid scenario is on this machine is estimated before a run
 * (core/scenario/limits.ts).
 */
import { z } from 'zod';

const UNITS: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

/** Parse "16GiB" / "4KiB" / 4096 into bytes; NaN when malformed. */
export function parseSize(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)\s*$/.exec(v);
  return m ? Number(m[1]) * UNITS[m[2]] : NaN;
}

export const size = z
  .union([z.number().int().nonnegative(), z.string()])
  .describe('bytes, or a string with a binary unit: "4KiB", "2MiB", "16GiB", "1TiB"')
  .transform((v, ctx) => {
    const n = parseSize(v);
    if (!Number.isSafeInteger(n) || n < 0) {
      ctx.addIssue({ code: 'custom', message: `not a size: ${JSON.stringify(v)} (use bytes or e.g. "16GiB")` });
      return z.NEVER;
    }
    return n;
  });

/**
 * Physical bounds of workload fields, each with its source.
 * - PCIE_BYTES_PER_SEC: PCIe 7.0 x16, 128 GT/s × 16 lanes ≈ 256 GB/s per direction (PCI-SIG
 *   PCIe 7.0, 2025), rounded up to 256 GiB/s: no device writes guest memory faster.
 * - NIC_PACKETS_PER_SEC: 1.6 Tb/s Ethernet (IEEE 802.3dj) with minimum frames (64 bytes + 20
 *   bytes preamble and inter-frame gap): 1.6e12 / (84 × 8) ≈ 2.38e9 packets/s (derived).
 * - MAX_PACKET_BYTES: 64 KiB, the largest IPv4/IPv6 datagram a receive buffer takes (LRO/GRO).
 * - MAX_IOPS: 1e8, above what PCIe 7.0 x16 moves at 4 KiB per read (~6.7e7, derived).
 * - MAX_PAGE_WRITES_PER_SEC: 4e9, PCIe 7.0 x16 bandwidth in 64-byte writes (derived).
 */
export const LIMITS = {
  PCIE_BYTES_PER_SEC: 256 * 2 ** 30,
  NIC_PACKETS_PER_SEC: 2.4e9,
  MAX_PACKET_BYTES: 64 * 1024,
  MAX_BUFFER_BYTES: 2 * 1024 * 1024,
  MAX_IOPS: 1e8,
  MAX_BLOCK_BYTES: 2 ** 30,
  MAX_PAGE_WRITES_PER_SEC: 4e9,
  MAX_CHUNK_BYTES: 2 ** 30,
} as const;

/** "64 KiB", "256 GiB", "512 bytes" for bound messages. */
function fmtBytes(n: number): string {
  for (const [u, v] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) if (n >= v && n % v === 0) return `${n / v} ${u}`;
  return `${n} bytes`;
}

/** A size in [min, max] bytes; `why` names where the upper bound comes from. */
export function boundedSize(min: number, max: number, why: string) {
  return size.pipe(
    z
      .number()
      .min(min, `must be at least ${fmtBytes(min)}`)
      .max(max, `must be at most ${fmtBytes(max)} (${why})`),
  );
}

/** A rate in (0, max] per simulated second; `why` names where the bound comes from. */
function rate(max: number, why: string) {
  return z
    .number()
    .positive('must be greater than 0')
    .max(max, `must be at most ${max.toExponential(2).replace('e+', 'e')}/s (${why})`);
}

const nicRx = z
  .object({
    kind: z.literal('nic-rx'),
    ringBuffers: z.number().int().min(1).max(1 << 20).default(1024).describe('receive buffers in the ring, each at its own guest page'),
    bufferBytes: boundedSize(1, LIMITS.MAX_BUFFER_BYTES, 'a receive buffer').default(2048).describe('bytes per receive buffer, 1 byte to 2 MiB'),
    packetsPerSec: rate(LIMITS.NIC_PACKETS_PER_SEC, 'minimum-size frames on a 1.6 Tb/s link').default(1_000_000).describe('received packets per simulated second (one DMA write each), at most 2.4e9 (1.6 Tb/s of minimum frames)'),
    packetBytes: boundedSize(1, LIMITS.MAX_PACKET_BYTES, 'the largest IP datagram').default(1500).describe('bytes written per packet, 1 byte to 64 KiB'),
  })
  .strict();

const nvmeRead = z
  .object({
    kind: z.literal('nvme-read'),
    iops: rate(LIMITS.MAX_IOPS, 'more than PCIe 7.0 x16 moves in 4 KiB reads').default(200_000).describe('block reads per simulated second (device writes into guest memory), at most 1e8'),
    blockBytes: boundedSize(512, LIMITS.MAX_BLOCK_BYTES, 'one read').default(4096).describe('bytes per read, 512 bytes (one LBA) to 1 GiB and at most the guest memory'),
  })
  .strict()
  .refine((w) => w.iops * w.blockBytes <= LIMITS.PCIE_BYTES_PER_SEC, {
    path: ['iops'],
    message: `iops × blockBytes exceeds ${fmtBytes(LIMITS.PCIE_BYTES_PER_SEC)}/s (PCIe 7.0 x16)`,
  });

const gpuBulk = z
  .object({
    kind: z.literal('gpu-bulk'),
    bytesPerSec: boundedSize(1, LIMITS.PCIE_BYTES_PER_SEC, 'PCIe 7.0 x16').prefault('1GiB').describe('sequential write bandwidth into guest memory, bytes per simulated second, at most 256 GiB/s (PCIe 7.0 x16)'),
    chunkBytes: boundedSize(1, LIMITS.MAX_CHUNK_BYTES, 'one DMA transaction').prefault('64KiB').describe('bytes per DMA transaction, 1 byte to 1 GiB and at most regionBytes'),
    regionBytes: boundedSize(1, 2 ** 52, 'the x86-64 physical address space').prefault('1GiB').describe('size of the buffer written round-robin, at least chunkBytes and at most the guest memory'),
  })
  .strict()
  .refine((w) => w.chunkBytes <= w.regionBytes, { path: ['chunkBytes'], message: 'chunkBytes must be at most regionBytes' });

const hotSet = z
  .object({
    kind: z.literal('hot-set'),
    distribution: z.enum(['uniform', 'zipfian']).default('zipfian'),
    theta: z.number().min(0).max(0.999).default(0.99).describe('zipfian skew (YCSB default 0.99)'),
    hotSetBytes: boundedSize(4096, 2 ** 45, 'the zipfian scatter is exact up to 2^33 pages').prefault('1GiB').describe('bytes of the hot set, 4 KiB to 32 TiB and at most the guest memory'),
    writePagesPerSec: rate(LIMITS.MAX_PAGE_WRITES_PER_SEC, 'PCIe 7.0 x16 in 64-byte writes').default(100_000).describe('4 KiB page writes per simulated second, at most 4e9'),
  })
  .strict();

/**
 * Kernel traces are not a scenario workload: they drive map and unmap as well as DMA, and are
 * replayed with `iommu-workbench replay` (core/scenario/replay.ts) or the UI's replay panel.
 */
export const workloadSchema = z.discriminatedUnion('kind', [nicRx, nvmeRead, gpuBulk, hotSet]);

/** One device's workload (output of {@link workloadSchema}). */
export type Workload = z.output<typeof workloadSchema>;
