/**
 * Device DMA workloads as scenario files describe them (zod; the scenario schema in
 * core/scenario/schema.ts composes these). Sizes accept bytes (number) or strings with
 * binary units ("16GiB", "2MiB", "4KiB"); rates are per simulated second.
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

const nicRx = z
  .object({
    kind: z.literal('nic-rx'),
    ringBuffers: z.number().int().min(1).max(1 << 20).default(1024).describe('receive buffers in the ring, each at its own guest page'),
    bufferBytes: size.default(2048).describe('bytes per receive buffer'),
    packetsPerSec: z.number().positive().default(1_000_000).describe('received packets per simulated second (one DMA write each)'),
    packetBytes: size.default(1500).describe('bytes written per packet'),
  })
  .strict();

const nvmeRead = z
  .object({
    kind: z.literal('nvme-read'),
    iops: z.number().positive().default(200_000).describe('block reads per simulated second (device writes into guest memory)'),
    blockBytes: size.default(4096).describe('bytes per read'),
  })
  .strict();

const gpuBulk = z
  .object({
    kind: z.literal('gpu-bulk'),
    bytesPerSec: size.prefault('1GiB').describe('sequential write bandwidth into guest memory, bytes per simulated second'),
    chunkBytes: size.prefault('64KiB').describe('bytes per DMA transaction'),
    regionBytes: size.prefault('1GiB').describe('size of the buffer written round-robin'),
  })
  .strict();

const hotSet = z
  .object({
    kind: z.literal('hot-set'),
    distribution: z.enum(['uniform', 'zipfian']).default('zipfian'),
    theta: z.number().min(0).max(0.999).default(0.99).describe('zipfian skew (YCSB default 0.99)'),
    hotSetBytes: size.prefault('1GiB'),
    writePagesPerSec: z.number().positive().default(100_000).describe('4 KiB page writes per simulated second'),
  })
  .strict();

const traceReplay = z
  .object({
    kind: z.literal('trace-replay'),
    trace: z.string().min(1).describe('ftrace text of iommu:map/unmap events (path relative to the scenario file)'),
    xlate: z.string().optional().describe('QEMU *.qemu-xlate.txt: the IOVAs the device touched, in order'),
  })
  .strict();

export const workloadSchema = z.discriminatedUnion('kind', [nicRx, nvmeRead, gpuBulk, hotSet, traceReplay]);


/** One device's workload (output of {@link workloadSchema}). */
export type Workload = z.output<typeof workloadSchema>;
