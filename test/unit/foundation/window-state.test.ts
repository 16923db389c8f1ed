/**
 * Electron window state across restarts (electron/main/window-state-file.ts; the glue in
 * electron/main/window-state.ts cannot run here: no Electron binary): validated load and
 * atomic save in the userData folder, and placement on the current displays.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_STATE, MIN_HEIGHT, MIN_WIDTH, placeWindow, readWindowState, WINDOW_STATE_FILE, writeWindowState, ZOOM_MAX, ZOOM_MIN, type WindowState } from '../../../electron/main/window-state-file';

const dir = (): string => mkdtempSync(join(tmpdir(), 'wb-winstate-'));
const SAVED: WindowState = { version: 1, bounds: { x: 100, y: 50, width: 1600, height: 1000 }, maximized: true, zoomFactor: 1.25, hash: '#view=compare&db=%2Ftmp%2Fa.sqlite&runs=1%2C2&align=round&x=0~3' };
const SCREEN = [{ x: 0, y: 0, width: 1920, height: 1080 }];

describe('window state file', () => {
  it('round-trips view, runs, zoom and bounds; a missing file is no state and no problem', () => {
    const d = dir();
    expect(readWindowState(d)).toEqual({ state: null, problem: null });
    expect(writeWindowState(d, SAVED)).toBeNull();
    expect(readWindowState(d)).toEqual({ state: SAVED, problem: null });
    expect(readdirSync(d)).toEqual([WINDOW_STATE_FILE]); // the temporary file was renamed away
  });

  it('refuses damaged files with the reason, and never writes an invalid state', () => {
    const d = dir();
    const bad = (content: string): string | null => {
      writeFileSync(join(d, WINDOW_STATE_FILE), content);
      const r = readWindowState(d);
      expect(r.state).toBeNull();
      return r.problem;
    };
    expect(bad('{"version":1,')).toBe('not JSON');
    expect(bad(JSON.stringify({ ...SAVED, zoomFactor: 9 }))).toMatch(/zoomFactor/);
    expect(bad(JSON.stringify({ ...SAVED, bounds: { ...SAVED.bounds, width: 10 } }))).toMatch(/bounds.width/);
    expect(bad(JSON.stringify({ ...SAVED, hash: '#view=x\n<script>' }))).toMatch(/hash/);
    expect(bad(JSON.stringify({ ...SAVED, extra: 1 }))).toMatch(/extra|unrecognized/i);
    expect(bad(JSON.stringify({ ...SAVED, version: 2 }))).toMatch(/version/);
    writeFileSync(join(d, WINDOW_STATE_FILE), JSON.stringify(SAVED));
    expect(writeWindowState(d, { ...SAVED, zoomFactor: 0 })).toMatch(/zoomFactor/);
    expect(readWindowState(d).state).toEqual(SAVED); // the old file is untouched
    expect(writeWindowState(join(d, 'missing-dir'), SAVED)).toBe('ENOENT');
  });

  it('every state the schema accepts round-trips exactly', () => {
    const d = dir();
    const state = fc.record({
      version: fc.constant(1 as const),
      bounds: fc.record({ x: fc.integer({ min: -32767, max: 32767 }), y: fc.integer({ min: -32767, max: 32767 }), width: fc.integer({ min: MIN_WIDTH, max: 32767 }), height: fc.integer({ min: MIN_HEIGHT, max: 32767 }) }),
      maximized: fc.boolean(),
      zoomFactor: fc.double({ min: ZOOM_MIN, max: ZOOM_MAX, noNaN: true }),
      hash: fc.oneof(fc.constant(''), fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 }).map((s) => `#${s}`)),
    });
    fc.assert(
      fc.property(state, (s) => {
        expect(writeWindowState(d, s)).toBeNull();
        expect(readWindowState(d).state).toEqual(s);
      }),
      { numRuns: 100 },
    );
  });
});

describe('placement on the displays', () => {
  it('keeps a visible saved position, drops one that is off every display, shrinks to the largest display', () => {
    expect(placeWindow(SAVED, SCREEN)).toEqual({ bounds: SAVED.bounds, maximized: true, zoomFactor: 1.25, hash: SAVED.hash });
    // The second monitor it was on is gone: no position, same size.
    const offScreen = { ...SAVED, bounds: { ...SAVED.bounds, x: 2500 } };
    expect(placeWindow(offScreen, SCREEN).bounds).toEqual({ width: 1600, height: 1000 });
    expect(placeWindow(offScreen, [...SCREEN, { x: 1920, y: 0, width: 2560, height: 1440 }]).bounds).toEqual(offScreen.bounds);
    // Only a sliver (< 64 px) on screen counts as off-screen.
    expect(placeWindow({ ...SAVED, bounds: { ...SAVED.bounds, x: 1900 } }, SCREEN).bounds.x).toBeUndefined();
    // A window larger than any display is shrunk to fit.
    expect(placeWindow({ ...SAVED, bounds: { x: 0, y: 0, width: 5000, height: 3000 } }, SCREEN).bounds).toEqual({ x: 0, y: 0, width: 1920, height: 1080 });
  });

  it('without a saved state: the defaults, no position', () => {
    expect(placeWindow(null, SCREEN)).toEqual({ bounds: { width: DEFAULT_WINDOW_STATE.bounds.width, height: DEFAULT_WINDOW_STATE.bounds.height }, maximized: false, zoomFactor: 1, hash: '' });
  });
});
