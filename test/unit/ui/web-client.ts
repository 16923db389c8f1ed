/**
 * A Node client of the web host's WebSocket API (what renderer/src/lib/api.ts does in the
 * browser): comlink over `ws` (electron/web/ws-endpoint.ts). Records the events it receives.
 */
import { wrap } from 'comlink';
import { WebSocket } from 'ws';
import type { ApiResult } from '../../../electron/api';
import type { HostService } from '../../../electron/host/engine-host';
import { wsEndpoint } from '../../../electron/web/ws-endpoint';

export interface WebClient {
  call(method: string, req: unknown): Promise<ApiResult<unknown>>;
  /** Non-reply messages received (progress and status events), in order. */
  events: { type: string; status?: { state: string; message: string } }[];
  /** Send raw text (to test the transport's limits). */
  send(text: string): void;
  /** Resolves to the close code. */
  closed: Promise<number>;
  close(): void;
}

/** Connect to the web host at 127.0.0.1:`port` with the auth cookie (origin as a browser page would send). */
export async function connectWebHost(port: number, token: string): Promise<WebClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { origin: `http://127.0.0.1:${port}`, headers: { cookie: `wb_token=${token}` } });
  const events: WebClient['events'] = [];
  const host = wrap<HostService>(wsEndpoint(ws, { onOther: (m) => events.push(m as WebClient['events'][number]) }));
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  await new Promise((ok, fail) => {
    ws.once('open', ok);
    ws.once('error', fail);
  });
  return { call: (method, req) => host.call(method, req), events, send: (text) => ws.send(text), closed, close: () => ws.close() };
}
