/**
 * DNS-rebinding protection for the web host: it binds 127.0.0.1, but a page on another site
 * can make the browser send requests there under its own host name (evil.example resolving to
 * 127.0.0.1). Every HTTP request and WebSocket upgrade must name us in its Host header:
 * `127.0.0.1:<port>` or `localhost:<port>` (case-insensitive); anything else gets 421.
 */

/** Host names the web host answers to. */
export const ALLOWED_HOST_NAMES: readonly string[] = ['127.0.0.1', 'localhost'];

/** True when `host` (the Host header, possibly missing) names this host on `port`. */
export function hostHeaderAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  if (!m) return false;
  return ALLOWED_HOST_NAMES.includes(m[1]) && (m[2] === undefined ? port === 80 : Number(m[2]) === port);
}
