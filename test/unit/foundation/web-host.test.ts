import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startWebHost, type WebHostProcess } from '../../e2e/harness';
import { connectWebHost } from '../ui/web-client';

// Runs the real web host (child process, engine in a worker_thread) against a tiny renderer dir.
describe('web host: 127.0.0.1 only, token required, API over WebSocket', () => {
  let host: WebHostProcess;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-renderer-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    host = await startWebHost(dir);
  });
  afterAll(() => host?.stop());

  it('binds 127.0.0.1 and answers 401 without the token', async () => {
    expect(new URL(host.url).hostname).toBe('127.0.0.1');
    expect((await fetch(`${host.origin}/`)).status).toBe(401);
    expect((await fetch(`${host.origin}/?token=${'0'.repeat(host.token.length)}`)).status).toBe(401);
  });

  it('serves the renderer with the token and sets a strict cookie and CSP', async () => {
    const r = await fetch(host.url);
    expect(r.status).toBe(200);
    expect(r.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('does not serve files outside the renderer directory', async () => {
    const r = await fetch(`${host.origin}/..%2F..%2F..%2Fetc%2Fpasswd?token=${host.token}`);
    expect(r.status).toBe(404);
  });

  it('refuses a WebSocket without the token or from another origin', async () => {
    const refused = (url: string, origin: string): Promise<boolean> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, { origin });
        ws.on('open', () => {
          ws.close();
          resolve(false);
        });
        ws.on('error', () => resolve(true));
      });
    const wsBase = host.origin.replace('http', 'ws');
    expect(await refused(`${wsBase}/api`, host.origin)).toBe(true);
    expect(await refused(`${wsBase}/api?token=${host.token}`, 'http://evil.example')).toBe(true);
  });

  it('answers API calls from the engine worker (comlink over the WebSocket)', async () => {
    const client = await connectWebHost(Number(new URL(host.origin).port), host.token);
    const r = await client.call('engineInfo', {});
    expect(r.ok).toBe(true);
    expect(r.ok && (r.value as { shell: string }).shell).toBe('web');
    expect(await client.call('rm -rf', {})).toMatchObject({ ok: false, error: { code: 'ENOTTY' } });
    client.close();
  });

  it('serves no comlink message but the call of its one method (no property walks, sets or handler values)', async () => {
    const wsBase = host.origin.replace('http', 'ws');
    const ws = new WebSocket(`${wsBase}/api?token=${host.token}`, { origin: host.origin });
    await new Promise((ok, fail) => {
      ws.on('open', ok);
      ws.on('error', fail);
    });
    const replies: { id: string; type: string; value: unknown }[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(String(d))));
    const rawArg = (value: unknown): { type: 'RAW'; value: unknown } => ({ type: 'RAW', value });
    const hostile = [
      { id: 'g', type: 'GET', path: ['call', 'constructor'] },
      { id: 's', type: 'SET', path: ['__proto__', 'polluted'], value: rawArg(1) },
      { id: 'c', type: 'APPLY', path: ['call', 'constructor'], argumentList: [rawArg('return process')] },
      { id: 'h', type: 'APPLY', path: ['call'], argumentList: [{ type: 'HANDLER', name: 'proxy', value: 1 }, rawArg({})] },
      { id: 'x', type: 'APPLY', path: ['call'], argumentList: [rawArg('engineInfo'), rawArg({}), rawArg(1)] },
    ];
    for (const m of hostile) ws.send(JSON.stringify(m));
    ws.send(JSON.stringify({ id: 'ok', type: 'APPLY', path: ['call'], argumentList: [rawArg('engineInfo'), rawArg({})] }));
    await expect.poll(() => replies.length, { timeout: 10_000 }).toBe(hostile.length + 1);
    ws.close();
    // Only the well-formed call was served; every other message is answered with EINVAL
    // (issue 13: a client never waits forever), none of them reached the host object.
    const byId = Object.fromEntries(replies.map((m) => [m.id, m]));
    for (const m of hostile) expect(byId[m.id]).toMatchObject({ type: 'RAW', value: { ok: false, error: { code: 'EINVAL' } } });
    expect(byId.ok).toMatchObject({ type: 'RAW', value: { ok: true, value: { shell: 'web' } } });
  });
});
