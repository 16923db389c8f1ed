/**
 * The engine host: serves the API contract (electron/api.ts) on top of core/. It is
 * transport-agnostic; electron/host/utility.ts runs it in an Electron utilityProcess and
 * electron/web/worker.ts in a worker_thread for browser mode. Every request is validated
 * with its method's zod schema (./api-table.ts) before it reaches core/.
 */
import { sqliteVersion } from '../../core/store/db';
import type { ApiMethod, ApiMethods, ApiResult, EngineInfo, ProgressEvent } from '../api';
import { ENGINE_VERSION } from '../../core/base/version';
import { VENDOR_ENTRIES } from '../../core/iommu/registry';
import { OpenDatabase } from '../../core/store/open-database';
import { API_TABLE, isApiMethod, type ApiEntry, type HostContext } from './api-table';
import { Jobs } from './jobs';
import { PageTables } from './pagetables';

/** Events the host posts to its transport besides call results (progress of long calls). */
export type HostOutbound = { type: 'progress'; event: ProgressEvent };

/** Whether a message on a transport's port is a {@link HostOutbound} (not a comlink reply). */
export function isHostEvent(m: unknown): m is HostOutbound {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'progress';
}

/**
 * What a transport serves over comlink (core/rpc): one method, the API call. Hosts and
 * transports validate nothing else; the method name and request are checked by the host.
 */
export interface HostService {
  call(method: string, req: unknown): Promise<ApiResult<unknown>>;
}

export interface EngineHostOptions {
  shell: 'electron' | 'web';
  electronVersion: string | null;
  /** Sends an event to the transport (progress of long calls). */
  post: (msg: HostOutbound) => void;
}

export class EngineHost implements HostContext {
  readonly db = new OpenDatabase();
  /** The other database (attachDatabase), read-only: runs to diff against (electron/host/other-database.ts). */
  readonly other = new OpenDatabase();
  readonly jobs: Jobs;
  readonly pageTables = new PageTables();

  constructor(private readonly opts: EngineHostOptions) {
    this.jobs = new Jobs((event) => opts.post({ type: 'progress', event }));
  }

  /**
   * Handle one call: validate the method name (ENOTTY) and the request against the method's
   * schema in the API table (EINVAL), run its handler, and return a result value (a handler
   * that throws gives EIO). `_callId` is the transport's id of the call (unused here).
   */
  async handle(_callId: string, method: string, req: unknown): Promise<ApiResult<unknown>> {
    if (!isApiMethod(method)) return { ok: false, error: { code: 'ENOTTY', message: `unknown method: ${method}` } };
    return this.call(method, req);
  }

  private async call<M extends ApiMethod>(method: M, req: unknown): Promise<ApiResult<ApiMethods[M]['res']>> {
    const entry: ApiEntry<M> = API_TABLE[method];
    const parsed = entry.schema.safeParse(req ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, error: { code: 'EINVAL', message: `${method}: ${issue?.path.join('.') || 'request'}: ${issue?.message}` } };
    }
    try {
      return await entry.handle(this, parsed.data);
    } catch (e) {
      return { ok: false, error: { code: 'EIO', message: `${method} failed: ${(e as Error).message}` } };
    }
  }

  /** The host as its transports serve it. */
  service(): HostService {
    return { call: (method, req) => this.handle('', method, req) };
  }

  /** Response of `engineInfo`. */
  engineInfo(): EngineInfo {
    const sqlite = sqliteVersion();
    return {
      app: 'IOMMU Workbench',
      engine: ENGINE_VERSION,
      node: process.versions.node,
      sqlite,
      electron: this.opts.electronVersion,
      shell: this.opts.shell,
      vendors: VENDOR_ENTRIES.map((e) => ({ name: e.name, title: e.title, color: e.color })),
      features: [...this.jobs.features(), 'pageTable', 'sweep'],
      replay: this.jobs.replayLimits(),
    };
  }

  /** Release resources (the open database). */
  dispose(): void {
    this.pageTables.clear();
    this.db.close();
  }
}
