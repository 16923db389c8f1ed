/**
 * Engine host entry for browser mode: runs in a worker_thread of the web host, the same
 * EngineHost the Electron utilityProcess runs.
 */
import { parentPort } from 'node:worker_threads';
import { EngineHost } from '../host/engine-host';
import { CALL_MESSAGE } from '../host/schemas';

if (!parentPort) throw new Error('electron/web/worker.ts must run in a worker_thread');
const port = parentPort;
const host = new EngineHost({ shell: 'web', electronVersion: null, post: (m) => port.postMessage(m) });

port.on('message', (data: unknown) => {
  const msg = CALL_MESSAGE.safeParse(data);
  if (!msg.success) return;
  void host.handle(msg.data.id, msg.data.method, msg.data.req).then((result) => {
    port.postMessage({ type: 'result', id: msg.data.id, result });
  });
});
