/**
 * Host-side validation of every API request (zod). The renderer is untrusted: a request
 * that does not match its method's schema is answered with EINVAL and never reaches core/.
 */
import { z } from 'zod';
import type { ApiMethod } from '../api';

const empty = z.object({}).strict();
const path = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains NUL');
const runId = z.number().int().min(1);
/** Simulated ns, IOVAs: non-negative safe integers. */
const ns = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const jobId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

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
