/**
 * comlink over a WebSocket (the `ws` package; the browser side is renderer/src/lib/api.ts):
 * messages are JSON text. The web host serves each connection's API call through it, and
 * Node clients (tests, scripts) call the web host through it.
 *
 * Only messages `accept` returns true for reach comlink: the web host accepts exactly the
 * call of its one method (see {@link isApiCallMessage}), so a client cannot walk or set
 * properties of the served object (comlink's GET/SET/CONSTRUCT messages) or send comlink
 * handler values. Other JSON (progress and status events) goes to `onOther`, text that is not
 * JSON to `onUnparsable`.
 */
import { z } from 'zod';
import type { WebSocket } from 'ws';
import type { Endpoint } from '../../core/rpc/comlink-port';

/** A comlink RAW wire value. */
const raw = <T extends z.ZodType>(value: T) => z.object({ type: z.literal('RAW'), value }).strict();

/**
 * The one message a browser may send: comlink's APPLY of `call(method, req)` (the web host's
 * HostService). Ids are comlink's (four random hex numbers joined by '-').
 */
const API_CALL_MESSAGE = z
  .object({
    id: z.string().min(1).max(64),
    type: z.literal('APPLY'),
    path: z.tuple([z.literal('call')]),
    argumentList: z.tuple([raw(z.string().max(64)), raw(z.unknown())]),
  })
  .strict();

/** Whether `m` is a well-formed call of the web host's `call(method, req)`. */
export function isApiCallMessage(m: unknown): boolean {
  return API_CALL_MESSAGE.safeParse(m).success;
}

/**
 * An Endpoint over `ws`. Replies to a closed socket are dropped. `accept` filters incoming
 * comlink messages (default: every message with an `id`); anything else goes to `onOther`.
 */
export function wsEndpoint(ws: WebSocket, opts: { accept?: (m: unknown) => boolean; onOther?: (m: unknown) => void; onUnparsable?: (text: string) => void } = {}): Endpoint {
  const accept = opts.accept ?? ((m: unknown) => typeof m === 'object' && m !== null && 'id' in m);
  const wrapped = new WeakMap<object, (data: unknown) => void>();
  return {
    postMessage: (m) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    },
    addEventListener: (_type, handler) => {
      const l = (data: unknown): void => {
        let m: unknown;
        try {
          m = JSON.parse(String(data));
        } catch {
          return opts.onUnparsable?.(String(data).slice(0, 200));
        }
        if (!accept(m)) return opts.onOther?.(m);
        const ev = { data: m } as MessageEvent;
        if (typeof handler === 'function') handler(ev);
        else handler.handleEvent(ev);
      };
      wrapped.set(handler, l);
      ws.on('message', l);
    },
    removeEventListener: (_type, handler) => {
      const l = wrapped.get(handler);
      if (l) ws.off('message', l);
      wrapped.delete(handler);
    },
  };
}
