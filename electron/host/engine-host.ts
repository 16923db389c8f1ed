/**
 * The engine host: serves the API contract (electron/api.ts) on top of core/. It is
 * transport-agnostic; electron/host/utility.ts runs it in an Electron utilityProcess and
 * electron/web/worker.ts in a worker_thread for browser mode. Every request is validated
 * with its zod schema before it reaches core/.
 */
import type Database from 'better-sqlite3';
import { sqliteVersion } from '../../core/store/db';
import { API_METHODS, type ApiMethod, type ApiMethods, type ApiResult, type EngineInfo, type ProgressEvent } from '../api';
import { ENGINE_VERSION } from '../../core/base/version';
import { VENDOR_ENTRIES, vendorTitle } from '../../core/iommu/registry';
import { OpenDatabase } from '../../core/store/open-database';
import { REQUEST_SCHEMAS } from './schemas';
import { counterSeries, eventNames, eventsPage, hasRunTables, listCounters, listRuns } from '../../core/store/queries/run-data';
import { faultsReport } from '../../core/store/queries/faults';
import { exportDatabase } from './exports';
import { Jobs, listPresets } from './jobs';
import { readNotes } from '../../core/store/queries/notes';
import { PageTables } from './pagetables';

/** Messages the host sends back to its transport. */
export type HostOutbound =
  | { type: 'result'; id: string; result: ApiResult<unknown> }
  | { type: 'progress'; event: ProgressEvent };

export interface EngineHostOptions {
  shell: 'electron' | 'web';
  electronVersion: string | null;
  /** Sends a message to the transport (progress events during long calls). */
  post: (msg: HostOutbound) => void;
}

export class EngineHost {
  private readonly db = new OpenDatabase();
  private readonly jobs: Jobs;
  private readonly pageTables = new PageTables();

  constructor(private readonly opts: EngineHostOptions) {
    this.jobs = new Jobs((event) => opts.post({ type: 'progress', event }));
  }

  /** The open database with our run tables, or an error value. */
  private runDb(): ApiResult<Database.Database> {
    const db = this.db.handle;
    if (!db) return { ok: false, error: { code: 'ENODEV', message: 'no database is open' } };
    if (!hasRunTables(db)) return { ok: false, error: { code: 'EMEDIUMTYPE', message: 'the open file is not a workbench trace database (schema 2 or later)' } };
    return { ok: true, value: db };
  }

  private withDb<T>(fn: (db: Database.Database) => T): ApiResult<T> {
    const r = this.runDb();
    return r.ok ? { ok: true, value: fn(r.value) } : r;
  }

  /** Handle one call: validate method and request, run it, return a result value. */
  async handle(id: string, method: string, req: unknown): Promise<ApiResult<unknown>> {
    if (!(API_METHODS as readonly string[]).includes(method)) {
      return { ok: false, error: { code: 'ENOTTY', message: `unknown method: ${method}` } };
    }
    const parsed = REQUEST_SCHEMAS[method as ApiMethod].safeParse(req ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, error: { code: 'EINVAL', message: `${method}: ${issue?.path.join('.') || 'request'}: ${issue?.message}` } };
    }
    try {
      return await this.dispatch(id, method as ApiMethod, parsed.data);
    } catch (e) {
      return { ok: false, error: { code: 'EIO', message: `${method} failed: ${(e as Error).message}` } };
    }
  }

  private async dispatch(_id: string, method: ApiMethod, req: unknown): Promise<ApiResult<unknown>> {
    // Requests were validated against REQUEST_SCHEMAS[method] in handle().
    const q = req as never;
    switch (method) {
      case 'engineInfo':
        return { ok: true, value: this.engineInfo() };
      case 'openDatabase':
        // Rebuilt page tables belong to the previous file (a path may now hold another database).
        this.pageTables.clear();
        return this.db.open(req as Parameters<OpenDatabase['open']>[0]);
      case 'closeDatabase':
        this.pageTables.clear();
        this.db.close();
        return { ok: true, value: null };
      case 'databaseInfo':
        return { ok: true, value: this.db.info() };
      case 'listRuns':
        return this.db.handle && !hasRunTables(this.db.handle) ? { ok: true, value: [] } : this.withDb((db) => listRuns(db, (v) => vendorTitle(v)));
      case 'listCounters':
        return this.withDb((db) => listCounters(db, (q as ApiMethods['listCounters']['req']).runId));
      case 'counterSeries':
        return this.withDb((db) => counterSeries(db, q));
      case 'eventNames':
        return this.withDb((db) => eventNames(db, (q as ApiMethods['eventNames']['req']).runId));
      case 'eventsPage':
        return this.withDb((db) => eventsPage(db, q));
      case 'faults':
        return this.withDb((db) => faultsReport(db, (q as ApiMethods['faults']['req']).runId));
      case 'listPresets':
        return { ok: true, value: listPresets() };
      case 'runComparison':
        return this.jobs.runComparison(q);
      case 'replayTrace':
        return this.jobs.replayTrace(q);
      case 'pageTableMap': {
        const r = this.runDb();
        return r.ok ? this.pageTables.map(r.value, this.db.filePath, q) : r;
      }
      case 'pageTableWalk': {
        const r = this.runDb();
        return r.ok ? this.pageTables.walk(r.value, this.db.filePath, q) : r;
      }
      case 'comparisonNotes':
        return this.withDb((db) => readNotes(db, (q as ApiMethods['comparisonNotes']['req']).runIds));
      case 'cancelJob':
        return { ok: true, value: { cancelled: this.jobs.cancel((q as ApiMethods['cancelJob']['req']).jobId) } };
      case 'exportDatabase': {
        const r = this.runDb();
        return r.ok ? exportDatabase(this.db.filePath, q) : r;
      }
    }
  }

  private engineInfo(): EngineInfo {
    const sqlite = sqliteVersion();
    return {
      app: 'IOMMU Workbench',
      engine: ENGINE_VERSION,
      node: process.versions.node,
      sqlite,
      electron: this.opts.electronVersion,
      shell: this.opts.shell,
      vendors: VENDOR_ENTRIES.map((e) => ({ name: e.name, title: e.title })),
      features: [...this.jobs.features(), 'pageTable'],
      replay: this.jobs.replayLimits(),
    };
  }

  /** Release resources (the open database). */
  dispose(): void {
    this.pageTables.clear();
    this.db.close();
  }
}
