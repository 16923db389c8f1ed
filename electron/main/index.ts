/**
 * Electron main process: window, menu, lifecycle, and forwarding of API calls to the engine
 * host in a utilityProcess. App content is served from the app:// protocol (never file://);
 * the renderer is sandboxed with context isolation; IPC senders are validated.
 */
import { app, BrowserWindow, ipcMain, protocol, session, shell } from 'electron';
import { join } from 'node:path';
import { installMenu } from './menu';
import { EngineProcess } from './engine-process';
import { registerAppProtocol, APP_ORIGIN, isAppUrl } from './app-protocol';

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let win: BrowserWindow | null = null;
const engine = new EngineProcess((msg) => win?.webContents.send('workbench:event', msg));

function createWindow(): void {
  win = new BrowserWindow({
    width: 1400,
    height: 900,
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
  win.once('ready-to-show', () => win?.show());
  // No navigation away from the app and no new windows; external links open in the browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  win.on('closed', () => (win = null));
}

app.whenReady().then(() => {
  registerAppProtocol(join(import.meta.dirname, '../renderer'));
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  ipcMain.handle('workbench:call', async (event, id: unknown, method: unknown, req: unknown) => {
    // Only our own top-level frame may call the engine.
    if (!event.senderFrame || !isAppUrl(event.senderFrame.url) || event.senderFrame !== event.sender.mainFrame) {
      return { ok: false, error: { code: 'EPERM', message: 'IPC sender not allowed' } };
    }
    if (typeof id !== 'string' || typeof method !== 'string') {
      return { ok: false, error: { code: 'EINVAL', message: 'bad IPC call' } };
    }
    return engine.call(id, method, req);
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
