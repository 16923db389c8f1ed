/**
 * The renderer's handle on the API contract: the Electron preload's `window.workbench` when
 * present, otherwise a WebSocket client to the browser-mode web host (same contract), whose
 * calls go through comlink like every other channel of the workbench.
 */
import { wrap, type Endpoint, type Remote } from 'comlink';
import type { ApiMethod, ApiMethods, ApiResult, HostStatus, ProgressEvent, WorkbenchApi } from '../../../electron/api';

declare global {
  interface Window {
    workbench?: WorkbenchApi;
  }
}

/** What the web host serves on each WebSocket (electron/host/engine-host.ts HostService). */
interface WebHostService {
  call(method: string, req: unknown): Promise<ApiResult<unknown>>;
}

/** comlink's Endpoint over a browser WebSocket (JSON text); other messages (events) go to `onOther`. */
function socketEndpoint(ws: WebSocket, onOther: (m: { type?: unknown; event?: ProgressEvent; status?: HostStatus }) => void): Endpoint {
  const wrapped = new WeakMap<object, (e: MessageEvent) => void>();
  return {
    postMessage: (m) => ws.send(JSON.stringify(m)),
    addEventListener: (_type, handler) => {
      const l = (e: MessageEvent): void => {
        const m = JSON.parse(String(e.data)) as { id?: unknown; type?: unknown };
        if (typeof m.id !== 'string') return onOther(m);
        const ev = { data: m } as MessageEvent;
        if (typeof handler === 'function') handler(ev);
        else handler.handleEvent(ev);
      };
      wrapped.set(handler, l);
      ws.addEventListener('message', l);
    },
    removeEventListener: (_type, handler) => {
      const l = wrapped.get(handler);
      if (l) ws.removeEventListener('message', l);
      wrapped.delete(handler);
    },
  };
}

/** Browser mode: the web host's API over a WebSocket, called through comlink. */
class WebSocketApi implements WorkbenchApi {
  private host: Remote<WebHostService> | null = null;
  private opening: Promise<Remote<WebHostService>> | null = null;
  /** Calls in flight: failed when the connection closes (comlink alone would leave them pending). */
  private readonly pending = new Set<(r: ApiResult<never>) => void>();
  private readonly progress = new Set<(ev: ProgressEvent) => void>();
  private readonly status = new Set<(s: HostStatus) => void>();

  private connect(): Promise<Remote<WebHostService>> {
    if (this.host) return Promise.resolve(this.host);
    if (this.opening) return this.opening;
    this.opening = new Promise((resolve, reject) => {
      // The auth cookie set on page load goes with the upgrade request (same origin).
      const ws = new WebSocket(`ws://${location.host}/api`);
      const host = wrap<WebHostService>(socketEndpoint(ws, (m) => this.event(m)));
      ws.onopen = () => {
        this.host = host;
        this.opening = null;
        for (const l of this.status) l({ state: 'ready', message: 'connected to web host' });
        resolve(host);
      };
      ws.onerror = () => {
        this.opening = null;
        reject(new Error('cannot connect to the web host'));
      };
      ws.onclose = (e) => {
        this.host = null;
        // 1009: a request was larger than the host accepts (a huge trace upload); the next call reconnects.
        const tooBig = e.code === 1009;
        const error = tooBig ? { code: 'E2BIG', message: 'the request is larger than the web host accepts (see the replay size limit)' } : { code: 'EIO', message: 'connection to the web host closed' };
        for (const done of this.pending) done({ ok: false, error });
        this.pending.clear();
        if (!tooBig) for (const l of this.status) l({ state: 'failed', message: 'connection to the web host closed' });
      };
    });
    return this.opening;
  }

  private event(m: { type?: unknown; event?: ProgressEvent; status?: HostStatus }): void {
    if (m.type === 'progress' && m.event) {
      for (const l of this.progress) l(m.event);
    } else if (m.type === 'status' && m.status) {
      for (const l of this.status) l(m.status);
    }
  }

  async call<M extends ApiMethod>(method: M, req: ApiMethods[M]['req']): Promise<ApiResult<ApiMethods[M]['res']>> {
    let host: Remote<WebHostService>;
    try {
      host = await this.connect();
    } catch (e) {
      return { ok: false, error: { code: 'EIO', message: (e as Error).message } };
    }
    return new Promise((resolve) => {
      const done = (r: ApiResult<ApiMethods[M]['res']>): void => {
        this.pending.delete(done);
        resolve(r);
      };
      this.pending.add(done);
      host.call(method, req).then(
        (r) => done(r as ApiResult<ApiMethods[M]['res']>),
        (e: unknown) => done({ ok: false, error: { code: 'EIO', message: e instanceof Error ? e.message : String(e) } }),
      );
    });
  }

  onProgress(listener: (ev: ProgressEvent) => void): () => void {
    this.progress.add(listener);
    return () => this.progress.delete(listener);
  }

  onStatus(listener: (s: HostStatus) => void): () => void {
    this.status.add(listener);
    return () => this.status.delete(listener);
  }
}

/** The API object for this page. */
export const api: WorkbenchApi = window.workbench ?? new WebSocketApi();
