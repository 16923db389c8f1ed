/**
 * The Electron window's state across restarts, kept as a validated JSON file
 * (`<userData>/window-state.json`): window bounds and maximised state, the page zoom factor,
 * and the renderer's URL hash, which holds the view, database, runs and chart zoom
 * (renderer/src/lib/url-state.ts, the same state browser-mode links carry). Plain Node (no
 * `electron` import) so it is unit-tested; electron/main/window-state.ts is the glue that
 * reads the window and the displays.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** File name under app.getPath('userData'). */
export const WINDOW_STATE_FILE = 'window-state.json';
/** Smallest window kept, px (a smaller saved size is refused as damaged). */
export const MIN_WIDTH = 400;
export const MIN_HEIGHT = 300;
/** Largest coordinate or side accepted, px (Chromium's largest window is 32767 px). */
const MAX_PX = 32767;
/** Chromium's page zoom range: 25 % to 500 %. */
export const ZOOM_MIN = 0.25;
export const ZOOM_MAX = 5;
/** Longest URL hash kept, characters (a database path and a few runs fit many times over). */
const MAX_HASH = 8192;
/** Part of a saved window that must lie on a display for its position to be reused, px. */
const MIN_VISIBLE = 64;

const px = z.number().int().min(-MAX_PX).max(MAX_PX);
const rect = z
  .object({ x: px, y: px, width: z.number().int().min(MIN_WIDTH).max(MAX_PX), height: z.number().int().min(MIN_HEIGHT).max(MAX_PX) })
  .strict();

/** The file's content (version 1). */
export const windowStateSchema = z
  .object({
    version: z.literal(1),
    /** Normal (not maximised) bounds, px in the virtual screen. */
    bounds: rect,
    maximized: z.boolean(),
    /** webContents zoom factor (1 = 100 %). */
    zoomFactor: z.number().min(ZOOM_MIN).max(ZOOM_MAX),
    /** The renderer URL's hash ('' or '#' + printable ASCII: URLSearchParams encodes the rest). */
    hash: z.string().max(MAX_HASH).regex(/^(#[\x20-\x7e]*)?$/, 'a URL hash of printable ASCII'),
  })
  .strict();

export type WindowState = z.output<typeof windowStateSchema>;
/** A rectangle in px (Electron's Rectangle). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What a new window starts with when nothing valid was saved. */
export const DEFAULT_WINDOW_STATE: WindowState = { version: 1, bounds: { x: 0, y: 0, width: 1400, height: 900 }, maximized: false, zoomFactor: 1, hash: '' };

/**
 * The saved state in `dir`, or null with the reason when there is none or it is not valid
 * (unreadable, not JSON, or failing {@link windowStateSchema}). Never throws.
 */
export function readWindowState(dir: string): { state: WindowState | null; problem: string | null } {
  let text: string;
  try {
    text = readFileSync(join(dir, WINDOW_STATE_FILE), 'utf8');
  } catch (e) {
    return { state: null, problem: (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : `unreadable: ${(e as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { state: null, problem: 'not JSON' };
  }
  const r = windowStateSchema.safeParse(json);
  return r.success ? { state: r.data, problem: null } : { state: null, problem: r.error.issues.map((i) => `${i.path.join('.') || 'state'}: ${i.message}`).join('; ') };
}

/**
 * Save `state` in `dir` atomically (a temporary file renamed over the old one, so a crash
 * leaves the old or the new file, never half of one). Returns null, or the reason the state
 * was not saved (invalid, or a file-system errno). Never throws.
 */
export function writeWindowState(dir: string, state: WindowState): string | null {
  const r = windowStateSchema.safeParse(state);
  if (!r.success) return `invalid window state: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  const file = join(dir, WINDOW_STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(r.data));
    renameSync(tmp, file);
    return null;
  } catch (e) {
    rmSync(tmp, { force: true });
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

/** Overlap of two rectangles, px². */
function overlap(a: Rect, b: Rect): { w: number; h: number } {
  return { w: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x), h: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y) };
}

/**
 * Where to open the window given the displays' work areas: the saved position when at least
 * {@link MIN_VISIBLE} px of it in each direction lies on one display, else no position (the
 * window manager centres it, e.g. after a monitor was unplugged); the size shrunk to the
 * largest work area. Without a saved state, the defaults.
 */
export function placeWindow(state: WindowState | null, workAreas: readonly Rect[]): { bounds: Partial<Rect> & { width: number; height: number }; maximized: boolean; zoomFactor: number; hash: string } {
  const s = state ?? DEFAULT_WINDOW_STATE;
  const maxW = Math.max(MIN_WIDTH, ...workAreas.map((a) => a.width));
  const maxH = Math.max(MIN_HEIGHT, ...workAreas.map((a) => a.height));
  const width = Math.min(s.bounds.width, maxW);
  const height = Math.min(s.bounds.height, maxH);
  const b = { ...s.bounds, width, height };
  const visible = state !== null && workAreas.some((a) => {
    const o = overlap(b, a);
    return o.w >= MIN_VISIBLE && o.h >= MIN_VISIBLE;
  });
  return { bounds: visible ? b : { width, height }, maximized: s.maximized, zoomFactor: s.zoomFactor, hash: s.hash };
}
