/**
 * Host-side validation of every API request (zod). The renderer is untrusted: a request
 * that does not match its method's schema is answered with EINVAL and never reaches core/.
 */
import { z } from 'zod';
import type { ApiMethod } from '../api';
import { VENDORS } from '../../core/scenario/schema';

/** Largest ftrace text `replayTrace` accepts (characters; ≤ the file's UTF-8 bytes): 64 MiB. */
export const REPLAY_MAX_TRACE_BYTES = 64 * 1024 * 1024;
/** Largest QEMU xlate text `replayTrace` accepts: 64 MiB. */
export const REPLAY_MAX_XLATE_BYTES = 64 * 1024 * 1024;
/** Vendors a replay runs on (the CLI's `replay --vendors`). */
export const REPLAY_VENDORS: readonly string[] = VENDORS;

const empty = z.object({}).strict();
const path = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains NUL');
const runId = z.number().int().min(1);
/** Simulated ns, IOVAs: non-negative safe integers. */
const ns = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const jobId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
/** A file's name as shown to the user: no directories, no control characters. */
const fileName = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[/\\\x00-\x1f\x7f]/.test(n), 'a file name without directories or control characters');
const MiB = (n: number): string => `${n / (1024 * 1024)} MiB`;

export const REQUEST_SCHEMAS: { [M in ApiMethod]: z.ZodType } = {
  engineInfo: empty,
  openDatabase: z
    .object({
      path,
      create: z.boolean().optional(),
      readOnly: z.boolean().optional(),
    })
    .strict(),
  closeDatabase: empty,
  databaseInfo: empty,
  listRuns: empty,
  listCounters: z.object({ runId }).strict(),
  counterSeries: z
    .object({
      runId,
      counters: z.array(z.string().min(1).max(128)).min(1).max(64),
      t0: ns,
      t1: ns,
      buckets: z.number().int().min(1).max(10_000),
    })
    .strict()
    .refine((r) => r.t1 > r.t0, 't1 must be greater than t0'),
  eventNames: z.object({ runId }).strict(),
  eventsPage: z
    .object({
      runId,
      names: z.array(z.string().min(1).max(128)).max(200).optional(),
      category: z.string().min(1).max(64).optional(),
      track: z.string().min(1).max(128).optional(),
      device: z.string().min(1).max(128).optional(),
      iovaMin: ns.optional(),
      iovaMax: ns.optional(),
      errno: z.union([z.number().int().min(0).max(4095), z.literal('any')]).optional(),
      after: z.object({ ts: ns, id: z.number().int().min(0) }).strict().optional(),
      fromTs: ns.optional(),
      limit: z.number().int().min(1).max(1000),
    })
    .strict(),
  faults: z.object({ runId }).strict(),
  listPresets: empty,
  runComparison: z
    .object({
      preset: z.string().min(1).max(128).optional(),
      scenarioText: z.string().min(2).max(1 << 20).optional(),
      dbPath: path,
      jobId,
    })
    .strict()
    .refine((r) => (r.preset === undefined) !== (r.scenarioText === undefined), 'give exactly one of preset and scenarioText'),
  replayTrace: z
    .object({
      traceText: z.string().min(1, 'the trace is empty').max(REPLAY_MAX_TRACE_BYTES, `the trace is larger than the ${MiB(REPLAY_MAX_TRACE_BYTES)} limit (split it, or replay it with \`npm run cli -- replay\`)`),
      traceName: fileName,
      xlateText: z.string().max(REPLAY_MAX_XLATE_BYTES, `the QEMU xlate file is larger than the ${MiB(REPLAY_MAX_XLATE_BYTES)} limit`).optional(),
      xlateName: fileName.optional(),
      vendors: z
        .array(z.enum(VENDORS, { error: (i) => `unknown vendor ${JSON.stringify(i.input)} (${VENDORS.join(' | ')})` }))
        .min(1, 'pick at least one vendor')
        .max(VENDORS.length)
        .refine((v) => new Set(v).size === v.length, 'a vendor is listed twice'),
      flush: z.enum(['strict', 'lazy', 'caching']),
      dma: z.enum(['none', 'mapped', 'xlate']),
      nonCoherent: z.boolean().optional(),
      dbPath: path,
      jobId,
    })
    .strict()
    .refine((r) => r.dma !== 'xlate' || r.xlateText !== undefined, { message: "DMA mode 'xlate' needs the QEMU xlate file", path: ['xlateText'] }),
  cancelJob: z.object({ jobId }).strict(),
  pageTableMap: z
    .object({ runId, start: ns, end: ns, cells: z.number().int().min(1).max(4096) })
    .strict()
    .refine((r) => r.end > r.start, 'end must be greater than start'),
  pageTableWalk: z.object({ runId, iova: ns }).strict(),
  comparisonNotes: z.object({ runIds: z.array(runId).min(1).max(64) }).strict(),
  exportDatabase: z
    .object({
      format: z.enum(['sqlite', 'chrome-json', 'csv', 'ftrace']),
      path,
      runIds: z.array(runId).min(1).max(64).optional(),
      overwrite: z.boolean().optional(),
    })
    .strict(),
};

/** A message from a transport to the host: one call. */
export const CALL_MESSAGE = z
  .object({
    id: z.string().min(1).max(64),
    method: z.string().max(64),
    req: z.unknown(),
  })
  .strict();

export type CallMessage = z.infer<typeof CALL_MESSAGE>;
