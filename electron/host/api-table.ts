/**
 * The API table: every method of the contract (electron/api.ts {@link ApiMethods}) with its
 * zod request schema and its handler, declared once. The engine host derives the method list
 * ({@link API_METHODS}), validation and dispatch from it. The table is checked against the
 * contract at compile time: a missing or extra method, a handler whose request or response
 * type differs from the contract, or a request field the schema does not declare (or the
 * contract lacks) does not type-check.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { ApiMethod, ApiMethods, ApiResult, EngineInfo } from '../api';
import { vendorTitle } from '../../core/iommu/registry';
import { VENDORS } from '../../core/scenario/schema';
import type { OpenDatabase } from '../../core/store/open-database';
import { counterSeries, eventNames, eventsPage, hasRunTables, listCounters, listRuns } from '../../core/store/queries/run-data';
import { faultsReport } from '../../core/store/queries/faults';
import { comparisonViewAcross, otherRuns, routeRun } from './other-database';
import { openSweepResult, sweepSeries } from '../../core/sweep/view-queries';
import { latencyHistograms } from '../../core/store/queries/latency';
import { MAX_SENSITIVITY_RERUNS } from '../../core/scenario/sensitivity-run';
import { costTableFor } from './costs';
import { exportDatabase } from './exports';
import { listPresets, type Jobs } from './jobs';
import type { PageTables } from './pagetables';
import { empty, fileName, jobId, MiB, ns, path, REPLAY_MAX_TRACE_BYTES, REPLAY_MAX_XLATE_BYTES, runId } from './schemas';

/** What a handler may use: the engine host's state (one per host). */
export interface HostContext {
  /** The database the renderer opened (openDatabase), if any. */
  readonly db: OpenDatabase;
  /** A second database attached for cross-database diffs (attachDatabase), if any. */
  readonly other: OpenDatabase;
  readonly jobs: Jobs;
  readonly pageTables: PageTables;
  engineInfo(): EngineInfo;
}

/** One method's row: its request schema and its handler (called with the parsed request only). */
export interface ApiEntry<M extends ApiMethod> {
  schema: z.ZodType<ApiMethods[M]['req']>;
  handle(host: HostContext, req: ApiMethods[M]['req']): ApiResult<ApiMethods[M]['res']> | Promise<ApiResult<ApiMethods[M]['res']>>;
}

/** The open database with our run tables, or ENODEV / EMEDIUMTYPE. */
function runDb(host: HostContext): ApiResult<Database.Database> {
  const db = host.db.handle;
  if (!db) return { ok: false, error: { code: 'ENODEV', message: 'no database is open' } };
  if (!hasRunTables(db)) return { ok: false, error: { code: 'EMEDIUMTYPE', message: 'the open file is not a workbench trace database (schema 2 or later)' } };
  return { ok: true, value: db };
}

/** `fn` on the database run `id` belongs to (main or attached, other-database.ts) with its id there. */
function withRun<T>(host: HostContext, id: number, fn: (db: Database.Database, id: number) => T): ApiResult<T> {
  const r = routeRun(host, id);
  return r.ok ? { ok: true, value: fn(r.value.db, r.value.id) } : r;
}

/** `fn` on the open run database, or runDb's error. */
function withDb<T>(host: HostContext, fn: (db: Database.Database) => T): ApiResult<T> {
  const r = runDb(host);
  return r.ok ? { ok: true, value: fn(r.value) } : r;
}

const API_TABLE_ROWS = {
  engineInfo: { schema: empty, handle: (h) => ({ ok: true, value: h.engineInfo() }) },
  openDatabase: {
    schema: z.object({ path, create: z.boolean().optional(), readOnly: z.boolean().optional() }).strict(),
    handle: (h, q) => {
      // Rebuilt page tables belong to the previous file (a path may now hold another database).
      h.pageTables.clear();
      return h.db.open(q);
    },
  },
  closeDatabase: {
    schema: empty,
    handle: (h) => {
      h.pageTables.clear();
      h.db.close();
      return { ok: true, value: null };
    },
  },
  databaseInfo: { schema: empty, handle: (h) => ({ ok: true, value: h.db.info() }) },
  listRuns: {
    schema: empty,
    // Another SQLite file is open: it has no runs (not an error, the Runs list is just empty).
    handle: (h) => (h.db.handle && !hasRunTables(h.db.handle) ? { ok: true, value: [] } : withDb(h, (db) => listRuns(db, (v) => vendorTitle(v)))),
  },
  attachDatabase: {
    schema: z.object({ path }).strict(),
    handle: (h, q) => {
      const r = h.other.open({ path: q.path });
      if (!r.ok) return r;
      const runs = otherRuns(h);
      if (!runs.ok) h.other.close();
      return runs.ok ? { ok: true, value: { path: q.path, runs: runs.value } } : runs;
    },
  },
  detachDatabase: {
    schema: empty,
    handle: (h) => {
      h.other.close();
      return { ok: true, value: null };
    },
  },
  listCounters: { schema: z.object({ runId }).strict(), handle: (h, q) => withRun(h, q.runId, (db, id) => listCounters(db, id)) },
  counterSeries: {
    schema: z
      .object({
        runId,
        counters: z.array(z.string().min(1).max(128)).min(1).max(64),
        t0: ns,
        t1: ns,
        buckets: z.number().int().min(1).max(10_000),
      })
      .strict()
      .refine((r) => r.t1 > r.t0, 't1 must be greater than t0'),
    handle: (h, q) => withRun(h, q.runId, (db, id) => ({ ...counterSeries(db, { ...q, runId: id }), runId: q.runId })),
  },
  eventNames: { schema: z.object({ runId }).strict(), handle: (h, q) => withRun(h, q.runId, (db, id) => eventNames(db, id)) },
  eventsPage: {
    schema: z
      .object({
        runId,
        names: z.array(z.string().min(1).max(128)).max(200).optional(),
        category: z.string().min(1).max(64).optional(),
        track: z.string().min(1).max(128).optional(),
        device: z.string().min(1).max(128).optional(),
        iovaMin: ns.optional(),
        iovaMax: ns.optional(),
        errno: z.union([z.number().int().min(0).max(4095), z.literal('any')]).optional(),
        // The cursor's ts is whatever the store holds: files written before ts was rounded to integer ns hold fractional ts.
        after: z.object({ ts: z.number().finite().min(0).max(Number.MAX_SAFE_INTEGER), id: z.number().int().min(0) }).strict().optional(),
        fromTs: ns.optional(),
        limit: z.number().int().min(1).max(1000),
      })
      .strict(),
    handle: (h, q) => withRun(h, q.runId, (db, id) => eventsPage(db, { ...q, runId: id })),
  },
  faults: { schema: z.object({ runId }).strict(), handle: (h, q) => withRun(h, q.runId, (db, id) => faultsReport(db, id)) },
  listPresets: { schema: empty, handle: () => ({ ok: true, value: listPresets() }) },
  runComparison: {
    schema: z
      .object({
        preset: z.string().min(1).max(128).optional(),
        scenarioText: z.string().min(2).max(1 << 20).optional(),
        dbPath: path,
        jobId,
      })
      .strict()
      .refine((r) => (r.preset === undefined) !== (r.scenarioText === undefined), 'give exactly one of preset and scenarioText'),
    handle: (h, q) => h.jobs.runComparison(q),
  },
  replayTrace: {
    schema: z
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
    handle: (h, q) => h.jobs.replayTrace(q),
  },
  cancelJob: { schema: z.object({ jobId }).strict(), handle: (h, q) => ({ ok: true, value: { cancelled: h.jobs.cancel(q.jobId) } }) },
  comparisonNotes: { schema: z.object({ runIds: z.array(runId).min(1).max(64) }).strict(), handle: (h, q) => comparisonViewAcross(h, q.runIds) },
  latencyHistograms: { schema: z.object({ runId }).strict(), handle: (h, q) => withRun(h, q.runId, (db, id) => latencyHistograms(db, id).map((x) => ({ ...x, runId: q.runId }))) },
  exportDatabase: {
    schema: z
      .object({
        format: z.enum(['sqlite', 'chrome-json', 'csv', 'ftrace']),
        path,
        runIds: z.array(runId).min(1).max(64).optional(),
        overwrite: z.boolean().optional(),
      })
      .strict(),
    handle: (h, q) => {
      const r = runDb(h);
      return r.ok ? exportDatabase(h.db.filePath, q) : r;
    },
  },
  pageTableMap: {
    schema: z
      .object({ runId, start: ns, end: ns, cells: z.number().int().min(1).max(4096), round: z.number().int().min(0).max(1_000_000).optional() })
      .strict()
      .refine((r) => r.end > r.start, 'end must be greater than start'),
    handle: (h, q) => {
      const r = runDb(h);
      return r.ok ? h.pageTables.map(r.value, h.db.filePath, q) : r;
    },
  },
  pageTableWalk: {
    schema: z.object({ runId, iova: ns }).strict(),
    handle: (h, q) => {
      const r = runDb(h);
      return r.ok ? h.pageTables.walk(r.value, h.db.filePath, q) : r;
    },
  },
  openSweep: { schema: z.object({ path }).strict(), handle: (_h, q) => openSweepResult(q.path) },
  sweepSeries: {
    schema: z
      .object({
        path,
        x: z.string().min(1).max(256),
        metric: z.string().min(1).max(64),
        filters: z.record(z.string().min(1).max(256), z.union([z.number(), z.string().max(4096), z.boolean()])).refine((f) => Object.keys(f).length <= 16, 'at most 16 filters'),
      })
      .strict(),
    handle: (_h, q) => sweepSeries(q),
  },
  costTable: {
    schema: z
      .object({ preset: z.string().min(1).max(128).optional(), scenarioText: z.string().min(2).max(1 << 20).optional(), kernel: z.string().min(1).max(32).optional() })
      .strict()
      .refine((r) => r.preset === undefined || r.scenarioText === undefined, 'give at most one of preset and scenarioText'),
    handle: (_h, q) => costTableFor(q),
  },
  runSensitivity: {
    schema: z
      .object({
        preset: z.string().min(1).max(128).optional(),
        scenarioText: z.string().min(2).max(1 << 20).optional(),
        factor: z.number().gt(1).max(100).optional(),
        rerun: z.number().int().min(0).max(MAX_SENSITIVITY_RERUNS).optional(),
        jobId,
      })
      .strict()
      .refine((r) => (r.preset === undefined) !== (r.scenarioText === undefined), 'give exactly one of preset and scenarioText'),
    handle: (h, q) => h.jobs.runSensitivity(q),
  },
} satisfies { [M in ApiMethod]: ApiEntry<M> };

/**
 * Compile-time check that each schema declares exactly the contract's request fields (the
 * `satisfies` above checks the other direction: parsed values fit the contract's types).
 * Resolves to the names of the methods that differ; `never` when none do.
 */
type FieldMismatch = {
  [M in ApiMethod]: [Exclude<keyof ApiMethods[M]['req'], keyof z.output<(typeof API_TABLE_ROWS)[M]['schema']>> | Exclude<keyof z.output<(typeof API_TABLE_ROWS)[M]['schema']>, keyof ApiMethods[M]['req']>] extends [never] ? never : M;
}[ApiMethod];
const fieldsMatch: [FieldMismatch] extends [never] ? true : { schemaFieldsDiffer: FieldMismatch } = true;
void fieldsMatch;

/** The table, typed per method so `API_TABLE[m]` is `ApiEntry<M>` for a generic `m: M`. */
export const API_TABLE: { readonly [M in ApiMethod]: ApiEntry<M> } = API_TABLE_ROWS;

/** Every method the renderer may call; hosts reject any other name with ENOTTY. */
export const API_METHODS = Object.keys(API_TABLE) as readonly ApiMethod[];

/** Whether `name` is an API method (own key of the table, so `toString` etc. are not). */
export function isApiMethod(name: string): name is ApiMethod {
  return Object.hasOwn(API_TABLE, name);
}
