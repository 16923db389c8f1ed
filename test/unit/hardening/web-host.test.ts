/**
 * The web host survives hostile requests (issue 13): a malformed percent-escape used to stop
 * it (uncaught URIError); requests naming another host (DNS rebinding) are refused; every
 * malformed WebSocket message gets an error answer instead of silence.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startWebHost, type WebHostProcess } from '../../e2e/harness';
import { resolveStaticPath } from '../../../electron/web/static-path';
import { hostHeaderAllowed } from '../../../electron/web/host-header';

/** GET with an explicit Host header (fetch does not let us set it). */
function get(origin: string, path: string, host?: string): Promise<{ status: number; body: string }> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers: host === undefined ? {} : { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static paths (web host and app:// protocol)', () => {
  it('turns malformed escapes and NULs into errors, never exceptions', () => {
    const root = '/srv/renderer';
    expect(resolveStaticPath(root, '/')).toEqual({ ok: true, file: '/srv/renderer/index.html' });
    expect(resolveStaticPath(root, '/assets/a%20b.js')).toEqual({ ok: true, file: '/srv/renderer/assets/a b.js' });
    for (const p of ['/%', '/%E0%A4%A', '/%zz', '/a%']) expect(resolveStaticPath(root, p)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(resolveStaticPath(root, '/a%00b')).toMatchObject({ ok: false, reason: 'malformed' });
    for (const p of ['/..%2F..%2Fetc%2Fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/..\\..\\x']) {
      const r = resolveStaticPath(root, p);
      expect(!r.ok || r.file.startsWith(`${root}/`), p).toBe(true);
    }
  });

  it('accepts only 127.0.0.1 and localhost on our port as Host', () => {
    expect(hostHeaderAllowed('127.0.0.1:5199', 5199)).toBe(true);
    expect(hostHeaderAllowed('LOCALHOST:5199', 5199)).toBe(true);
    for (const h of [undefined, '', 'evil.example:5199', '127.0.0.1:80', '127.0.0.1', '127.0.0.1.evil.example:5199', '[::1]:5199', '127.0.0.1:5199:1']) expect(hostHeaderAllowed(h, 5199), String(h)).toBe(false);
    expect(hostHeaderAllowed('localhost', 80)).toBe(true);
  });
});

describe('live web host', () => {
  let host: WebHostProcess;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-renderer-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    host = await startWebHost(dir);
  });
  afterAll(() => host?.stop());

  it('answers GET /% with 400 and keeps serving', async () => {
    for (const p of ['/%', '/%E0%A4%A', '/x%']) {
      const r = await get(host.origin, `${p}?token=${host.token}`);
      expect(r.status, p).toBe(400);
      expect(r.body).toContain('malformed percent-encoding');
    }
    expect((await fetch(host.url)).status).toBe(200);
    expect(host.child.exitCode).toBeNull();
  });

  it('refuses requests and WebSocket upgrades for another Host (DNS rebinding)', async () => {
    const r = await get(host.origin, `/?token=${host.token}`, 'evil.example');
    expect(r.status).toBe(421);
    const port = new URL(host.origin).port;
    expect((await get(host.origin, `/?token=${host.token}`, `rebind.example:${port}`)).status).toBe(421);
    expect((await get(host.origin, `/?token=${host.token}`, `localhost:${port}`)).status).toBe(200);
    const refused = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`${host.origin.replace('http', 'ws')}/api?token=${host.token}`, { headers: { host: `evil.example:${port}` }, origin: `http://evil.example:${port}` });
      ws.on('open', () => {
        ws.close();
        resolve(false);
      });
      ws.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('answers malformed WebSocket messages with EINVAL and still serves good calls', async () => {
    const ws = new WebSocket(`${host.origin.replace('http', 'ws')}/api?token=${host.token}`, { origin: host.origin });
    await new Promise((ok, fail) => {
      ws.on('open', ok);
      ws.on('error', fail);
    });
    type Reply = { id?: string; type: string; value?: { ok: boolean; error?: { code: string; message: string } }; error?: { code: string; message: string } };
    const replies: Reply[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(String(d))));
    // comlink's APPLY of the web host's call(method, req): the one message a client may send.
    const apply = (id: unknown, method: string, req: unknown = {}) => JSON.stringify({ id, type: 'APPLY', path: ['call'], argumentList: [{ type: 'RAW', value: method }, { type: 'RAW', value: req }] });
    const withoutId = ['not json', '[1,2]', '{"method":"engineInfo"}', apply('x'.repeat(65), 'engineInfo'), apply(7, 'engineInfo')];
    const withId = [apply('m', 'm'.repeat(100)), JSON.stringify({ id: 'g', type: 'GET', path: ['call'] }), JSON.stringify({ id: 's', type: 'SET', path: ['call'], value: { type: 'RAW', value: 1 } })];
    for (const b of [...withoutId, ...withId]) ws.send(b);
    ws.send(apply('u', 'noSuchMethod'));
    ws.send(apply('x'.repeat(64), 'engineInfo'));
    const want = withoutId.length + withId.length + 2;
    const deadline = Date.now() + 10_000;
    while (replies.length < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    ws.close();
    expect(replies).toHaveLength(want);
    // Without a usable id: an `error` event; with one: comlink's reply carrying an EINVAL result.
    expect(replies.filter((r) => r.type === 'error' && r.error?.code === 'EINVAL')).toHaveLength(withoutId.length);
    for (const id of ['m', 'g', 's']) expect(replies.find((r) => r.id === id)?.value).toMatchObject({ ok: false, error: { code: 'EINVAL' } });
    expect(replies.find((r) => r.id === 'u')?.value).toMatchObject({ ok: false, error: { code: 'ENOTTY' } });
    // A 64-character id is fine and comes back unchanged.
    expect(replies.find((r) => r.id === 'x'.repeat(64))?.value).toMatchObject({ ok: true });
  });
});
