/**
 * API method `exportDatabase`: writes the open database as an SQLite copy, Chrome/Perfetto
 * trace JSON, CSV of events, or ftrace text, through core/store exportTrace (which reopens
 * the file read-only and validates it, refuses the database itself by any name or link, and
 * writes a temporary file renamed into place on success). Refuses to overwrite an existing
 * file unless asked; a failed export leaves an existing file as it was.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ApiResult, ExportRequest } from '../api';
import { exportTrace } from '../../core/store/export';

/** Export `dbPath` as requested. Errors: ENOENT (no directory), EEXIST, EINVAL (same file, not a file), EIO. */
export async function exportDatabase(dbPath: string, req: ExportRequest): Promise<ApiResult<{ path: string; bytes: number }>> {
  const out = resolve(req.path);
  const r = await exportTrace(dbPath, { format: req.format, out, overwrite: req.overwrite === true, ...(req.runIds ? { runIds: req.runIds } : {}) });
  if (!r.ok) {
    const { code, message } = r.error;
    if (code === 'EEXIST') return { ok: false, error: { code, message: `${message} (tick "overwrite" to replace it)` } };
    if (code === 'EINVAL' || code === 'ENOENT') return { ok: false, error: { code, message } };
    return { ok: false, error: { code: 'EIO', message: `${code}: ${message}` } };
  }
  return { ok: true, value: { path: out, bytes: statSync(out).size } };
}
