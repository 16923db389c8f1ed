/**
 * The renderer's handle on the API contract: the Electron preload's `window.workbench` when
 * present, otherwise a WebSocket client to the browser-mode web host (same contract).
 */
import type { ApiMethod, ApiMethods, ApiResult, HostStatus, ProgressEvent, WorkbenchApi } from '../../../electron/api';

declare global {
  interface Window {
    workbench?: WorkbenchApi;
  }
}

class WebSocketApi implements WorkbenchApi {
  private ws: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private nextId = 0;
  private readonly pending = new Map<string, (r: ApiResult<unknown>) => void>();
  private readonly progress = new Set<(ev: ProgressEvent) => void>();
  private readonly status = new Set<(s: HostStatus) => void>();

  private connect(): Promise<WebSocket> {
    if (this.ws?.readyState === WebSocket.OPEN) return Promise.resolve(this.ws);
    if (this.opening) return this.opening;
    this.opening = new Promise((resolve, reject) => {
      // The auth cookie set on page load goes with the upgrade request (same origin).
      const ws = new WebSocket(`ws://${location.host}/api`);
      ws.onopen = () => {
        this.ws = ws;
        this.opening = null;
        for (const l of this.status) l({ state: 'ready', message: 'connected to web host' });
        resolve(ws);
      };
      ws.onerror = () => {
        this.opening = null;
        reject(new Error('cannot connect to the web host'));
      };
      ws.onclose = (e) => {
        this.ws = null;
        // 1009: a request was larger than the host accepts (a huge trace upload); the next call reconnects.
        const tooBig = e.code === 1009;
        const error = tooBig ? { code: 'E2BIG', message: 'the request is larger than the web host accepts (see the replay size limit)' } : { code: 'EIO', message: 'connection to the web host closed' };
        for (const [, done] of this.pending) done({ ok: false, error });
        this.pending.clear();
        if (!tooBig) for (const l of this.status) l({ state: 'failed', message: 'connection to the web host closed' });
      };
      ws.onmessage = (e) => this.receive(String(e.data));
    });
    return this.opening;
  }

  private receive(text: string): void {
    const m = JSON.parse(text) as { type: string; id?: string; result?: ApiResult<unknown>; event?: ProgressEvent; status?: HostStatus };
    if (m.type === 'result' && m.id && m.result) {
      this.pending.get(m.id)?.(m.result);
      this.pending.delete(m.id);
    } else if (m.type === 'progress' && m.event) {
      for (const l of this.progress) l(m.event);
    } else if (m.type === 'status' && m.status) {
      for (const l of this.status) l(m.status);
    }
  }

  async call<M extends ApiMethod>(method: M, req: ApiMethods[M]['req']): Promise<ApiResult<ApiMethods[M]['res']>> {
    let ws: WebSocket;
    try {
      ws = await this.connect();
    } catch (e) {
      return { ok: false, error: { code: 'EIO', message: (e as Error).message } };
    }
    const id = `c${++this.nextId}`;
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (r: ApiResult<unknown>) => void);
      ws.send(JSON.stringify({ id, method, req }));
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
