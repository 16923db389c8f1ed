/**
 * Child process of restart.test.ts (runs under `node --import tsx`, so the web host's worker
 * gets the TypeScript loader): starts the web host, opens a database over the WebSocket,
 * crashes the engine worker, and prints what the client saw as one JSON line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebHost } from '../../../electron/web/server';
import { connectWebHost } from './web-client';

const dir = mkdtempSync(join(tmpdir(), 'wb-restart-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
const host = await startWebHost({ port: 0, rendererDir: dir });
const client = await connectWebHost(host.port, host.token);
const db = join(dir, 'x.sqlite');
const before = await client.call('openDatabase', { path: db, create: true });
await host.crashEngine();
await new Promise((r) => setTimeout(r, 300));
const info = await client.call('databaseInfo', {});
const engine = await client.call('engineInfo', {});
console.log(JSON.stringify({ before: { result: before }, status: client.events.filter((m) => m.type === 'status'), info: { result: info }, engineOk: engine.ok }));
client.close();
await host.close();
