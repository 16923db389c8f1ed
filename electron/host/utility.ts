/**
 * Engine host entry for Electron's utilityProcess (never the main process): receives calls
 * from main over process.parentPort and answers with results and progress events.
 */
import { EngineHost, type HostOutbound } from './engine-host';
import { CALL_MESSAGE } from './schemas';

const parentPort = (process as unknown as { parentPort: { on(ev: 'message', fn: (e: { data: unknown }) => void): void; postMessage(m: HostOutbound): void } }).parentPort;

const host = new EngineHost({
  shell: 'electron',
  electronVersion: process.versions.electron ?? null,
  post: (m) => parentPort.postMessage(m),
});

parentPort.on('message', (e) => {
  const msg = CALL_MESSAGE.safeParse(e.data);
  if (!msg.success) return;
  void host.handle(msg.data.id, msg.data.method, msg.data.req).then((result) => {
    parentPort.postMessage({ type: 'result', id: msg.data.id, result });
  });
});
