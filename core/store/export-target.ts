/**
 * Where an export may write, and writing it so that a failure leaves nothing behind.
 *
 * {@link checkExportTarget} refuses: a missing output directory (ENOENT), an existing output
 * unless `overwrite` (EEXIST), an output that is not a regular file (EINVAL), and any path
 * that reaches the input database or its `-wal`/`-shm`/`-journal` files - by name, through a
 * symlink, or as a hard link (same device and inode) (EINVAL).
 *
 * {@link writeViaTemp} writes into a new, exclusively created temporary file next to the
 * output and renames it into place only when writing succeeded: an existing output is
 * replaced atomically (rename(2)) or not at all, and a failed export leaves no file.
 */
import { existsSync, lstatSync, realpathSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

/** Why an export target was refused (errno names). */
export interface ExportTargetError {
  code: 'ENOENT' | 'EEXIST' | 'EINVAL';
  message: string;
}

/** SQLite's files next to a database. */
const SIDECARS = ['-wal', '-shm', '-journal'];

function realOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * Check that `out` may receive an export of database `dbPath`. Returns the absolute output
 * path, or an error value naming the file.
 */
export function checkExportTarget(dbPath: string, out: string, overwrite: boolean): { ok: true; out: string } | { ok: false; error: ExportTargetError } {
  const abs = resolve(out);
  const dir = dirname(abs);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { ok: false, error: { code: 'ENOENT', message: `${out}: no such directory ${dir}` } };
  const dbReal = realOrNull(dbPath) ?? resolve(dbPath);
  // The output's own name in its (real) directory, and what it points to if it exists.
  const outByDir = join(realOrNull(dir) ?? dir, basename(abs));
  const outReal = realOrNull(abs);
  for (const p of [abs, outByDir, outReal]) {
    if (p === null) continue;
    if (p === dbReal) return { ok: false, error: { code: 'EINVAL', message: `${out}: is the input database ${dbPath}` } };
    for (const s of SIDECARS) if (p === dbReal + s) return { ok: false, error: { code: 'EINVAL', message: `${out}: is the input database's ${s.slice(1)} file` } };
  }
  let exists = false;
  try {
    lstatSync(abs);
    exists = true;
  } catch {
    exists = false;
  }
  if (!exists) return { ok: true, out: abs };
  if (outReal !== null) {
    const o = statSync(abs);
    const d = existsSync(dbPath) ? statSync(dbPath) : null;
    if (d && o.dev === d.dev && o.ino === d.ino) return { ok: false, error: { code: 'EINVAL', message: `${out}: is the input database ${dbPath} (a hard link to it)` } };
    if (!o.isFile()) return { ok: false, error: { code: 'EINVAL', message: `${out}: not a regular file` } };
  }
  if (!overwrite) return { ok: false, error: { code: 'EEXIST', message: `${out}: file exists` } };
  return { ok: true, out: abs };
}

/**
 * Call `write(tmp)` with a fresh temporary path in the output's directory, then rename the
 * temporary file to `out`. On any error the temporary file (and SQLite's `-journal`/`-wal`/
 * `-shm` next to it) is removed and the error rethrown; `out` is untouched.
 */
export async function writeViaTemp<T>(out: string, write: (tmp: string) => T | Promise<T>): Promise<T> {
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}-${randomBytes(4).toString('hex')}.partial`);
  try {
    const r = await write(tmp);
    renameSync(tmp, out);
    return r;
  } catch (e) {
    for (const p of [tmp, ...SIDECARS.map((s) => tmp + s)]) {
      try {
        unlinkSync(p);
      } catch {
        // not there
      }
    }
    throw e;
  }
}
