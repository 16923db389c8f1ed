/**
 * Owns the engine host utilityProcess: forwards calls over comlink (core/rpc), relays its
 * progress events, and restarts the process if it dies (calls in flight fail with EIO; the
 * renderer is told via a status event).
 */
import { utilityProcess, type UtilityProcess } from 'electron';
import { join } from 'node:path';
import type { ApiResult, HostStatus } from '../api';
import { isHostEvent, type HostOutbound, type HostService } from '../host/engine-host';
import { connect, type Peer } from '../../core/rpc/comlink-port';

// Built by electron-vite next to the main bundle (electron.vite.config.ts, entry 'engine').
const enginePath = join(import.meta.dirname, 'engine.js');

export class EngineProcess {
  private child: UtilityProcess | null = null;
  private peer: Peer<HostService> | null = null;
  private stopping = false;
  private restarts = 0;

  constructor(private readonly emit: (msg: HostOutbound | { type: 'status'; status: HostStatus }) => void) {}

  start(): void {
    this.stopping = false;
    const child = utilityProcess.fork(enginePath, [], { serviceName: 'IOMMU Workbench engine', stdio: 'inherit' });
    this.peer = connect<HostService>(child, 'engine');
    child.on('message', (m: unknown) => {
      if (isHostEvent(m)) this.emit(m);
    });
    child.on('exit', (code) => {
      this.child = null;
      this.peer = null;
      if (this.stopping) return;
      this.restarts++;
      this.emit({ type: 'status', status: { state: 'restarting', message: `engine process exited (code ${code}); restarted (${this.restarts})` } });
      this.start();
    });
    this.child = child;
    // After a restart the 'restarting' notice stays up (the renderer reopens its database).
    if (this.restarts === 0) this.emit({ type: 'status', status: { state: 'ready', message: 'engine ready' } });
  }

  /** One API call; EAGAIN while restarting, EIO when the engine dies before answering. */
  async call(method: string, req: unknown): Promise<ApiResult<unknown>> {
    const peer = this.peer;
    if (!peer) return { ok: false, error: { code: 'EAGAIN', message: 'engine is restarting' } };
    try {
      return await peer.call((h) => h.call(method, req));
    } catch (e) {
      return { ok: false, error: { code: 'EIO', message: e instanceof Error ? e.message : String(e) } };
    }
  }

  stop(): void {
    this.stopping = true;
    this.child?.kill();
  }
}
