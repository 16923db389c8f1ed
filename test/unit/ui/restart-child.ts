/**
 * Child process of restart.test.ts (runs under `node --import tsx`, so the web host's worker
 * gets the TypeScript loader): starts the web host, opens a database over the WebSocket,
 * crashes the engine worker, and prints what the client saw as one JSON line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startWebHost } from '../../../electron/web/server';

const dir = mkdtempSync(join(tmpdir(), 'wb-restart-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
const host = await startWebHost({ port: 0, rendererDir: dir });
const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, { origin: `http://127.0.0.1:${host.port}`, headers: { cookie: `wb_token=${host.token}` } });
const seen: unknown[] = [];
const waiters = new Map<string, (v: unknown) => void>();
ws.on('message', (d) => {
  const m = JSON.parse(String(d)) as { type: string; id?: string };
  seen.push(m);
  if (m.type === 'result' && m.id) waiters.get(m.id)?.(m);
});
await new Promise((r) => ws.once('open', r));
const call = (id: string, method: string, req: unknown): Promise<unknown> =>
  new Promise((resolve) => {
    waiters.set(id, resolve);
    ws.send(JSON.stringify({ id, method, req }));
  });
const db = join(dir, 'x.sqlite');
const before = await call('a', 'openDatabase', { path: db, create: true });
await host.crashEngine();
await new Promise((r) => setTimeout(r, 300));
const info = await call('b', 'databaseInfo', {});
const engine = (await call('c', 'engineInfo', {})) as { result: { ok: boolean } };
console.log(JSON.stringify({ before, status: seen.filter((m) => (m as { type: string }).type === 'status'), info, engineOk: engine.result.ok }));
ws.close();
await host.close();
