/**
 * Import a kernel ftrace text file into a trace database as a run (vendor 'ftrace-import'),
 * so it can be viewed, queried and exported like a simulated run. Library side of a CLI
 * `import <trace> --db <path>`; replay through vendor models is separate.
 */
import { readFileSync } from 'node:fs';
import { parseFtrace, type FtraceError } from '../trace/ftrace';
import { recordFtrace } from '../trace/ftrace-record';
import { openWriter } from './writer';
import type { StoreError } from './db';

export interface ImportResult {
  ok: true;
  runId: number;
  events: number;
  markers: number;
  skipped: number;
  /** Malformed lines (line numbers are 1-based); the import continues past them. */
  errors: FtraceError[];
}

/**
 * Parse `tracePath` and record it into `dbPath` (created if missing). Errors in the trace
 * are returned in `errors`; an unusable database gives { ok: false, error }.
 */
export async function importFtraceFile(tracePath: string, dbPath: string, opts: { inProcess?: boolean } = {}): Promise<ImportResult | { ok: false; error: StoreError }> {
  let text: string;
  try {
    text = readFileSync(tracePath, 'utf8');
  } catch (e) {
    return { ok: false, error: { code: 'IO', message: `${tracePath}: ${e instanceof Error ? e.message : String(e)}` } };
  }
  const imp = parseFtrace(text);
  const w = await openWriter(dbPath, { inProcess: opts.inProcess });
  if (!w.ok) return w;
  const run = await w.writer.startRun({ scenario: { import: tracePath }, vendor: 'ftrace-import', seed: 0, versions: {} });
  recordFtrace(run.recorder, imp);
  const end = imp.events.reduce((m, e) => Math.max(m, e.ts), 0);
  await run.finish(end);
  await w.writer.close();
  return { ok: true, runId: run.runId, events: imp.events.length, markers: imp.markers.length, skipped: imp.skipped, errors: imp.errors };
}
