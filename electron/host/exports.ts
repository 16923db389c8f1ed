/**
 * API method `exportDatabase`: writes the open database as an SQLite copy, Chrome/Perfetto
 * trace JSON, CSV of events, or ftrace text, through core/store exportTrace (which reopens
 * the file read-only and validates it). Refuses to overwrite an existing file unless asked.
 */
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ApiResult, ExportRequest } from '../api';
import { exportTrace } from '../../core/store/export';

/** Export `dbPath` as requested. Errors: ENOENT (no directory), EEXIST, EINVAL (same file), EIO. */
export async function exportDatabase(dbPath: string, req: ExportRequest): Promise<ApiResult<{ path: string; bytes: number }>> {
  const out = resolve(req.path);
  if (out === resolve(dbPath)) return { ok: false, error: { code: 'EINVAL', message: 'the export path is the open database itself' } };
  if (!existsSync(dirname(out))) return { ok: false, error: { code: 'ENOENT', message: `no such directory: ${dirname(out)}` } };
  if (existsSync(out)) {
    if (!req.overwrite) return { ok: false, error: { code: 'EEXIST', message: `file exists: ${out} (tick "overwrite" to replace it)` } };
    if (!statSync(out).isFile()) return { ok: false, error: { code: 'EINVAL', message: `not a regular file: ${out}` } };
    // SQLite's backup API writes into an existing file; start from an empty one.
    unlinkSync(out);
  }
  const r = await exportTrace(dbPath, { format: req.format, out, ...(req.runIds ? { runIds: req.runIds } : {}) });
  if (!r.ok) return { ok: false, error: { code: 'EIO', message: `${r.error.code}: ${r.error.message}` } };
  return { ok: true, value: { path: out, bytes: statSync(out).size } };
}
