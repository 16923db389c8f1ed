/**
 * The one API contract between the renderer and the engine host (DESIGN.md §2).
 *
 * Both transports implement it: Electron (preload `window.workbench` ⇄ main ⇄ engine host in
 * a utilityProcess) and browser mode (WebSocket to the local web host, engine host in a
 * worker_thread). Every method takes one plain-object request and resolves to an
 * {@link ApiResult}: errors are values, never thrown. Long calls report progress through
 * {@link ProgressEvent}s tagged with the call's `callId`.
 *
 * This file holds types and the method list only, so the renderer can import it.
 */

/** Error value returned by any method. `code` is an errno name or an API code. */
export interface ApiError {
  code: string;
  message: string;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** One registered vendor model of core/. */
export interface VendorModelInfo {
  /** Driver name as used on the command line: amd | intel | smmuv3 | mock. */
  name: string;
  /** Human title, e.g. "AMD-Vi". */
  title: string;
}

/** Response of `engineInfo`. */
export interface EngineInfo {
  app: string;
  engine: string;
  node: string;
  /** SQLite library version linked into better-sqlite3. */
  sqlite: string;
  /** Electron version, or null in browser mode. */
  electron: string | null;
  /** 'electron' or 'web'. */
  shell: 'electron' | 'web';
  vendors: VendorModelInfo[];
}

/** Response of `openDatabase` / `databaseInfo`. */
export interface DatabaseInfo {
  path: string;
  readOnly: boolean;
  /** Schema version from the `meta` table; null for a new or foreign file. */
  schemaVersion: number | null;
  /** Whether this file carries our schema (foreign files are opened read-only). */
  ours: boolean;
  /** Number of runs recorded, 0 for a new file. */
  runs: number;
  /** Size of the file in bytes. */
  bytes: number;
}

export interface OpenDatabaseRequest {
  /** Absolute or host-relative path of the SQLite file. */
  path: string;
  /** Create the file when missing (otherwise ENOENT). */
  create?: boolean;
  readOnly?: boolean;
}

/** Progress of a long call. `done`/`total` in the call's own units (rounds, events, bytes). */
export interface ProgressEvent {
  callId: string;
  label: string;
  done: number;
  total: number;
}

/** Request/response types per method. */
export interface ApiMethods {
  engineInfo: { req: Record<string, never>; res: EngineInfo };
  openDatabase: { req: OpenDatabaseRequest; res: DatabaseInfo };
  closeDatabase: { req: Record<string, never>; res: null };
  databaseInfo: { req: Record<string, never>; res: DatabaseInfo | null };
}

export type ApiMethod = keyof ApiMethods;

/** Every method the renderer may call; hosts reject any other name. */
export const API_METHODS: readonly ApiMethod[] = ['engineInfo', 'openDatabase', 'closeDatabase', 'databaseInfo'];

/** The object the renderer talks to (exposed by the preload, or built over WebSocket). */
export interface WorkbenchApi {
  call<M extends ApiMethod>(method: M, req: ApiMethods[M]['req']): Promise<ApiResult<ApiMethods[M]['res']>>;
  /** Subscribe to progress events; returns an unsubscribe function. */
  onProgress(listener: (ev: ProgressEvent) => void): () => void;
  /** Subscribe to host status changes (e.g. engine restarted); returns an unsubscribe function. */
  onStatus(listener: (status: HostStatus) => void): () => void;
}

/** Host lifecycle notice shown in the status bar. */
export interface HostStatus {
  state: 'ready' | 'restarting' | 'failed';
  message: string;
}
