/**
 * Owns the engine host utilityProcess: forwards calls, routes results back, and restarts
 * the process if it dies (pending calls fail with EIO; the renderer is told via a status event).
 */
import { utilityProcess, type UtilityProcess } from 'electron';
import { join } from 'node:path';
import type { ApiResult, HostStatus } from '../api';
import type { HostOutbound } from '../host/engine-host';

// Built by electron-vite next to the main bundle (electron.vite.config.ts, entry 'engine').
const enginePath = join(import.meta.dirname, 'engine.js');

type Pending = (r: ApiResult<unknown>) => void;

export class EngineProcess {
  private child: UtilityProcess | null = null;
  private readonly pending = new Map<string, Pending>();
  private stopping = false;
  private restarts = 0;

  constructor(private readonly emit: (msg: HostOutbound | { type: 'status'; status: HostStatus }) => void) {}

  start(): void {
    this.stopping = false;
    const child = utilityProcess.fork(enginePath, [], { serviceName: 'IOMMU Workbench engine', stdio: 'inherit' });
    child.on('message', (m: HostOutbound) => {
      if (m.type === 'result') {
        this.pending.get(m.id)?.(m.result);
        this.pending.delete(m.id);
      } else this.emit(m);
    });
    child.on('exit', (code) => {
      this.child = null;
      for (const [, done] of this.pending) done({ ok: false, error: { code: 'EIO', message: `engine exited (code ${code})` } });
      this.pending.clear();
      if (this.stopping) return;
      this.restarts++;
      this.emit({ type: 'status', status: { state: 'restarting', message: `engine process exited (code ${code}); restarted (${this.restarts})` } });
      this.start();
    });
    this.child = child;
    // After a restart the 'restarting' notice stays up (the renderer reopens its database).
    if (this.restarts === 0) this.emit({ type: 'status', status: { state: 'ready', message: 'engine ready' } });
  }

  call(id: string, method: string, req: unknown): Promise<ApiResult<unknown>> {
    const child = this.child;
    if (!child) return Promise.resolve({ ok: false, error: { code: 'EAGAIN', message: 'engine is restarting' } });
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      child.postMessage({ id, method, req });
    });
  }

  stop(): void {
    this.stopping = true;
    this.child?.kill();
  }
}
