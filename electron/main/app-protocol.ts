/**
 * The app:// protocol that serves the built renderer (instead of file://), with path
 * traversal refused and the CSP header on every response.
 */
import { net, protocol } from 'electron';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CSP } from '../web/csp';
import { resolveStaticPath } from '../web/static-path';

export const APP_ORIGIN = 'app://workbench';

/** Whether a URL belongs to our app content. */
export function isAppUrl(url: string): boolean {
  return url.startsWith(`${APP_ORIGIN}/`);
}

export function registerAppProtocol(rendererDir: string): void {
  const root = resolve(rendererDir);
  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    // A malformed escape (app://workbench/%) is a 400, not an exception in the main process.
    const target = resolveStaticPath(root, url.pathname);
    if (!target.ok && target.reason === 'malformed') return new Response(`bad request: ${target.message}`, { status: 400 });
    if (url.host !== 'workbench' || !target.ok) {
      return new Response('forbidden', { status: 403 });
    }
    const res = await net.fetch(pathToFileURL(target.file).href);
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });
}
