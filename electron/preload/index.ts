/**
 * Preload: exposes the narrow typed API (electron/api.ts) as `window.workbench` through
 * contextBridge. The renderer never sees ipcRenderer itself.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { ApiMethod, HostStatus, ProgressEvent, ShellEvent, WorkbenchApi } from '../api';

type EventMsg = { type: string; event?: ProgressEvent; status?: HostStatus; action?: string; path?: string };

/** Subscribe to main's 'workbench:event' channel, filtered; returns an unsubscribe function. */
function subscribe(pick: (m: EventMsg) => void): () => void {
  const h = (_e: unknown, m: EventMsg): void => pick(m);
  ipcRenderer.on('workbench:event', h);
  return () => ipcRenderer.off('workbench:event', h);
}

const api: WorkbenchApi = {
  call: (method: ApiMethod, req: unknown) => ipcRenderer.invoke('workbench:call', method, req),
  onProgress: (listener: (ev: ProgressEvent) => void) => subscribe((m) => m.type === 'progress' && m.event && listener(m.event)),
  onStatus: (listener: (s: HostStatus) => void) => subscribe((m) => m.type === 'status' && m.status && listener(m.status)),
  onShell: (listener: (ev: ShellEvent) => void) =>
    subscribe((m) => {
      if (m.type === 'menu' && typeof m.action === 'string') listener({ type: 'menu', action: m.action });
      else if (m.type === 'open-file' && typeof m.path === 'string') listener({ type: 'open-file', path: m.path });
    }),
  pickFile: (opts?: { save?: boolean; title?: string }) => ipcRenderer.invoke('workbench:pick-file', { save: !!opts?.save, title: String(opts?.title ?? '') }),
  pathForFile: (file: File) => webUtils.getPathForFile(file) || null,
} as WorkbenchApi;

contextBridge.exposeInMainWorld('workbench', api);
