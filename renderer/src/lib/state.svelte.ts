/**
 * State shared by the views: the open database, its runs, the runs the Compare view shows,
 * the Compare zoom range and the time marker set by "jump to time" from the Events view.
 */
import type { DatabaseInfo, ProgressEvent, ReplayTraceResult, RunSummary } from '../../../electron/api';
import { api } from './api';

export const VIEWS = [
  { id: 'runs', label: 'Runs' },
  { id: 'compare', label: 'Compare' },
  { id: 'pagetable', label: 'Page table' },
  { id: 'events', label: 'Events' },
  { id: 'faults', label: 'Faults' },
  { id: 'sweep', label: 'Sweep' },
  { id: 'costs', label: 'Costs' },
  { id: 'sensitivity', label: 'Sensitivity' },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

/** Simulated time range in ns, [t0, t1). */
export interface Range {
  t0: number;
  t1: number;
}

export const app = $state({
  view: 'runs' as ViewId,
  database: null as DatabaseInfo | null,
  runs: [] as RunSummary[],
  runsError: null as string | null,
  /** Run ids shown side by side in Compare (2 to 4; 1 is allowed when only one exists). */
  selected: [] as number[],
  /** Compare zoom in simulated ns ("align by time"); null = whole run. */
  range: null as Range | null,
  /** Compare zoom in pre-copy rounds ("align by round"; -1..0 set-up, last..last+1 switch-over); null = whole run. */
  roundRange: null as { x0: number; x1: number } | null,
  /** Compare x axis: rounds lined up across runs, or absolute simulated time. null = default (round for migration runs). */
  align: null as 'round' | 'time' | null,
  /** Compare layout: vendors overlaid on one chart per metric, or one column per run. null = default (overlay for 2–4 runs). */
  layout: null as 'overlay' | 'columns' | null,
  /** A time (ns) marked in Compare by a jump from Events. */
  marker: null as number | null,
  /** Run shown in Events and Page table. */
  focusRun: null as number | null,
  /** A time (ns) the Events view starts its table at (set by the timeline's click; consumed by Events). */
  eventsFrom: null as number | null,
  /** Runs of the other database attached for cross-database diffs (ids offset by the host; RunSummary.localId is their own). */
  otherRuns: [] as RunSummary[],
  /** Path of the attached other database, or null. */
  otherDatabase: null as string | null,
  /** Each vendor's fixed colour, from the engine's vendor registry (EngineInfo.vendors). */
  vendorColors: {} as Record<string, string>,
});

/** The fixed colour of a vendor (grey for a vendor the engine does not know). */
export function vendorColor(vendor: string): string {
  return app.vendorColors[vendor] ?? '#888888';
}

/** The comparison started from the Runs view (kept here so it survives switching views). */
export const job = $state({
  id: '',
  running: false,
  /** Latest progress per vendor title. */
  progress: {} as Record<string, ProgressEvent>,
  message: null as string | null,
  runIds: [] as number[],
  /** Database the runs were recorded into (absolute path). */
  dbPath: '',
});

/** The trace replay started from the Runs view (kept here so it survives switching views). */
export const replayJob = $state({
  id: '',
  running: false,
  /** Latest progress per vendor title (events replayed / events in the trace). */
  progress: {} as Record<string, ProgressEvent>,
  /** Error text of a refused or failed replay. */
  error: null as string | null,
  result: null as ReplayTraceResult | null,
});

api.onProgress((ev) => {
  if (ev.callId === job.id) job.progress[ev.label] = ev;
  else if (ev.callId === replayJob.id) replayJob.progress[ev.label] = ev;
});

/** Most recent comparison group's runs (at most 4). */
function defaultSelection(runs: RunSummary[]): number[] {
  if (runs.length === 0) return [];
  const last = runs[runs.length - 1].group;
  return runs.filter((r) => r.group === last).slice(0, 4).map((r) => r.id);
}

/** Path of the database whose runs `app.runs` / `app.selected` hold. */
let shownPath = '';

/** Reload database info and runs after open/close/run. */
export async function refreshRuns(): Promise<void> {
  const info = await api.call('databaseInfo', {});
  app.database = info.ok ? info.value : null;
  if (!app.database) {
    shownPath = '';
    replayJob.result = null;
    app.runs = [];
    app.selected = [];
    app.focusRun = null;
    return;
  }
  const r = await api.call('listRuns', {});
  app.runsError = r.ok ? null : `${r.error.code}: ${r.error.message}`;
  app.runs = r.ok ? r.value : [];
  const ids = app.runs.map((x) => x.id);
  // Run ids are per database: another file's run 1 is another run. Results of jobs that wrote
  // to another file no longer apply (their "Show in Compare" would pick this file's runs).
  const path = app.database.path;
  const sameFile = shownPath === path;
  shownPath = path;
  if (replayJob.result && replayJob.result.dbPath !== path) replayJob.result = null;
  if (job.dbPath && job.dbPath !== path) {
    job.runIds = [];
    job.message = null;
    job.dbPath = '';
  }
  const kept = sameFile ? app.selected.filter((id) => ids.includes(id) || app.otherRuns.some((o) => o.id === id)) : [];
  if (!sameFile) app.align = null;
  app.selected = kept.length > 0 ? kept : defaultSelection(app.runs);
  if (app.focusRun === null || !ids.includes(app.focusRun)) app.focusRun = app.selected[0] ?? null;
  app.range = null;
  app.roundRange = null;
  app.marker = null;
}

/** Show `ts` in Compare: zoom to a window around it and mark it. */
export function jumpToTime(ts: number, fullEnd: number): void {
  const w = Math.max(1000, Math.round(fullEnd / 50));
  const t0 = Math.max(0, ts - w / 2);
  app.range = { t0, t1: Math.min(Math.max(fullEnd, ts + 1), t0 + w) };
  app.marker = ts;
  // A time is a time: line the runs up by time to show it.
  app.align = 'time';
  app.view = 'compare';
}

const RECENT_KEY = 'wb.recentDatabases';

/** Recently opened database paths, newest first (kept in this profile's localStorage). */
export function recentDatabases(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 8) : [];
  } catch {
    return [];
  }
}

export function rememberDatabase(path: string): void {
  const list = [path, ...recentDatabases().filter((p) => p !== path)].slice(0, 8);
  localStorage.setItem(RECENT_KEY, JSON.stringify(list));
}

/** Open a database through the API and refresh runs; returns an error text or null. */
export async function openDatabase(path: string, create = false): Promise<string | null> {
  const r = await api.call('openDatabase', { path, create });
  if (!r.ok) return `${r.error.code}: ${r.error.message}`;
  rememberDatabase(r.value.path);
  await refreshRuns();
  return null;
}

/** A run's label: `#id`, or `#id (file)` for a run of the attached other database. */
export function runLabel(r: RunSummary): string {
  return r.databaseName ? `#${r.localId ?? r.id} (${r.databaseName})` : `#${r.id}`;
}

/** Attach `path` as the other database (its runs join Compare's run picker); an error text or null. */
export async function attachOther(path: string): Promise<string | null> {
  const r = await api.call('attachDatabase', { path });
  if (!r.ok) return `${r.error.code}: ${r.error.message}`;
  app.otherDatabase = r.value.path;
  app.otherRuns = r.value.runs;
  app.selected = app.selected.filter((id) => app.runs.some((x) => x.id === id) || r.value.runs.some((x) => x.id === id));
  return null;
}

/** Detach the other database; its runs leave Compare. */
export async function detachOther(): Promise<void> {
  await api.call('detachDatabase', {});
  const gone = app.otherRuns.map((r) => r.id);
  app.otherRuns = [];
  app.otherDatabase = null;
  app.selected = app.selected.filter((id) => !gone.includes(id));
}
