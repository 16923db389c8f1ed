/**
 * Reading a user-named input file (scenario, trace, xlate, ioctl script) with one-line errors
 * that name the file and the option: missing, a directory or other non-file, too large (the
 * size is checked before reading, so a 200 MB scenario never reaches the parser), unreadable.
 */
import { readFileSync, statSync } from 'node:fs';
import { formatBytes } from '../base/units';

export type InputFile = { ok: true; text: string } | { ok: false; message: string };

/**
 * Read `path` as UTF-8 text. `what` names it in messages (e.g. 'trace', '--xlate');
 * `maxBytes` is the largest accepted size.
 */
export function readInputFile(path: string, what: string, maxBytes: number): InputFile {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return { ok: false, message: `${path}: is a directory, not a ${what} file` };
    if (!st.isFile()) return { ok: false, message: `${path}: not a regular file (${what})` };
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, message: code === 'ENOENT' ? `${path}: no such ${what} file` : `${path}: cannot read ${what} file (${code ?? (e as Error).message})` };
  }
  if (size > maxBytes) return { ok: false, message: `${path}: ${formatBytes(size)} is larger than the ${formatBytes(maxBytes)} limit for a ${what} file` };
  try {
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (e) {
    return { ok: false, message: `${path}: cannot read ${what} file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
}
