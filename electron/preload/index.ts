/**
 * Preload: exposes the narrow typed API (electron/api.ts) as `window.workbench` through
 * contextBridge. The renderer never sees ipcRenderer itself.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { ApiMethod, HostStatus, ProgressEvent, WorkbenchApi } from '../api';

let nextId = 0;
const api: WorkbenchApi = {
  call: (method: ApiMethod, req: unknown) => ipcRenderer.invoke('workbench:call', `c${++nextId}`, method, req),
  onProgress(listener: (ev: ProgressEvent) => void) {
    const h = (_e: unknown, m: { type: string; event?: ProgressEvent }): void => {
      if (m.type === 'progress' && m.event) listener(m.event);
    };
    ipcRenderer.on('workbench:event', h);
    return () => ipcRenderer.off('workbench:event', h);
  },
  onStatus(listener: (s: HostStatus) => void) {
    const h = (_e: unknown, m: { type: string; status?: HostStatus }): void => {
      if (m.type === 'status' && m.status) listener(m.status);
    };
    ipcRenderer.on('workbench:event', h);
    return () => ipcRenderer.off('workbench:event', h);
  },
} as WorkbenchApi;

contextBridge.exposeInMainWorld('workbench', api);
