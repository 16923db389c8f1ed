/**
 * The app:// protocol that serves the built renderer (instead of file://), with path
 * traversal refused and the CSP header on every response.
 */
import { net, protocol } from 'electron';
import { resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CSP } from '../web/csp';

export const APP_ORIGIN = 'app://workbench';

/** Whether a URL belongs to our app content. */
export function isAppUrl(url: string): boolean {
  return url.startsWith(`${APP_ORIGIN}/`);
}

export function registerAppProtocol(rendererDir: string): void {
  const root = resolve(rendererDir);
  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    const file = resolve(root, decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html');
    if (url.host !== 'workbench' || !(file === root || file.startsWith(root + sep))) {
      return new Response('forbidden', { status: 403 });
    }
    const res = await net.fetch(pathToFileURL(file).href);
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });
}
