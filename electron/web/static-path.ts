/**
 * Where a request for the built renderer goes: the URL path, percent-decoded and normalised,
 * must name a file inside the renderer directory. Shared by the web host's static handler
 * (./server.ts) and the Electron app:// protocol (../main/app-protocol.ts). A malformed
 * escape (`/%`, `/%E0%A4%A`) or a NUL is an error value, never an exception (an uncaught
 * URIError used to stop the web host).
 */
import { normalize, resolve, sep } from 'node:path';

/** The file to serve, or why not: 'malformed' (answer 400) or 'outside' the root (403/404). */
export type StaticTarget = { ok: true; file: string } | { ok: false; reason: 'malformed' | 'outside'; message: string };

/**
 * Resolve URL path `pathname` (still percent-encoded, as in `new URL(...).pathname`) under
 * `root` (absolute). '/' means index.html.
 */
export function resolveStaticPath(root: string, pathname: string): StaticTarget {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { ok: false, reason: 'malformed', message: `malformed percent-encoding in the path ${JSON.stringify(pathname.slice(0, 200))}` };
  }
  if (decoded.includes('\0')) return { ok: false, reason: 'malformed', message: 'NUL in the path' };
  const rel = normalize(decoded).replace(/^([/\\])+/, '');
  const file = resolve(root, rel === '' || rel === '.' ? 'index.html' : rel);
  if (!(file === root || file.startsWith(root + sep))) return { ok: false, reason: 'outside', message: 'outside the renderer directory' };
  return { ok: true, file };
}
