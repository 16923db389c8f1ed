/**
 * Window bounds and maximised state remembered across launches, in
 * <userData>/window-state.json. A saved position that is no longer on any display is dropped.
 */
import { app, screen, type BrowserWindow, type Rectangle } from 'electron';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

const file = (): string => join(app.getPath('userData'), 'window-state.json');
const DEFAULT: WindowState = { bounds: { x: 0, y: 0, width: 1400, height: 900 }, maximized: false };

/** The saved state, or defaults (no position) when missing, invalid or off-screen. */
export function loadWindowState(): { bounds: Partial<Rectangle> & { width: number; height: number }; maximized: boolean } {
  try {
    const s = JSON.parse(readFileSync(file(), 'utf8')) as WindowState;
    const b = s.bounds;
    if (![b.x, b.y, b.width, b.height].every(Number.isFinite) || b.width < 400 || b.height < 300) throw new Error('bad bounds');
    const visible = screen.getAllDisplays().some((d) => b.x < d.workArea.x + d.workArea.width && b.x + b.width > d.workArea.x && b.y < d.workArea.y + d.workArea.height && b.y + b.height > d.workArea.y);
    return visible ? { bounds: b, maximized: !!s.maximized } : { bounds: { width: b.width, height: b.height }, maximized: !!s.maximized };
  } catch {
    return { bounds: { width: DEFAULT.bounds.width, height: DEFAULT.bounds.height }, maximized: false };
  }
}

/** Save the window's state whenever it is closed. */
export function trackWindowState(win: BrowserWindow): void {
  win.on('close', () => {
    try {
      const s: WindowState = { bounds: win.getNormalBounds(), maximized: win.isMaximized() };
      writeFileSync(file(), JSON.stringify(s));
    } catch {
      // Not being able to remember the window is not worth an error dialog.
    }
  });
}
