/**
 * Content-Security-Policy for app content, the same in Electron (app:// protocol) and the
 * web host. No inline scripts, no eval, no remote origins; WebSocket only to ourselves.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:*",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');
