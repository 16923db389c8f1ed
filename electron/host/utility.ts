/**
 * Engine host entry for Electron's utilityProcess (never the main process): serves the
 * host's API call to main over process.parentPort with comlink (core/rpc) and posts progress
 * events on the same port.
 */
import { EngineHost } from './engine-host';
import { serve, type Endpoint } from '../../core/rpc/comlink-port';

/** Electron's `process.parentPort` in a utilityProcess: its 'message' events are `{ data }`. */
interface ParentPort {
  on(ev: 'message', fn: (e: MessageEvent) => void): void;
  off(ev: 'message', fn: (e: MessageEvent) => void): void;
  postMessage(m: unknown): void;
}

const parentPort = (process as unknown as { parentPort: ParentPort }).parentPort;

/** comlink's Endpoint over the parent port (transfer lists are not used on this channel). */
const endpoint: Endpoint = {
  postMessage: (m) => parentPort.postMessage(m),
  addEventListener: (_type, h) => parentPort.on('message', h as (e: MessageEvent) => void),
  removeEventListener: (_type, h) => parentPort.off('message', h as (e: MessageEvent) => void),
};

const host = new EngineHost({
  shell: 'electron',
  electronVersion: process.versions.electron ?? null,
  post: (m) => parentPort.postMessage(m),
});

serve(host.service(), endpoint);
