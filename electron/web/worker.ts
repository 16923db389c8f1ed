/**
 * Engine host entry for browser mode: runs in a worker_thread of the web host, the same
 * EngineHost the Electron utilityProcess runs, served over comlink (core/rpc); progress
 * events are posted on the same port.
 */
import { parentPort } from 'node:worker_threads';
import { EngineHost } from '../host/engine-host';
import { serve } from '../../core/rpc/comlink-port';

if (!parentPort) throw new Error('electron/web/worker.ts must run in a worker_thread');
const port = parentPort;
const host = new EngineHost({ shell: 'web', electronVersion: null, post: (m) => port.postMessage(m) });
serve(host.service(), port);
