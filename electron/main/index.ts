/**
 * Electron main process: window, menu, lifecycle, and forwarding of API calls to the engine
 * host in a utilityProcess. App content is served from the app:// protocol (never file://);
 * the renderer is sandboxed with context isolation; IPC senders are validated.
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { installMenu } from './menu';
import { EngineProcess } from './engine-process';
import { registerAppProtocol, APP_ORIGIN, isAppUrl } from './app-protocol';
import { loadWindowState, trackWindowState } from './window-state';

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let win: BrowserWindow | null = null;
const engine = new EngineProcess((msg) => win?.webContents.send('workbench:event', msg));

/** Database files to open once the window has loaded (command line, macOS open-file). */
const DB_EXT = new Set(['.sqlite', '.sqlite3', '.db']);
let pendingOpen: string | null = null;
function fileArg(argv: string[]): string | null {
  for (const a of argv.slice(1).reverse()) {
    if (a.startsWith('-') || !DB_EXT.has(extname(a).toLowerCase())) continue;
    const p = resolve(a);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return null;
}
function openFile(path: string): void {
  if (win && !win.webContents.isLoading()) win.webContents.send('workbench:event', { type: 'open-file', path });
  else pendingOpen = path;
}
pendingOpen = fileArg(process.argv);
app.on('open-file', (e, path) => {
  e.preventDefault();
  openFile(path);
});
// A second launch with a file opens it in the running window.
const primary = app.requestSingleInstanceLock();
if (!primary) app.quit();
app.on('second-instance', (_e, argv) => {
  const p = fileArg(argv);
  if (p) openFile(p);
  if (win?.isMinimized()) win.restore();
  win?.focus();
});

/** Only our own top-level frame may use IPC. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  return !!event.senderFrame && isAppUrl(event.senderFrame.url) && event.senderFrame === event.sender.mainFrame;
}

function createWindow(): void {
  const state = loadWindowState();
  win = new BrowserWindow({
    ...state.bounds,
    title: 'IOMMU Workbench',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  trackWindowState(win);
  win.once('ready-to-show', () => {
    if (state.maximized) win?.maximize();
    win?.show();
  });
  // The saved page zoom, once (a later reload keeps what the user set since).
  win.webContents.once('did-finish-load', () => win?.webContents.setZoomFactor(state.zoomFactor));
  win.webContents.on('did-finish-load', () => {
    if (pendingOpen) win?.webContents.send('workbench:event', { type: 'open-file', path: pendingOpen });
    pendingOpen = null;
  });
  // No navigation away from the app and no new windows; external links open in the browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // The saved hash restores the view, database, runs and chart zoom (renderer/src/lib/url-state.ts).
  void win.loadURL(`${APP_ORIGIN}/index.html${state.hash}`);
  win.on('closed', () => (win = null));
}

app.whenReady().then(() => {
  if (!primary) return;
  registerAppProtocol(join(import.meta.dirname, '../renderer'));
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  // ipcRenderer.invoke is Electron's request/reply; the engine host validates method and request.
  ipcMain.handle('workbench:call', async (event, method: unknown, req: unknown) => {
    if (!trustedSender(event)) return { ok: false, error: { code: 'EPERM', message: 'IPC sender not allowed' } };
    if (typeof method !== 'string') return { ok: false, error: { code: 'EINVAL', message: 'bad IPC call' } };
    return engine.call(method, req);
  });
  // Native open/save dialog (Electron only; browser mode types a path instead).
  ipcMain.handle('workbench:pick-file', async (event, opts: unknown) => {
    if (!trustedSender(event) || !win) return null;
    const o = (typeof opts === 'object' && opts ? opts : {}) as { save?: unknown; title?: unknown };
    const title = typeof o.title === 'string' && o.title ? o.title.slice(0, 100) : undefined;
    const filters = [{ name: 'Trace databases', extensions: ['sqlite', 'sqlite3', 'db'] }, { name: 'All files', extensions: ['*'] }];
    if (o.save === true) {
      const r = await dialog.showSaveDialog(win, { title, filters: [{ name: 'All files', extensions: ['*'] }] });
      return r.canceled || !r.filePath ? null : r.filePath;
    }
    const r = await dialog.showOpenDialog(win, { title, filters, properties: ['openFile', 'promptToCreate'] });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });
  engine.start();
  installMenu(() => win);
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  engine.stop();
  if (process.platform !== 'darwin') app.quit();
});
