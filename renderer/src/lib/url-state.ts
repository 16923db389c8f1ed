/**
 * The Compare state in the page URL's hash (browser mode and Electron alike), so a view can be
 * shared and restored: `#view=compare&db=<path>&runs=1,2,3&align=round&layout=overlay&x=<x0>~<x1>`
 * (plus `other=<path>` when a second database is attached for a diff across files; its runs'
 * ids in `runs` are the host's, 1e9 + their own)
 * (x in the axis units: ns by time, rounds by round). The token stays in the query string; the
 * hash never reaches the server.
 */
import { app, attachOther, openDatabase, VIEWS, type ViewId } from './state.svelte';

/** The hash for the current state. */
export function stateHash(): string {
  const p = new URLSearchParams();
  p.set('view', app.view);
  if (app.database) p.set('db', app.database.path);
  if (app.otherDatabase) p.set('other', app.otherDatabase);
  if (app.selected.length) p.set('runs', app.selected.join(','));
  if (app.align) p.set('align', app.align);
  if (app.layout) p.set('layout', app.layout);
  if (app.align === 'time' && app.range) p.set('x', `${app.range.t0}~${app.range.t1}`);
  else if (app.roundRange) p.set('x', `${app.roundRange.x0}~${app.roundRange.x1}`);
  return `#${p.toString()}`;
}

/** Restore the state of `hash` (opens its database first); returns an error text or null. */
export async function restoreHash(hash: string): Promise<string | null> {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const db = p.get('db');
  if (db && db !== app.database?.path) {
    const err = await openDatabase(db);
    if (err) return err;
  }
  const other = p.get('other');
  if (other && other !== app.otherDatabase) {
    const err = await attachOther(other);
    if (err) return err;
  }
  const runs = (p.get('runs') ?? '').split(',').map(Number).filter((n) => Number.isInteger(n) && (app.runs.some((r) => r.id === n) || app.otherRuns.some((r) => r.id === n)));
  if (runs.length) app.selected = runs.slice(0, 4);
  const align = p.get('align');
  if (align === 'round' || align === 'time') app.align = align;
  const layout = p.get('layout');
  if (layout === 'overlay' || layout === 'columns') app.layout = layout;
  const x = (p.get('x') ?? '').split('~').map(Number);
  if (x.length === 2 && x.every(Number.isFinite) && x[1] > x[0]) {
    if (app.align === 'time') app.range = { t0: x[0], t1: x[1] };
    else app.roundRange = { x0: x[0], x1: x[1] };
  }
  const view = p.get('view');
  if (view && VIEWS.some((v) => v.id === view)) app.view = view as ViewId;
  return null;
}
