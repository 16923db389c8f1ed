/**
 * Glue between the Electron window and electron/main/window-state-file.ts (the tested part):
 * the state is read from `<userData>/window-state.json` before the window is created and
 * written when it closes — bounds, maximised state, page zoom and the renderer URL's hash
 * (view, database, runs, chart zoom; renderer/src/lib/url-state.ts restores it on load).
 */
import { app, screen, type BrowserWindow } from 'electron';
import { placeWindow, readWindowState, writeWindowState } from './window-state-file';

/** Where and how to open the window (placeWindow over the current displays' work areas). */
export function loadWindowState(): ReturnType<typeof placeWindow> {
  const { state, problem } = readWindowState(app.getPath('userData'));
  if (problem) console.warn(`window state ignored: ${problem}`);
  return placeWindow(state, screen.getAllDisplays().map((d) => d.workArea));
}

/** Save the window's state whenever it is closed (a failure only costs the restore: logged). */
export function trackWindowState(win: BrowserWindow): void {
  win.on('close', () => {
    let hash = '';
    try {
      hash = new URL(win.webContents.getURL()).hash;
    } catch {
      // No page loaded: nothing to restore.
    }
    const err = writeWindowState(app.getPath('userData'), { version: 1, bounds: win.getNormalBounds(), maximized: win.isMaximized(), zoomFactor: win.webContents.getZoomFactor(), hash });
    if (err) console.warn(`window state not saved: ${err}`);
  });
}
